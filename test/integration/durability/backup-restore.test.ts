/**
 * `npm run backup` (src/cli/backup.ts) on a running server: a real server process writes
 * checkpoints every second and ledger rewards in a loop while backups are taken; each copy passes
 * `integrity_check` and holds every reward acknowledged before the backup started. A server started
 * on a data directory holding only the backup (the documented restore: docs/DURABILITY.md "Backup
 * and restore") restores the world from its checkpoint and has every one of those rewards,
 * with 0 mismatches in `GET /api/v1/ledger/verify`.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { backupSqliteStore } from '../../../src/cli/backup.js';
import { startInstance, until, type TestInstance } from '../../helpers/cluster-instances.js';
import { childNodeArgs } from '../../helpers/child-node.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const BACKUP = await childNodeArgs('src/cli/backup-main.ts');
const PLAYER = `t:${'ab'.repeat(16)}`;

describe('backup of the SQLite store while the server runs, and restore from it', () => {
  const dirs = [tempDataDir('wt-bk-src-'), tempDataDir('wt-bk-out-'), tempDataDir('wt-bk-restore-')];
  const [src, out, restored] = dirs;
  const servers: TestInstance[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    for (const d of dirs) d.remove();
  }, 30_000);

  it('copies are consistent under writes, and a server restores from one', async () => {
    const a = await startInstance('bk', ['--data-dir', src.dir, '--npcs', '300', '--checkpoint-interval', '1', '--stats-interval', '0']);
    servers.push(a);
    await until('a first checkpoint', async () => (await a.api('GET', '/api/v1/worlds/1/stats')).json.checkpoint?.saved >= 1);
    // Ledger writes in a loop while the backups run (each reward is acknowledged once durable).
    let acked = 0;
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const r = await a.api('POST', '/api/v1/worlds/1/ledger/rewards', { playerId: PLAYER, key: `bk-${i}`, coins: 1 });
        expect(r.status).toBe(200);
        acked = i + 1;
      }
    })();
    await until('some rewards acknowledged', () => acked >= 20);
    const reports = [];
    for (let k = 0; k < 3; k++) {
      const ackedBefore = acked;
      const report = await backupSqliteStore(src.dir, join(out.dir, `b${k}.sqlite`));
      expect(report.integrity).toBe('ok');
      expect(report.worlds).toBe(1);
      expect(report.checkpoints).toBeGreaterThanOrEqual(1);
      expect(report.ledgerEntries).toBeGreaterThanOrEqual(ackedBefore);
      reports.push(report);
      await until('more rewards after the backup', () => acked >= ackedBefore + 5); // writes between the copies
    }
    // The command line: same copy, JSON report, exit 0; an existing --out is refused (exit 2), not overwritten.
    // Both commands run at once (each is a process start), with the restore below.
    const cli = (file: string): Promise<{ status: number; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        execFile(process.execPath, [...BACKUP, '--data-dir', src.dir, '--out', file], { cwd: ROOT }, (err, stdout, stderr) =>
          resolve({ status: err ? Number(err.code) : 0, stdout, stderr }),
        );
      });
    const ackedBeforeCli = acked;
    const existing = join(out.dir, 'b0.sqlite');
    const existingStat = statSync(existing);
    const commands = Promise.all([cli(join(out.dir, 'cli.sqlite')), cli(existing)]);

    // Restore: a fresh data directory holding only the last backup as worldtick.sqlite.
    const last = reports[reports.length - 1];
    const copy = new Database(last.out, { readonly: true });
    const lastCheckpointStep = (copy.prepare("SELECT max(step) AS s FROM checkpoints WHERE world_id = '1'").get() as { s: number }).s;
    copy.close();
    mkdirSync(restored.dir, { recursive: true });
    copyFileSync(last.out, join(restored.dir, 'worldtick.sqlite'));
    expect(existsSync(join(restored.dir, 'worldtick.sqlite-wal'))).toBe(false);
    const b = await startInstance('rs', ['--data-dir', restored.dir, '--npcs', '300', '--stats-interval', '0']);
    servers.push(b);
    const [ok, again] = await commands;
    writing = false;
    await writer;
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ integrity: 'ok', schemaVersion: expect.any(Number) });
    expect(JSON.parse(ok.stdout).ledgerEntries).toBeGreaterThanOrEqual(ackedBeforeCli);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/exists: a backup never overwrites/);
    expect(statSync(existing)).toMatchObject({ size: existingStat.size, mtimeMs: existingStat.mtimeMs });
    const line = b.lines.find((l) => l.msg === 'world restored' && l.world === '1');
    expect(line?.fromStep).toBe(lastCheckpointStep);
    const player = (await b.api('GET', `/api/v1/worlds/1/ledger/players/${encodeURIComponent(PLAYER)}?limit=10000`)).json;
    expect(player.balance.coins).toBe(last.ledgerEntries);
    expect(player.balance.coins).toBeGreaterThanOrEqual(20);
    const verify = (await b.api('GET', '/api/v1/ledger/verify')).json;
    expect(verify).toMatchObject({ ok: true, mismatches: [] });
  }, 90_000);
});
