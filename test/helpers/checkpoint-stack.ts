/**
 * A real SQLite store in a temp dir, its checkpoint-writer thread and a checkpointer on them (no timer:
 * checkpoints are asked for), for the checkpoint tests in test/integration/persist. `close` stops the
 * checkpointer, the thread and the store and removes the directory.
 */
import { PassThrough } from 'node:stream';
import { createLogger } from '../../src/log.js';
import { WorkerCheckpointWriter } from '../../src/persist/checkpoint-writer.js';
import { Checkpointer } from '../../src/persist/checkpointer.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { tempDataDir } from './data-dir.js';

export interface CheckpointStack {
  store: SqliteStore;
  writer: WorkerCheckpointWriter;
  ck: Checkpointer;
  close(): Promise<void>;
}

export const openCheckpointStack = (prefix: string): CheckpointStack => {
  const d = tempDataDir(prefix);
  const store = new SqliteStore({ dataDir: d.dir });
  const writer = new WorkerCheckpointWriter({ dataDir: d.dir });
  const ck = new Checkpointer({ store: () => store, logger: createLogger('silent', new PassThrough()), intervalSeconds: 0, writer });
  return {
    store,
    writer,
    ck,
    async close() {
      await ck.stop();
      await writer.close();
      await store.close();
      d.remove();
    },
  };
};
