/**
 * The restore marker (`worldtick.sqlite.restoring`, src/store/restore-marker.ts) with real processes.
 * `npm run restore` creates it before it probes the store and removes it when it ends; a server
 * (and `npm run backup`) opening the store while it exists refuses to start. So a server started
 * in the window between restore's probe and its rename — started here from inside the restore, at
 * the `kept` step, the last one before the rename — refuses (exit 2, `WT_ERR_STORE_RESTORING`)
 * instead of running on the file the rename unlinks. A marker left by a killed restore is named
 * stale and refused until removed by hand. A restore refused because a server runs probes before
 * it copies: no copy is made. An interrupted restore (SIGTERM) removes its marker and changes nothing.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runRestoreCli } from '../../../src/cli/restore.js';
import { childNodeArgs } from '../../helpers/child-node.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { startGameProcess, type GameProcess } from '../../helpers/game-process.js';
import { coinsIn, dirSnapshot, restoreInProcess, storeWithCoins } from '../../helpers/restore-cli.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const TOKEN = 'restore-marker-test-token-0123456789abcdef';
const SERVER_ARGS = ['--port', '0', '--admin-port', '0', '--npcs', '10', '--stats-interval', '0'];

/** The server (`npm start`'s program; its refusal is the subject), compiled once per run (test/helpers/child-node.ts). */
const MAIN = await childNodeArgs('src/cli/main.ts');
const BACKUP = await childNodeArgs('src/cli/backup-main.ts');

/** `npm start` on `dataDir`, run to its exit (a server that starts instead is stopped after `timeout` ms: status null). */
const startToExit = (dataDir: string, timeout = 45_000): SpawnSyncReturns<string> =>
  spawnSync(process.execPath, [...MAIN, ...SERVER_ARGS, '--data-dir', dataDir], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout,
    env: { ...process.env, WORLDTICK_ADMIN_TOKEN: TOKEN },
  });

/** The fatal JSON line a refused start logs. */
const fatalLine = (out: string): Record<string, unknown> | undefined =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.level === 60);

const markerOf = (dir: string): string => join(dir, 'worldtick.sqlite.restoring');

/** A pid no process has now (a child that has exited). */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid;

