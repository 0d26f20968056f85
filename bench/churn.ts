/**
 * Churn bench: many distinct identities join and leave a real game server (uWS on 127.0.0.1, a
 * SQLite store, the ledger with start grants), each with a new hello `token`; every 10th resumes
 * once within the grace. Prints the heap used before and after (each after a forced GC) and the
 * per-player tables' sizes, and writes bench/results/churn.json.
 *
 *   npx tsx bench/churn.ts [--joins 20000] [--concurrency 50]
 *
 * What it shows: after the churn the server holds what it held before (heap within noise, every
 * per-player table back to its size), whatever the number of identities that came and went. The
 * durable store keeps one player row per identity (inherent without an authenticate hook; its
 * rate is bounded by `net.maxNewPlayersPerAddressPerMinute`, here off: loopback is exempt).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pack, unpack } from 'msgpackr';
import WebSocket from 'ws';
import { attachLedger, ledgerRetained } from '../src/ledger/world-ledger.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { entityCount } from '../src/world/sim-world.js';
import { stepWorld } from '../src/world/step.js';
import { tempDataDir } from '../test/helpers/data-dir.js';
import { sessionServer, sessionWorld } from '../test/helpers/session-world.js';
import { heapAfterGc } from './heap-after-gc.js';

const arg = (name: string, d: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const JOINS = arg('joins', 20_000);
const CONCURRENCY = arg('concurrency', 50);
const WARMUP = Math.min(1000, JOINS);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const dir = tempDataDir('wt-churn-bench-');
const store = new SqliteStore({ dataDir: dir.dir });
const world = sessionWorld(4000);
attachLedger(world, { store, startingCoins: 10, rateLimit: { perSecond: 0 } });
const server = sessionServer(world, store, { resumeGraceSeconds: 3, helloTimeoutMs: 60_000, maxConnectionsPerAddress: 0 });
await server.start();
const url = `ws://127.0.0.1:${server.port}`;
// The loop runner's part: step the world every 5 ms (joins, leaves, catch-ups, ledger results).
const stepper = setInterval(() => stepWorld(world, 1), 5);

let resumesRefused = 0;
/** One visit: connect, hello with `token` (and `resume`), wait for the welcome, close. Returns the resume token. */
const visit = (token: string, resume: string | null): Promise<string> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let rt = '';
    ws.on('open', () => ws.send(pack([1, 1, 'w1', 'b', token, resume]), { binary: true }));
    ws.on('message', (d: Buffer) => {
      const m = unpack(d) as unknown[];
      if (m[0] === 16) {
        rt = String(m[6]);
        ws.close(1000);
      } else if (m[0] === 20 && m[1] === 'RESUME_REFUSED')
        resumesRefused++; // grace over under load: joined fresh
      else if (m[0] === 20) reject(new Error(`error ${String(m[1])} for ${token}`));
    });
    ws.on('close', () => (rt ? resolve(rt) : reject(new Error(`closed before welcome: ${token}`))));
    ws.on('error', reject);
  });

const churn = async (from: number, to: number): Promise<void> => {
  let next = from;
  const worker = async (): Promise<void> => {
    while (next < to) {
      const i = next++;
      const rt = await visit(`churn-${i}`, null);
      if (i % 10 === 0) await visit(`churn-${i}`, rt);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
};

const sizes = () => {
  const st = server.stats();
  const l = world.ledger;
  return {
    connections: st.connections,
    sessions: st.sessions,
    parked: st.parked,
    joining: st.joining,
    pendingResumes: st.pendingResumes,
    newPlayerAddresses: st.newPlayerAddresses,
    byPlayer: world.net?.byPlayer.size ?? 0,
    entities: entityCount(world),
    playerRows: world.stores.playerRows.rowOf.size,
    ledger: l ? ledgerRetained(l) : null,
  };
};

/** Wait until every player left, the grace ran out and the ledger settled. */
const drained = async (): Promise<void> => {
  for (let i = 0; i < 6000; i++) {
    const s = sizes();
    if (s.connections + s.sessions + s.parked + s.joining === 0 && (s.ledger?.startGrants ?? 0) === 0) break;
    await sleep(10);
  }
  await world.ledger?.service.flush();
  await sleep(300);
};

await churn(0, WARMUP);
await drained();
const heapBefore = await heapAfterGc();
const sizesBefore = sizes();
const load0 = loadavg();
const t0 = performance.now();
await churn(WARMUP, WARMUP + JOINS);
const churnMs = performance.now() - t0;
const heapPeakish = process.memoryUsage().heapUsed;
await drained();
const heapAfter = await heapAfterGc();
const sizesAfter = sizes();
const load1 = loadavg();
clearInterval(stepper);
await server.stop();
await world.ledger?.service.close();
store.close();
dir.remove();

const result = {
  suite: 'churn',
  at: new Date().toISOString(),
  joins: JOINS,
  resumes: Math.ceil(JOINS / 10),
  resumesRefused,
  concurrency: CONCURRENCY,
  warmupJoins: WARMUP,
  churnSeconds: +(churnMs / 1000).toFixed(2),
  joinsPerSecond: Math.round(JOINS / (churnMs / 1000)),
  heapUsedBeforeMiB: +(heapBefore / 2 ** 20).toFixed(2),
  heapUsedEndOfChurnNoGcMiB: +(heapPeakish / 2 ** 20).toFixed(2),
  heapUsedAfterMiB: +(heapAfter / 2 ** 20).toFixed(2),
  heapDeltaBytesPerJoin: +((heapAfter - heapBefore) / JOINS).toFixed(1),
  sizesBefore,
  sizesAfter,
  loadAverage: { before: load0.map((x) => +x.toFixed(2)), after: load1.map((x) => +x.toFixed(2)) },
  node: process.version,
};
console.log(JSON.stringify(result, null, 2));
const out = new URL('./results/', import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(new URL('churn.json', out), `${JSON.stringify(result, null, 2)}\n`);
process.exit(0);
