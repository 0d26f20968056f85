/**
 * What `GET /api/v1/worlds` costs as the worlds grow (docs/ADMIN.md "World routes"): one real runtime
 * in this process (SQLite store, `--max-worlds 4096`, no game clients), worlds created over the admin
 * API paused and without NPCs (the list's summaries are what is measured, not the steps), each served
 * by the game server as from its first player's hello on (no client connects), then at each size the whole list, a page of 25 (the dashboard's), a page of 1,000 and a `/metrics` scrape: bytes, and wall ms of the
 * request over HTTP (the route runs on the event loop: that time is the loop's, as no world steps).
 *
 *   npx tsx bench/worlds-list.ts [--quick]   (or `npm run bench -- worlds-list`)
 *
 * One process runs at most 4,096 worlds (`--max-worlds`); a list of 10,000 is a cluster's, where the
 * worlds other instances own are listed without a summary. Writes bench/results/worlds-list.json.
 */
import { pathToFileURL } from 'node:url';
import { parseOptions } from '../src/cli/options.js';
import { createLogger } from '../src/log.js';
import { createRuntime } from '../src/server/runtime.js';
import { tempDataDir } from '../test/helpers/data-dir.js';
import { runSuite, type Suite } from './harness.js';

const TOKEN = 'bench-worlds-list';
const r1 = (n: number): number => Math.round(n * 10) / 10;

export const worldsListSuite: Suite = {
  name: 'worlds-list',
  async run(ctx) {
    const sizes = ctx.quick ? [100] : [300, 1000, 2000];
    const data = tempDataDir('wt-worlds-list-');
    const options = parseOptions(
      ['--npcs', '0', '--port', '0', '--admin-port', '0', '--stats-interval', '0', '--admin-token', TOKEN, '--data-dir', data.dir],
      {},
    );
    const runtime = createRuntime({ ...options, maxWorlds: 4096 }, createLogger('silent'));
    await runtime.start();
    const base = `http://127.0.0.1:${runtime.admin.port}`;
    const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, text: await res.text() };
    };
    const rows: Array<Record<string, unknown>> = [];
    try {
      let made = 1; // the default world
      for (const size of sizes) {
        while (made < size) {
          const batch: Array<Promise<{ status: number }>> = [];
          for (let i = 0; i < 50 && made < size; i++, made++)
            batch.push(call('POST', '/api/v1/worlds', { id: `l-${made}`, npcs: 0, capacity: 50, simulation: { pauseSimulation: true } }));
          for (const r of await Promise.all(batch)) if (r.status !== 201) throw new Error(`create: ${r.status}`);
        }
        // Served by the game server, as a world is from its first player's hello on (its net report).
        for (const w of runtime.runner.worlds()) runtime.gameServer.attach(w);
        // What one session report costs (a scrape built it 29 times before it was taken once per scrape).
        const reportMs: number[] = [];
        for (let i = 0; i < 5; i++) {
          const t0 = performance.now();
          runtime.gameServer.stats();
          reportMs.push(r1(performance.now() - t0));
        }
        const row: Record<string, unknown> = { worlds: size, reportMs };
        for (const [key, path] of [
          ['whole', '/api/v1/worlds'],
          ['page25', '/api/v1/worlds?limit=25'],
          ['page1000', '/api/v1/worlds?limit=1000'],
          // A Prometheus scrape of every world's series (one session report per scrape).
          ['metrics', '/metrics'],
        ] as const) {
          const ms: number[] = [];
          let bytes = 0;
          for (let i = 0; i < 5; i++) {
            const t0 = performance.now();
            const r = await call('GET', path);
            ms.push(r1(performance.now() - t0));
            if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
            bytes = Buffer.byteLength(r.text);
          }
          row[key] = { bytes, ms };
        }
        console.log(JSON.stringify(row));
        rows.push(row);
      }
    } finally {
      await runtime.stop();
      data.remove();
    }
    ctx.record('runs', rows);
  },
};

export default worldsListSuite;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runSuite(worldsListSuite, process.argv.includes('--quick'));
  process.exit(0);
}