describe('the restore marker', () => {
  const data = tempDataDir('wt-rm-data-');
  const src = tempDataDir('wt-rm-src-');
  let backup = '';
  const servers: GameProcess[] = [];
  afterAll(() => {
    for (const s of servers) s.child.kill('SIGKILL');
    data.remove();
    src.remove();
  });

  it('a server started between the probe and the rename refuses to start; the restore completes', async () => {
    await storeWithCoins(data.dir, 3);
    backup = await storeWithCoins(src.dir, 9);
    let out = '';
    let err = '';
    let server: SpawnSyncReturns<string> | undefined;
    let markerAtKept = false;
    const status = await runRestoreCli(['node', 'restore-main.ts', backup, '--data-dir', data.dir], process.env, {
      out: (t) => {
        out += t;
        if (t.startsWith('kept')) {
          // The restore is between its probe and its rename: a server is started on the store now.
          markerAtKept = existsSync(markerOf(data.dir));
          server = startToExit(data.dir);
        }
      },
      err: (t) => (err += t),
    });
    expect(status, err).toBe(0);
    expect(markerAtKept).toBe(true);
    expect(server?.status, `${server?.stdout}\n${server?.stderr}`).toBe(2);
    expect(fatalLine(server!.stdout)).toMatchObject({ code: 'WT_ERR_STORE_RESTORING' });
    expect(server!.stderr).toContain(markerOf(data.dir));
    expect(server!.stderr).toMatch(/npm run restore \(pid \d+, started .*\) is replacing/);
    // The restore went on: the store is the backup's, the marker gone, no WAL of the refused server beside it.
    expect(out.split('\n').map((l) => l.split(/\s+/)[0])).toEqual([
      'checked',
      'probed',
      'copied',
      'verified',
      'kept',
      'restored',
      'next',
      '',
    ]);
    expect(readdirSync(data.dir).filter((f) => !f.includes('.before-restore-') && f !== 'worldtick.lock')).toEqual(['worldtick.sqlite']);
    expect(await coinsIn(data.dir)).toBe(9);
  }, 120_000);

  it('a marker left by a killed restore: the server and restore refuse, naming it stale; removed, both go on', async () => {
    const marker = markerOf(data.dir);
    const pid = deadPid();
    writeFileSync(marker, `${JSON.stringify({ pid, startedAt: '2026-12-01T05:00:00.000Z', host: hostname() })}\n`);
    const before = dirSnapshot(data.dir);
    const server = startToExit(data.dir);
    expect(server.status, server.stdout + server.stderr).toBe(2);
    expect(fatalLine(server.stdout)).toMatchObject({ code: 'WT_ERR_STORE_RESTORING' });
    expect(server.stderr).toContain(`pid ${pid} is not running`);
    expect(server.stderr).toContain(`if no restore is running, remove ${marker}`);
    const rs = await restoreInProcess([backup, '--data-dir', data.dir]);
    expect(rs.status, rs.stderr).toBe(3);
    expect(rs.stderr).toMatch(/WT_ERR_RESTORE_STORE_IN_USE: .*worldtick\.sqlite\.restoring.*pid \d+ is not running/);
    expect(rs.stdout).not.toMatch(/^copied/m);
    expect(dirSnapshot(data.dir)).toEqual(before);

    rmSync(marker);
    const ok = await restoreInProcess([backup, '--data-dir', data.dir]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(existsSync(marker)).toBe(false);
  }, 120_000);

  it('npm run backup refuses while a restore runs', () => {
    const marker = markerOf(data.dir);
    writeFileSync(marker, `${JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString(), host: hostname() })}\n`);
    try {
      const out = join(src.dir, 'during-restore.sqlite');
      const bk = spawnSync(process.execPath, [...BACKUP, '--data-dir', data.dir, '--out', out], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      expect(bk.status, bk.stdout).toBe(2);
      expect(bk.stderr).toMatch(/WT_ERR_STORE_RESTORING|is replacing/);
      expect(existsSync(out)).toBe(false);
    } finally {
      rmSync(marker, { force: true });
    }
  }, 30_000);

  it('a restore interrupted (SIGTERM) after its probe removes its marker and changes nothing', async () => {
    const before = dirSnapshot(data.dir);
    const stop = new AbortController();
    let err = '';
    const status = await runRestoreCli(
      ['node', 'restore-main.ts', backup, '--data-dir', data.dir],
      process.env,
      {
        out: (t) => {
          if (t.startsWith('probed')) stop.abort('SIGTERM');
        },
        err: (t) => (err += t),
      },
      stop.signal,
    );
    expect(status, err).toBe(143);
    expect(err).toMatch(/WT_ERR_RESTORE_INTERRUPTED: .*SIGTERM/);
    expect(err).toMatch(/nothing was changed/);
    expect(dirSnapshot(data.dir)).toEqual(before);
  });

  it('a restore refused because a server runs on the store makes no copy first', async () => {
    const server = await startGameProcess({ main: 'src/cli/main.ts', args: SERVER_ARGS, dataDir: data.dir, token: TOKEN });
    servers.push(server);
    const before = dirSnapshot(data.dir, false);
    const rs = await restoreInProcess([backup, '--data-dir', data.dir]);
    expect(rs.status, rs.stderr).toBe(3);
    expect(rs.stderr).toMatch(/WT_ERR_RESTORE_STORE_IN_USE: .*is open in another process/);
    // The steps done before the refusal: the backup checked, nothing copied.
    expect(
      rs.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(['checked']);
    expect(dirSnapshot(data.dir, false)).toEqual(before);
    server.child.kill('SIGTERM');
  }, 120_000);
});
