/**
 * How `npm start` (runMain) stops, with real child processes and real signals: a signal during start
 * (held at a deterministic step: `--record` to a FIFO nobody reads yet blocks start at the recorder)
 * stops cleanly after start's current step; a second signal exits 1 at once; `--stop-timeout` bounds a
 * stop that cannot complete; a stop whose final checkpoint fails exits 1; `--version`.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, it } from 'vitest';
import { PROTOCOL_VERSION } from '../../../src/net/protocol.js';
import { WORLD_SNAPSHOT_SCHEMA } from '../../../src/persist/world-snapshot.js';
import { LATEST_SCHEMA_VERSION } from '../../../src/store/migrations.js';
import { fileTempDirs } from '../../helpers/data-dir.js';
import { childNodeArgs } from '../../helpers/child-node.js';
import { collectJsonLines } from '../../helpers/log-lines.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

/** The file's temporary folders (data directories, FIFOs, config files), removed after its tests. */
const tempDir = fileTempDirs();

/**
 * The program `npm start` execs, src/cli/main.ts (compiled once per run: test/helpers/child-node.ts;
 * what is tested here is runMain's stop, the same code either way). `--version` below runs the
 * command itself, `node --import tsx src/cli/main.ts`.
 */
const start = async (args: string[], dataDir = tempDir('wt-stop-')) => {
  const child = spawn(
    process.execPath,
    [...(await childNodeArgs('src/cli/main.ts')), '--port', '0', '--admin-port', '0', '--npcs', '50', ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WORLDTICK_ADMIN_TOKEN: 'test-token', WORLDTICK_DATA_DIR: dataDir },
    },
  );
  const lines = collectJsonLines(child.stdout);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (stderr += d));
  const exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, lines, exited, stderr: () => stderr, dataDir };
};

