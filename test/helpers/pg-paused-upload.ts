/**
 * A writer paused while it is still sending a statement, for tests: a real process
 * (pg-paused-upload-main.ts) opens the product's store and saves a fenced checkpoint; it stops itself
 * (SIGSTOP) once half of the INSERT carrying the checkpoint has left it. Its transaction holds the
 * world's fence row; its backend is `active`, waiting on `ClientRead` for the rest of the message —
 * not idle in a transaction, so `idle_in_transaction_session_timeout` does not end it.
 */
import { readFileSync } from 'node:fs';
import { type PausedWriter, spawnWriterChild } from './pg-paused-writer.js';
import { withPgClient } from './shared-postgres.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Whether process `pid` is stopped (state `T` in /proc; false where /proc is missing). */
const isStopped = (pid: number): boolean => {
  try {
    return /^\d+ \(.*\) T /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/**
 * Start the writer on `url` with a fenced checkpoint of (`worldId`, `token`) of `bytes` bytes, and
 * resolve once it is stopped mid-upload and the server shows its backend reading the statement.
 * `idleInTransactionTimeoutMs`: the store option (it does not end this session: the point).
 */
export const startPausedUpload = async (o: {
  url: string;
  worldId: string;
  token: number;
  idleInTransactionTimeoutMs: number;
  bytes?: number;
}): Promise<PausedWriter & { pid: number }> => {
  const args = {
    url: o.url,
    worldId: o.worldId,
    token: o.token,
    idleInTransactionTimeoutMs: o.idleInTransactionTimeoutMs,
    bytes: o.bytes ?? 4 << 20,
  };
  const { proc, alive, lines, line, kill, stderr } = await spawnWriterChild('test/helpers/pg-paused-upload-main.ts', args);
  try {
    await line('paused', 20_000);
    const pid = proc.pid ?? 0;
    const until = Date.now() + 10_000;
    while (!isStopped(pid)) {
      if (Date.now() > until) throw new Error('the writer said it paused but is not stopped');
      await sleep(10);
    }
    // Its backend has the start of the INSERT and waits for the rest (the fence row is locked by then).
    await withPgClient(o.url, async (c) => {
      for (;;) {
        const r = await c.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND wait_event = 'ClientRead' AND query LIKE 'INSERT INTO checkpoints%'`,
        );
        if (r.rows.length) break;
        if (Date.now() > until) throw new Error(`the writer's backend was not seen reading its statement: ${stderr().slice(-1500)}`);
        await sleep(10);
      }
    });
  } catch (err) {
    kill();
    throw err;
  }
  return { pid: proc.pid ?? 0, resume: () => proc.kill('SIGCONT'), alive, lines: () => lines, line, kill };
};
