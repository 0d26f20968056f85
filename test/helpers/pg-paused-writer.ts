/**
 * A writer paused in the middle of a fenced PostgreSQL write, for tests: a real process
 * (pg-paused-writer-main.ts) opens the product's store and commits a fenced ledger entry; a statement
 * trigger holds that INSERT on the server (its session only, by application name — behind the mark
 * of a fenced write, src/store/postgres-fenced-writers.ts), and the process
 * is SIGSTOPped while it sleeps — once the INSERT returns, its transaction stays open with the world's
 * fence row locked, as a process paused between two statements of a write leaves it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { childNodeArgs } from './child-node.js';
import { withPgClient } from './shared-postgres.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const APP = 'wt-paused-writer';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The stopped writer. */
export interface PausedWriter {
  /** SIGCONT. */
  resume(): void;
  /** True while the process runs or is stopped (not exited). */
  alive(): boolean;
  /** Lines the process printed so far (`msg`: open, commit, retry). */
  lines(): Array<Record<string, unknown>>;
  /** The first line with `msg`, waiting up to `deadlineMs`. */
  line(msg: string, deadlineMs?: number): Promise<Record<string, unknown>>;
  /** SIGCONT then SIGKILL when still alive (cleanup). */
  kill(): void;
}

/**
 * Start the writer on `url` with a fenced ledger commit of (`worldId`, `token`), and stop it while its
 * INSERT is held on the server (`holdSeconds`). `idleInTransactionTimeoutMs`: the store option under test.
 */
export const startPausedWriter = async (o: {
  url: string;
  worldId: string;
  token: number;
  idleInTransactionTimeoutMs: number;
  holdSeconds?: number;
}): Promise<PausedWriter> => {
  const fn = `wt_test_hold_${o.worldId.replace(/\W/g, '_')}`;
  await withPgClient(o.url, async (c) => {
    await c.query(`CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF current_setting('application_name') LIKE '%${APP}' THEN PERFORM pg_sleep(${o.holdSeconds ?? 1.5}); END IF; RETURN NULL; END $$`);
    await c.query(`CREATE OR REPLACE TRIGGER ${fn} BEFORE INSERT ON ledger FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`);
  });
  const args = {
    url: `${o.url}${o.url.includes('?') ? '&' : '?'}application_name=${APP}`,
    worldId: o.worldId,
    token: o.token,
    queryTimeoutMs: 30_000,
    idleInTransactionTimeoutMs: o.idleInTransactionTimeoutMs,
  };
  const { proc, alive, lines, line, kill, stderr } = await spawnWriterChild('test/helpers/pg-paused-writer-main.ts', args);
  try {
    await line('open', 20_000);
    // Stop the process while its INSERT is held on the server: the fence row is locked by then.
    await withPgClient(o.url, async (c) => {
      const until = Date.now() + 10_000;
      for (;;) {
        const r = await c.query(`SELECT 1 FROM pg_stat_activity WHERE application_name LIKE $1 AND wait_event = 'PgSleep'`, [`%${APP}`]);
        if (r.rows.length) break;
        if (Date.now() > until) throw new Error(`the writer's INSERT was not seen held: ${JSON.stringify(lines)} ${stderr().slice(-1500)}`);
        await sleep(10);
      }
    });
    proc.kill('SIGSTOP');
  } catch (err) {
    kill();
    throw err;
  }
  return { resume: () => proc.kill('SIGCONT'), alive, lines: () => lines, line, kill };
};

/** A writer child (`main`, given `args` as JSON) with its output lines watched (shared by pg-paused-upload.ts). */
export const spawnWriterChild = async (
  main: string,
  args: Record<string, unknown>,
): Promise<{
  proc: ChildProcess;
  alive(): boolean;
  lines: Array<Record<string, unknown>>;
  line(msg: string, deadlineMs?: number): Promise<Record<string, unknown>>;
  kill(): void;
  stderr(): string;
}> => {
  const proc = spawn(process.execPath, [...(await childNodeArgs(main)), JSON.stringify(args)], { cwd: ROOT });
  let stderr = '';
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (d: string) => (stderr += d));
  const lines: Array<Record<string, unknown>> = [];
  if (proc.stdout) createInterface({ input: proc.stdout }).on('line', (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
  const alive = (): boolean => proc.exitCode === null && proc.signalCode === null;
  const line = async (msg: string, deadlineMs = 10_000): Promise<Record<string, unknown>> => {
    const until = Date.now() + deadlineMs;
    for (;;) {
      const found = lines.find((l) => l.msg === msg);
      if (found) return found;
      if (!alive()) throw new Error(`paused writer exited without a ${msg} line: ${stderr.slice(-1500)}`);
      if (Date.now() > until) throw new Error(`no ${msg} line from the paused writer: ${stderr.slice(-1500)}`);
      await sleep(20);
    }
  };
  const kill = (): void => {
    if (!alive()) return;
    proc.kill('SIGCONT');
    proc.kill('SIGKILL');
  };
  return { proc, alive, lines, line, kill, stderr: () => stderr };
};
