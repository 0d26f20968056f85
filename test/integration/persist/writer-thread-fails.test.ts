/**
 * A checkpoint writer whose thread cannot start (its module cannot load, as when tsx could not be found from the
 * working directory, stop 67): every write ends with an error and the checkpointer's flush (a stop's final
 * checkpoints) finishes, instead of the writes after the first waiting for good and a stop waiting until
 * `--stop-timeout` (piscina starts no thread again after one failed at its start: src/jobs/stranded-tasks.ts).
 * Real SQLite store, real worker threads.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ErrorCode, WorldtickError } from '../../../src/errors.js';
import { createLogger } from '../../../src/log.js';
import { Checkpointer } from '../../../src/persist/checkpointer.js';
import { WorkerCheckpointWriter } from '../../../src/persist/checkpoint-writer.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const UNLOADABLE = fileURLToPath(new URL('../../helpers/unloadable-worker.ts', import.meta.url));
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a checkpoint writer whose thread cannot start', () => {
  it('every write and every checkpoint fails with a coded error; flush and close finish; nothing is written', async () => {
    const d = tempDataDir('wt-ck-nothread-');
    const store = new SqliteStore({ dataDir: d.dir });
    const writer = new WorkerCheckpointWriter({ dataDir: d.dir }, { workerFile: UNLOADABLE });
    const lines = new PassThrough();
    let logged = '';
    lines.on('data', (b: Buffer) => (logged += b.toString()));
    const ck = new Checkpointer({ store: () => store, logger: createLogger('warn', lines), intervalSeconds: 0, writer });
    cleanups.push(async () => {
      await ck.stop();
      await writer.close();
      store.close();
      d.remove();
    });
    const ids = ['w0', 'w1', 'w2'];
    for (const id of ids) {
      const world = createSimWorld({ id, capacity: 200 });
      populateNpcs(world, { count: 100 });
      ck.track(world, { origin: 'admin', npcs: 100 });
    }
    // Each world's checkpoint in turn, then all at once (waiting for the one thread), then the flush a stop runs.
    const outcomes = [];
    for (const id of ids) outcomes.push(await ck.checkpoint(id));
    outcomes.push(...(await Promise.all(ids.map((id) => ck.checkpoint(id)))));
    const errors = outcomes.map((o) => {
      expect(o.status).toBe('failed');
      const err = (o as { error: unknown }).error;
      expect(err).toBeInstanceOf(WorldtickError);
      return err as WorldtickError;
    });
    // WT_ERR_WORKER_FAILED, naming the module that cannot load: a write handed to a thread that then failed ends
    // with that thread's error; one that waited for a thread when none was left, with "no worker thread left".
    for (const e of errors) {
      expect(e.code).toBe(ErrorCode.WORKER_FAILED);
      expect(e.message).toMatch(/^checkpoint writer(:| thread failed:) .*unloadable-worker/);
    }
    expect(errors.some((e) => e.message.includes('no worker thread left'))).toBe(true);
    await ck.flush();
    for (const id of ids) expect(ck.report(id)?.failed).toBeGreaterThanOrEqual(3);
    expect(logged).toContain('unloadable-worker');
    await writer.close();
    for (const id of ids) expect(await store.loadCheckpoint(id)).toBeUndefined();
  }, 30_000);
});
