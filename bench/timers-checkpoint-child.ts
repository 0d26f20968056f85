/**
 * One measurement of suite `timers-checkpoint` (bench/timers-checkpoint.bench.ts), run in its own
 * process so its peak RSS is its own: a game world (`--entities` entities with a game component)
 * whose pending one-shot timers are filled to the bounds with payloads of `--payload` bytes of JSON
 * each (until `setWorldTimer` refuses: the count or byte limit), then one checkpoint — the
 * synchronous copy, deflate, a SQLite write (synchronous=FULL) — and a restore from the store.
 * Prints one JSON line. Written against the public API and src/persist only, so the same file
 * measures an older tree (`--root <dir>`: the tree to import).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
};
const root = arg('root', new URL('..', import.meta.url).pathname);
const payloadBytes = Number(arg('payload', '4096'));
const entities = Number(arg('entities', '10000'));
const imp = (p: string) => import(pathToFileURL(join(root, p)).href);

const api = await imp('src/index.ts');
const snap = await imp('src/persist/world-snapshot.ts');
const gameWorld = await imp('src/game/world.ts');
const { SqliteStore } = await imp('src/store/sqlite-store.ts');

const kb = (): number => process.resourceUsage().maxRSS; // KB
const Tag = api.defineComponent('Tag', { n: 'u32' });
const game = api.defineGame({
  name: 'timers-bench',
  components: [Tag],
  timers: [{ name: 'once', run: () => {} }],
  hooks: {
    populate: (w: unknown, setup: { npcs: number }) => {
      for (let i = 0; i < setup.npcs; i++) api.addComponent(w, api.spawn(w, { kind: 1, x: i % 1000, y: i / 1000 }), Tag);
    },
  },
});
// timeScale 60, as before a game's default became 1: the paced steps below run timers due in 1..5000 world s.
const w = gameWorld.createGameWorld(game, {
  id: 'b',
  capacity: entities + 100,
  npcs: entities,
  size: 2000,
  config: { simulation: { timeScale: 60 } },
});
const rssBase = kb();
const payload = 'x'.repeat(Math.max(0, payloadBytes - 2)); // a JSON string: payloadBytes bytes
let timers = 0;
let refusedWith = '';
for (;;) {
  try {
    api.setWorldTimer(w, 1 + (timers % 5000), 'once', payload);
    timers++;
  } catch (err) {
    refusedWith = `${(err as { code?: string }).code} ${JSON.stringify((err as { details?: unknown }).details ?? {})}`;
    break;
  }
}
const rssTimers = kb();
const t0 = performance.now();
const cap = snap.captureWorld(w);
const copyMs = performance.now() - t0;
const headerBytes = new DataView(cap.packed.buffer, cap.packed.byteOffset).getUint32(8, true);
const rawBytes = cap.packed.byteLength;
const e0 = performance.now();
const data = await snap.encodeCapture(cap);
const encodeMs = performance.now() - e0;
const dir = mkdtempSync(join(os.tmpdir(), 'wt-bench-timers-'));
const store = new SqliteStore({ dataDir: dir });
const s0 = performance.now();
await store.saveCheckpoint({ worldId: 'b', step: cap.step, worldTime: cap.worldTime, config: cap.config, data, fencingToken: 0 });
const writeMs = performance.now() - s0;
const rssWritten = kb();
const r0 = performance.now();
const row = await store.loadCheckpoint('b');
const back = await snap.restoreWorld(row.data, { systems: game.pipeline, install: (x: unknown) => gameWorld.installGame(game, x) });
const restoreMs = performance.now() - r0;
const restored = api.pendingWorldTimers(back).length;
// The loop at 20 Hz with a checkpoint every 40 steps (the runtime's writer thread) against none:
// what the synchronous copy costs the steps around it.
const { Checkpointer } = await imp('src/persist/checkpointer.ts');
const { WorkerCheckpointWriter } = await imp('src/persist/checkpoint-writer.ts');
const { createLogger } = await imp('src/log.ts');
const { runStep } = await imp('src/world/step.ts');
const paced = async (ck: { checkpoint(id: string): Promise<void> } | null, steps: number): Promise<number[]> => {
  const late: number[] = [];
  const start = performance.now();
  for (let i = 0; i < steps; i++) {
    const target = start + i * 50;
    await new Promise((r) => setTimeout(r, Math.max(0, target - performance.now())));
    late.push(Math.max(0, performance.now() - target));
    runStep(w);
    if (ck && i % 40 === 0) void ck.checkpoint('b');
  }
  return late.sort((a, b) => a - b);
};
const steps = Number(arg('steps', '160'));
const without = await paced(null, steps);
const writer = new WorkerCheckpointWriter({ dataDir: dir });
const ck = new Checkpointer({ store: () => store, logger: createLogger('silent'), intervalSeconds: 0, writer });
ck.track(w, { origin: 'admin' });
await ck.checkpoint('b'); // the writer thread is started before measuring
const withCk = await paced(ck, steps);
await ck.stop();
await writer.close();
const p = (xs: number[], q: number): number => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;
await store.close();
rmSync(dir, { recursive: true, force: true });
const r2 = (n: number): number => Math.round(n * 100) / 100;
process.stdout.write(
  `${JSON.stringify({
    payloadBytes,
    entities,
    timers,
    refusedWith,
    restored,
    headerBytes,
    rawBytes,
    storedBytes: data.byteLength,
    copyMs: r2(copyMs),
    encodeMs: r2(encodeMs),
    writeMs: r2(writeMs),
    restoreMs: r2(restoreMs),
    paced20Hz: {
      steps,
      checkpointEverySteps: 40,
      lateP99Ms: { without: r2(p(without, 0.99)), withCheckpoints: r2(p(withCk, 0.99)) },
      lateMaxMs: { without: r2(p(without, 1)), withCheckpoints: r2(p(withCk, 1)) },
      lastCopyMs: r2(ck.report('b')?.lastCopyMs ?? NaN),
    },
    maxRssMB: {
      afterWorld: r2(rssBase / 1024),
      afterTimers: r2(rssTimers / 1024),
      afterWrite: r2(rssWritten / 1024),
      peak: r2(kb() / 1024),
    },
    loadAvg1: r2(os.loadavg()[0] ?? 0),
  })}\n`,
);
