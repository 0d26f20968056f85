/**
 * `npm run store-copy -- --from postgres://… --to sqlite:<dir>` (src/cli/store-copy-to-sqlite.ts) end to
 * end, with real processes, real SQLite files and a real PostgreSQL (a fresh database of the run's
 * shared server; skipped with a message where none can be had). The round trip: a game server on
 * SQLite takes purchases and player data and stops; the store goes to PostgreSQL and back into a new
 * directory, every table's digest on the way back equal to the original's; a server on the result
 * answers a repeated purchase key with its first seq and the same balance, has the player's data, and
 * gives a new purchase a seq past every number PostgreSQL handed out (AUTOINCREMENT set past its sequence). Refusals change
 * nothing: a server on the source (single instance), a cluster instance's shared store lock on it
 * (the lock code a `--redis` instance runs), a server on the target directory, a target directory
 * holding a store. Killed mid-copy
 * (SIGKILL while PostgreSQL holds its read of the last table behind a test session's table lock), the
 * target holds no `worldtick.sqlite` — nothing a server would start from — and the next copy into it
 * runs to its end, the killed one's `.copying` file gone.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { lockPostgresStore } from '../../../src/server/pg-store-lock.js';
import { PostgresStore } from '../../../src/store/postgres-store.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { waitFor } from '../../helpers/game-process.js';
import { dirSnapshot } from '../../helpers/restore-cli.js';
import { rewardEntry } from '../../helpers/ledger-entries.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { freshDatabase, withPgClient } from '../../helpers/shared-postgres.js';
import { copyReport, spawnCopy, storeCopy } from '../../helpers/store-copy-cli.js';
import { copyTestServers } from '../../helpers/store-copy-servers.js';

const db = await freshDatabase();
if ('skip' in db) console.warn(`[store-copy reverse] skipped: ${db.skip}`);
const url = 'skip' in db ? '' : db.url;
const work = tempDataDir('wt-store-copy-rev-');
const source = join(work.dir, 'source');
const { serve, stop, api, client, killAll } = copyTestServers(work.dir);

afterAll(async () => {
  killAll();
  work.remove();
  if (!('skip' in db)) await db.destroy();
});

type Check = { table: string; sourceDigest: string; targetDigest: string; sourceRows: number; same: boolean };

describe.skipIf('skip' in db)('npm run store-copy (PostgreSQL → SQLite)', () => {
  it('round trip SQLite → PostgreSQL → SQLite: same tables, exactly-once carries over; refusals change nothing', async () => {
    // 1. A server on SQLite: two purchases, the player's data; stopped; copied to PostgreSQL.
    const a = await serve(['--data-dir', source]);
    const c = await client(a);
    const arrows = await c.purchase('k-arrow', 'arrow', 3, 1);
    const potion = await c.purchase('k-potion', 'potion', 1, 10);
    expect(potion).toMatchObject({ status: 'ok', replayed: false });
    const bob = String((await waitFor(() => a.lines.find((l) => l.msg === 'pd-join'))).playerId);
    c.close();
    await stop(a);
    const src = new Database(join(source, 'worldtick.sqlite'), { readonly: true });
    const lastSeq = (src.prepare('SELECT max(seq) AS s FROM ledger').get() as { s: number }).s;
    src.close();
    const there = await storeCopy(['--from', `sqlite:${source}`, '--to', url]);
    expect(there.status, there.stderr).toBe(0);
    const original = copyReport(there.stdout).tables as Check[];
    // Numbers handed out on PostgreSQL past the last row (refusals recorded, then pruned): never to be reused.
    const handedOut = lastSeq + 100;
    await withPgClient(url, (q) => q.query("SELECT setval(pg_get_serial_sequence('ledger', 'seq'), $1)", [handedOut]));

    // 2. Back into a new directory: every table as the original SQLite store held it.
    const back = join(work.dir, 'back');
    const r = await storeCopy(['--from', url, '--to', `sqlite:${back}`]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/locked {4}.* \(store lock\) and .*back \(data-directory lock\)/);
    expect(r.stdout).toMatch(/renamed {3}worldtick\.sqlite\.copying to .*back\/worldtick\.sqlite/);
    const report = copyReport(r.stdout);
    expect(report).toMatchObject({ ok: true, targetSchema: { from: 0 }, ledger: { same: true }, sequences: { 'ledger.seq': handedOut } });
    const tables = report.tables as Check[];
    expect(tables.map((t) => t.table)).toEqual(original.map((t) => t.table));
    for (const [i, t] of tables.entries()) {
      expect(t.same, t.table).toBe(true);
      expect(t.targetDigest, t.table).toBe(original[i]?.sourceDigest);
    }
    expect(readdirSync(back).sort()).toEqual(['worldtick.lock', 'worldtick.sqlite']);

    // 3. A server on the result: the player's data; a repeated key answers its first seq; a new seq is past the copied ones.
    const b = await serve(['--data-dir', back]);
    expect(await api(b, 'GET', `/players/${encodeURIComponent(bob)}/data/joins`)).toMatchObject({ status: 200, json: { value: 1 } });
    const d = await client(b);
    const again = await d.purchase('k-arrow', 'arrow', 3, 1);
    expect(again).toMatchObject({ status: 'ok', replayed: true, seq: arrows.seq });
    expect(again.coins).toBe(potion.coins);
    const next = await d.purchase('k-sword', 'sword', 1, 150);
    expect(next).toMatchObject({ status: 'ok', replayed: false, coins: (potion.coins ?? 0) - 150 });
    expect(next.seq).toBeGreaterThan(handedOut);
    d.close();
    // Refused while that server runs on the target directory.
    const busyTarget = await storeCopy(['--from', url, '--to', `sqlite:${back}`]);
    expect(busyTarget.status, busyTarget.stderr).toBe(3);
    expect(busyTarget.stderr).toMatch(/WT_ERR_DATA_DIR_IN_USE: data directory .*back is in use by another worldtick server/);
    await stop(b);

    // 4. Refused into a directory holding a store: it does not change.
    const held = dirSnapshot(back);
    const full = await storeCopy(['--from', url, '--to', `sqlite:${back}`]);
    expect(full.status, full.stderr).toBe(2);
    expect(full.stderr).toMatch(/WT_ERR_STORE_COPY_TARGET_NOT_EMPTY: target .*back already holds a worldtick store \(worldtick\.sqlite\)/);
    expect(dirSnapshot(back)).toEqual(held);

    // 5. Refused while a server runs on the source (exclusive lock), or a cluster instance (shared): no target made.
    const absent = join(work.dir, 'absent');
    const p = await serve(['--store', url]);
    const busy = await storeCopy(['--from', url, '--to', `sqlite:${absent}`]);
    expect(busy.status, busy.stderr).toBe(3);
    expect(busy.stderr).toMatch(/WT_ERR_STORE_IN_USE: PostgreSQL database .* is in use by another worldtick server without --redis/);
    expect(existsSync(absent)).toBe(false);
    await stop(p);
    const cluster = await lockPostgresStore(url, createLogger('silent', process.stderr), { shared: true });
    try {
      const shared = await storeCopy(['--from', url, '--to', `sqlite:${absent}`]);
      expect(shared.status, shared.stderr).toBe(3);
      expect(shared.stderr).toMatch(/WT_ERR_STORE_IN_USE: PostgreSQL database .* is in use by 1 worldtick cluster instance/);
      expect(existsSync(absent)).toBe(false);
    } finally {
      await cluster.release();
    }
  }, 180_000);

  it('killed mid-copy: no worldtick.sqlite in the target; the next copy runs to its end', async () => {
    // A source of its own: a PostgreSQL store with a ledger (written through the store's API).
    const own = (await freshDatabase()) as PgServer;
    try {
      const url = own.url;
      const store = await PostgresStore.open({ url });
      await store.commitLedger(Array.from({ length: 50 }, (_, i) => rewardEntry(`k${i}`, { playerId: `t:p${i % 5}` })));
      await store.close();
      const target = join(work.dir, 'killed');
      // A session of the test holds the last table; the copy's snapshot read waits for it there.
      const holder = new pg.Client({ connectionString: url });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('LOCK TABLE player_data_batch_reads IN ACCESS EXCLUSIVE MODE');
        const child = await spawnCopy(['--from', url, '--to', `sqlite:${target}`]);
        let stdout = '';
        child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
        try {
          await waitFor(
            () =>
              withPgClient(url, async (q) => {
                const w = await q.query(
                  "SELECT 1 FROM pg_stat_activity WHERE application_name = 'worldtick-store-copy' AND wait_event_type = 'Lock'",
                );
                return w.rows.length ? true : undefined;
              }),
            60_000,
          );
          child.kill('SIGKILL');
          await new Promise((r) => child.once('close', r));
        } finally {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        }
        expect(stdout).toMatch(/copied {4}ledger: \d+ row\(s\)/);
      } finally {
        await holder.query('ROLLBACK');
        await holder.end();
      }
      // Nothing a server would start from: its store file is not there (the killed copy's is under another name).
      expect(existsSync(join(target, 'worldtick.sqlite'))).toBe(false);
      expect(readdirSync(target)).toContain('worldtick.sqlite.copying');
      expect(readdirSync(target).filter((f) => !f.startsWith('worldtick.sqlite.copying') && f !== 'worldtick.lock')).toEqual([]);
      const again = await storeCopy(['--from', url, '--to', `sqlite:${target}`]);
      expect(again.status, again.stderr).toBe(0);
      expect(copyReport(again.stdout)).toMatchObject({ ok: true, ledger: { same: true, target: { entriesRead: 50, players: 5 } } });
      expect(readdirSync(target).sort()).toEqual(['worldtick.lock', 'worldtick.sqlite']);
    } finally {
      await own.destroy();
    }
  }, 120_000);
});
