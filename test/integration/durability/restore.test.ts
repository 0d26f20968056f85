/**
 * `npm run restore` (src/cli/restore.ts) end to end, with real server processes: a reward is
 * granted, a backup taken (`npm run backup`), a second reward granted, the server SIGKILLed (its
 * WAL left behind), the backup restored with `npm run restore`; a server started on the data
 * directory has the first reward and not the second, the previous store is kept (WAL folded in,
 * both rewards), and a restore while that server runs is refused (exit 3) with nothing changed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { launchInstance, startInstance, type TestInstance } from '../../helpers/cluster-instances.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { dirSnapshot, restoreInProcess } from '../../helpers/restore-cli.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const PLAYER = `t:${'cd'.repeat(16)}`;

/** Coins of PLAYER in the store file `file` (opened read-only, nothing beside it to replay). */
const coinsInFile = (file: string): number => {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (
      db.prepare("SELECT coalesce(sum(coins_delta), 0) AS c FROM ledger WHERE player_id = ? AND status = 'ok'").get(PLAYER) as { c: number }
    ).c;
  } finally {
    db.close();
  }
};

describe('npm run restore', () => {
  const data = tempDataDir('wt-rs-data-');
  const out = tempDataDir('wt-rs-out-');
  const servers: TestInstance[] = [];
  const warm: Array<() => void> = [];
  afterAll(async () => {
    for (const kill of warm) kill();
    await Promise.all(servers.map((s) => s.stop()));
    data.remove();
    out.remove();
  }, 30_000);

  it('puts a backup back over a crashed server’s store; the next server sees the backed-up data', async () => {
    const args = ['--data-dir', data.dir, '--npcs', '50', '--stats-interval', '0'];
    const a = await startInstance('rs-a', args);
    servers.push(a);
    // The server after the restore loads its modules meanwhile; it opens the store only on its go, below.
    const bLaunch = await launchInstance('rs-b', args);
    warm.push(bLaunch.kill);
    const reward = async (s: TestInstance, key: string, coins: number) =>
      expect((await s.api('POST', '/api/v1/worlds/1/ledger/rewards', { playerId: PLAYER, key, coins })).status).toBe(200);
    const coins = async (s: TestInstance): Promise<number> =>
      (await s.api('GET', `/api/v1/worlds/1/ledger/players/${encodeURIComponent(PLAYER)}`)).json.balance.coins;
    await reward(a, 'before-backup', 5);
    const backupFile = join(out.dir, 'b.sqlite');
    const bk = spawnSync('npm', ['run', '--silent', 'backup', '--', '--data-dir', data.dir, '--out', backupFile], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(bk.status, bk.stderr).toBe(0);
    await reward(a, 'after-backup', 7);
    expect(await coins(a)).toBe(12);
    // A crash: the second reward is committed (acknowledged) and may be only in the WAL.
    a.child.kill('SIGKILL');
    await new Promise((r) => a.child.once('exit', r));
    const store = join(data.dir, 'worldtick.sqlite');
    expect(existsSync(`${store}-wal`)).toBe(true);

    const rs = spawnSync('npm', ['run', '--silent', 'restore', '--', backupFile, '--data-dir', data.dir], { cwd: ROOT, encoding: 'utf8' });
    expect(rs.status, rs.stderr).toBe(0);
    const steps = rs.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/)[0]);
    expect(steps).toEqual(['checked', 'probed', 'copied', 'verified', 'kept', 'restored', 'next']);
    expect(rs.stdout).toMatch(/WAL a stopped server left was folded into it/);
    const files = readdirSync(data.dir);
    const kept = files.find((f) => /^worldtick\.sqlite\.before-restore-\d{8}T\d{6}Z$/.test(f));
    expect(kept, files.join(' ')).toBeDefined();
    // Only the restored store and the kept one: no WAL, index or temp file next to the restored file.
    // (worldtick.lock: the servers' empty data-directory lock, src/server/data-dir-lock.ts.)
    expect(files.filter((f) => (f.startsWith('worldtick') || f.startsWith('.')) && f !== 'worldtick.lock').sort()).toEqual(
      ['worldtick.sqlite', kept].sort(),
    );
    expect(coinsInFile(join(data.dir, kept!))).toBe(12);
    expect(coinsInFile(store)).toBe(5);

    const b = await bLaunch.go();
    servers.push(b);
    expect(b.lines.some((l) => l.msg === 'world restored' && l.world === '1')).toBe(true);
    expect(await coins(b)).toBe(5);
    expect((await b.api('GET', '/api/v1/ledger/verify')).json).toMatchObject({ ok: true, mismatches: [] });

    // The same restore (the command's code, here in process) while b runs on the store: refused at
    // once, nothing changed.
    const before = dirSnapshot(data.dir, false);
    const busy = await restoreInProcess([backupFile, '--data-dir', data.dir]);
    expect(busy.status, busy.stderr).toBe(3);
    expect(busy.stderr).toMatch(/WT_ERR_RESTORE_STORE_IN_USE: .*is open in another process/);
    expect(dirSnapshot(data.dir, false)).toEqual(before);
    await reward(b, 'after-refusal', 1);
    expect(await coins(b)).toBe(6);
  }, 60_000);
});
