/**
 * How long the worlds already running stand still while a large world is created on a running game
 * server (docs/ADMIN.md create body; src/game/world.ts `createGameWorldInSlices`): the life-sim game as
 * `npm start` serves it, in process, a real WebSocket client playing in world 1 that records the wall ms
 * between its snapshots (the client's `sink.gap`). For each size: the admin API's create (NPCs 5,000 per
 * event-loop turn, then its tier lists one per turn), the 2 s after it (the new world's first steps: its
 * tier grid built in one go), its delete; then, for the same size, the world built in one go
 * (`createGameWorld`, what a create did before) — in the same run, so the two are compared on the same
 * host load.
 *
 *   npx tsx bench/world-create-stall.ts [--quick]   (or `npm run bench -- world-create-stall`)
 *
 * Figures per size: the create's wall ms, the player's longest snapshot gap during it and during the 2 s
 * after, and the one-go build's ms and gap. Writes bench/results/world-create-stall.json.
 */
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { lifeSimGame } from '../examples/life-sim/game.js';
import { WorldtickClient, type WebSocketCtor } from '../src/client/client.js';
import { createGameWorld } from '../src/game/world.js';
import { startServer } from '../src/index.js';
import { destroySimWorld } from '../src/world/sim-world.js';
import { tempDataDir } from '../test/helpers/data-dir.js';
import { runSuite, type Suite } from './harness.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const r1 = (n: number): number => Math.round(n * 10) / 10;

export const worldCreateStallSuite: Suite = {
  name: 'world-create-stall',
  async run(ctx) {
    const sizes = ctx.quick ? [50_000] : [100_000, 500_000, 1_000_000];
    const dir = tempDataDir('wt-create-stall-');
    const server = await startServer(lifeSimGame, {
      options: {
        port: 0,
        adminPort: 0,
        logLevel: 'silent',
        dataDir: dir.dir,
        npcs: 2000,
        statsIntervalSeconds: 0,
        checkpointIntervalSeconds: 0,
      },
    });
    let maxGap = 0;
    const sink = { update: () => {}, ack: () => {}, gap: (ms: number) => void (maxGap = Math.max(maxGap, ms)) };
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: WebSocket as unknown as WebSocketCtor, sink });
    const admin = (method: string, path: string, body?: unknown) =>
      fetch(`http://127.0.0.1:${server.adminPort}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const rows: Array<Record<string, unknown>> = [];
    try {
      await c.connect();
      await c.join('1', 'watcher');
      await sleep(1000);
      maxGap = 0;
      await sleep(1000);
      const idleGapMs = r1(maxGap);
      for (const npcs of sizes) {
        const load = loadavg()[0];
        maxGap = 0;
        const t0 = performance.now();
        const res = await admin('POST', '/worlds', { id: 'big', npcs, capacity: npcs + 1000 });
        const createMs = performance.now() - t0;
        if (res.status !== 201) throw new Error(`create answered ${res.status}: ${await res.text()}`);
        const gapCreate = maxGap;
        maxGap = 0;
        await sleep(2000);
        const gapAfter = maxGap;
        await admin('DELETE', '/worlds/big');
        await sleep(500);
        // The same world built in one go, in this process (the server's loop and the client wait meanwhile).
        maxGap = 0;
        const t1 = performance.now();
        const w = createGameWorld(lifeSimGame, { id: 'one-go', capacity: npcs + 1000, npcs });
        const oneGoMs = performance.now() - t1;
        await sleep(300); // the next snapshots arrive: the gap that spanned the build is recorded
        const gapOneGo = maxGap;
        destroySimWorld(w);
        const row = {
          npcs,
          createMs: Math.round(createMs),
          gapDuringCreateMs: r1(gapCreate),
          gapFirstStepsMs: r1(gapAfter),
          oneGoBuildMs: Math.round(oneGoMs),
          gapOneGoMs: r1(gapOneGo),
          idleGapMs,
          load1: r1(load),
        };
        console.log(JSON.stringify(row));
        rows.push(row);
        await sleep(500);
      }
    } finally {
      c.close();
      await server.stop();
      dir.remove();
    }
    ctx.record('runs', rows);
  },
};

export default worldCreateStallSuite;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runSuite(worldCreateStallSuite, process.argv.includes('--quick'));
  process.exit(0);
}