const waitFor = async (lines: Array<Record<string, unknown>>, msg: string, child: ChildProcess): Promise<Record<string, unknown>> => {
  const deadline = Date.now() + 60_000; // a hang guard: several children start at once
  for (;;) {
    const l = lines.find((x) => x.msg === msg);
    if (l) return l;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no "${msg}" line; got ${lines.map((x) => x.msg).join(', ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/**
 * A FIFO: the recorder's open blocks (in a libuv pool thread, off the event loop) until a reader opens
 * it. `process.exit` joins that thread, so a process that must end while it is blocked (second signal,
 * stop timeout) ends itself with SIGKILL after a log line (src/cli/exit-process.ts); the tests below
 * never open the FIFO in those cases.
 */
const fifo = (): string => {
  const path = join(tempDir('wt-fifo-'), 'rec.fifo');
  execFileSync('mkfifo', [path]);
  return path;
};

const BLOCKED = 'a thread is blocked in a file or DNS operation, so the process cannot exit normally: ending it with SIGKILL';

const msgs = (lines: Array<Record<string, unknown>>): unknown[] => lines.map((l) => l.msg);

/*
 * After the first, the tests below run side by side (each its own process, data directory and FIFO;
 * the longest first): most of their time is waiting (a 1 s repeat window, SQLite's busy timeouts,
 * tsx's start), and one after the other they took ~18 s. Each uses its own `expect` (vitest's rule
 * for concurrent tests).
 */
describe('npm start: stopping', () => {
  // Alone, before the others: its second SIGINT must reach the process within 1 s of the first.
  it('the same signal delivered twice at once (a terminal Ctrl-C under npm, a group kill) is one clean stop: exit 0', async ({
    expect,
  }) => {
    const s = await start([]);
    await waitFor(s.lines, 'server ready', s.child);
    s.child.kill('SIGINT');
    await waitFor(s.lines, 'shutting down', s.child); // the first one handled (two pending signals would merge into one)
    s.child.kill('SIGINT');
    const [code] = await s.exited;
    expect(code).toBe(0);
    expect(msgs(s.lines)).toContain('signal repeated within 1 s: the same stop request (npm and the terminal both deliver it)');
    expect(msgs(s.lines)).not.toContain('second signal: exiting now, without a clean stop');
    expect(msgs(s.lines)).toContain('runtime stopped');
  });

  it.concurrent('a stop whose final checkpoint fails exits 1 (the runtime stopped summary says which world)', async ({ expect }) => {
    const s = await start(['--checkpoint-interval', '0']);
    await waitFor(s.lines, 'server ready', s.child);
    // Another connection holds the write lock: the final checkpoint's write times out (SQLITE_BUSY).
    const db = new Database(join(s.dataDir, 'worldtick.sqlite'));
    try {
      db.exec('BEGIN IMMEDIATE');
      s.child.kill('SIGTERM');
      const [code] = await s.exited;
      expect(code).toBe(1);
      const stopped = s.lines.find((l) => l.msg === 'runtime stopped');
      expect(stopped?.failed).toBeGreaterThanOrEqual(1);
      expect(s.lines.find((l) => l.msg === 'exiting with code 1: final checkpoints not written')).toMatchObject({ failed: ['1'] });
      expect(msgs(s.lines)).not.toContain('bye');
    } finally {
      db.close();
    }
  });

  it.concurrent('--version prints worldtick first, then node, the native packages loaded and the schemas, one `name version` a line; exit 0', async ({
    expect,
  }) => {
    // Not execFileSync: the child's start would hold the event loop the concurrent tests read their children on.
    const { stdout: out } = await promisify(execFile)(process.execPath, [...(await childNodeArgs('src/cli/main.ts')), '--version'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const version = (dir: string): string =>
      (JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as { version: string }).version;
    const lines = out.split('\n');
    expect(lines.pop()).toBe(''); // every line ends in a newline
    expect(lines[0]).toBe(`worldtick ${version('.')}`); // the first line as it always was
    for (const l of lines) expect(l).toMatch(/^\S+ \S+$/);
    const got = Object.fromEntries(lines.map((l) => l.split(' ')));
    expect(Object.keys(got)).toEqual([
      'worldtick',
      'node',
      'uWebSockets.js',
      'better-sqlite3',
      'sqlite',
      'store-schema',
      'checkpoint-schema',
      'protocol',
    ]);
    expect(got).toMatchObject({
      node: process.versions.node,
      'uWebSockets.js': version('node_modules/uWebSockets.js'),
      'better-sqlite3': version('node_modules/better-sqlite3'),
      'store-schema': String(LATEST_SCHEMA_VERSION),
      'checkpoint-schema': String(WORLD_SNAPSHOT_SCHEMA),
      protocol: String(PROTOCOL_VERSION),
    });
    expect(got.sqlite).toMatch(/^3\.\d+\.\d+$/); // the native binding loaded
  });

  it.concurrent('a SIGTERM during start stops cleanly after start’s current step (exit 0, no "server ready")', async ({ expect }) => {
    const rec = fifo();
    const s = await start(['--record', rec]);
    await waitFor(s.lines, 'worldtick starting', s.child);
    s.child.kill('SIGTERM');
    await waitFor(s.lines, 'shutting down', s.child);
    createReadStream(rec).resume(); // start's current step (opening the recording) completes now
    const [code] = await s.exited;
    expect(code).toBe(0);
    expect(msgs(s.lines)).toContain('start ended early: stopping');
    expect(msgs(s.lines)).toContain('runtime stopped');
    expect(msgs(s.lines)).toContain('bye');
    expect(msgs(s.lines)).not.toContain('server ready');
    expect(msgs(s.lines)).not.toContain('loop started');
  });

  it.concurrent('a second signal (after the 1 s repeat window) exits 1 at once, with a log line', async ({ expect }) => {
    const rec = fifo();
    const s = await start(['--record', rec]);
    await waitFor(s.lines, 'worldtick starting', s.child);
    s.child.kill('SIGTERM');
    await waitFor(s.lines, 'shutting down', s.child);
    await new Promise((r) => setTimeout(r, 1100));
    s.child.kill('SIGINT');
    await waitFor(s.lines, 'second signal: exiting now, without a clean stop', s.child);
    // Nobody opens the FIFO: the recorder's open still blocks a pool thread, which process.exit would wait for.
    const [code, signal] = await s.exited;
    expect([code, signal]).toEqual([null, 'SIGKILL']);
    expect(await waitFor(s.lines, BLOCKED, s.child)).toMatchObject({ exitCode: 1, pending: expect.arrayContaining(['FSReqCallback']) }); // stdout may end after 'exit'
    expect(s.lines.find((l) => l.msg === 'second signal: exiting now, without a clean stop')).toMatchObject({
      signal: 'SIGINT',
      first: 'SIGTERM',
    });
  });

  it.concurrent('--stop-timeout: a stop that cannot complete exits 1 after the timeout, with a log line', async ({ expect }) => {
    const rec = fifo();
    const s = await start(['--record', rec, '--stop-timeout', '0.3']);
    await waitFor(s.lines, 'worldtick starting', s.child);
    s.child.kill('SIGINT');
    await waitFor(s.lines, 'stop timed out: exiting without a clean stop', s.child);
    const [code, signal] = await s.exited; // the FIFO is never opened (see fifo())
    expect([code, signal]).toEqual([null, 'SIGKILL']);
    expect(await waitFor(s.lines, BLOCKED, s.child)).toMatchObject({ exitCode: 1, pending: expect.arrayContaining(['FSReqCallback']) }); // stdout may end after 'exit'
    expect(s.lines.find((l) => l.msg === 'shutting down')).toMatchObject({ signal: 'SIGINT', stopTimeoutSeconds: 0.3 });
    expect(msgs(s.lines)).toContain('stop timed out: exiting without a clean stop');
    expect(msgs(s.lines)).not.toContain('bye');
  });

  it.concurrent('WORLDTICK_STOP_TIMEOUT is checked as an option (a bad value exits 2 naming it)', async ({ expect }) => {
    const s = spawn(process.execPath, [...(await childNodeArgs('src/cli/main.ts')), '--help'], {
      cwd: ROOT,
      env: { ...process.env, WORLDTICK_STOP_TIMEOUT: '-1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    s.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    s.stdout.resume();
    const [code] = await once(s, 'close');
    expect(code).toBe(2);
    expect(err).toContain('WORLDTICK_STOP_TIMEOUT must be');
  });
});

describe('npm start: config-file blocks', () => {
  it('a bad scheduler or physicsConfig block exits 2 with the option list, no fatal JSON line', async ({ expect }) => {
    const path = join(tempDir('wt-cfg-'), 'c.json');
    writeFileSync(path, JSON.stringify({ scheduler: { simulation: { timeScale: -1 } }, physicsConfig: { tuning: { x: 1 } } }));
    const s = await start(['--config', path]);
    const [code] = await s.exited;
    expect(code).toBe(2);
    expect(s.stderr()).toContain('worldtick: invalid options:');
    expect(s.stderr()).toContain('  - config file: scheduler.simulation.timeScale must be');
    expect(s.stderr()).toContain('  - config file: physicsConfig.tuning.x is not a known option');
    expect(s.lines).toEqual([]);
  });
});
