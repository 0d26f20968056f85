/**
 * `npm run store-copy` (src/cli/store-copy.ts) end to end, with real processes, a real SQLite store
 * and a real PostgreSQL (a fresh database of the run's shared server; skipped with a message where
 * none can be had): a game server on SQLite takes purchases, player data and an admin world, and
 * stops; the copy moves it to PostgreSQL and proves it; a server on the target restores both worlds
 * (the admin world still in maintenance: operator state), answers a repeated purchase key with its
 * first seq and the same balance, has the player's data, and a new purchase gets a seq past the
 * copied ones. Refusals — a server running on the source, a
 * server running on the target, a target holding worldtick data — change nothing. Last, a cluster
 * instance (--redis, a real redis-server) on the target owns both worlds, replays the key and commits
 * new purchases.
 */
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDataDir } from '../../helpers/data-dir.js';
import { waitFor } from '../../helpers/game-process.js';
import { dirSnapshot } from '../../helpers/restore-cli.js';
import { findRedisServer, startRedisServer } from '../../helpers/redis-server.js';
import { freshDatabase } from '../../helpers/shared-postgres.js';
import { copyReport, storeCopy, targetCounts } from '../../helpers/store-copy-cli.js';
import { copyTestServers } from '../../helpers/store-copy-servers.js';

const pg = await freshDatabase();
if ('skip' in pg) console.warn(`[store-copy] skipped: ${pg.skip}`);
const url = 'skip' in pg ? '' : pg.url;
const source = tempDataDir('wt-store-copy-src-');
const { serve, stop, api, client, killAll } = copyTestServers(source.dir);

afterAll(async () => {
  killAll();
  source.remove();
  if (!('skip' in pg)) await pg.destroy();
});

describe.skipIf('skip' in pg)('npm run store-copy (SQLite → PostgreSQL)', () => {
  it('moves a stopped server’s worlds, wallets and player data; exactly-once carries over; refusals change nothing', async () => {
    // 1. A server on SQLite: an admin world, two purchases, the player's data (its `joins` counter).
    const a = await serve(['--data-dir', source.dir]);
    expect((await api(a, 'POST', '/worlds', { id: 'arena', npcs: 0 })).status).toBe(201);
    // Operator state: the arena in maintenance (durable: kept in the store).
    expect((await api(a, 'PUT', '/worlds/arena/maintenance', { on: true, reason: 'moving' })).json).toMatchObject({ durable: true });
    const c = await client(a);
    const arrows = await c.purchase('k-arrow', 'arrow', 3, 1);
    const potion = await c.purchase('k-potion', 'potion', 1, 10);
    expect(arrows).toMatchObject({ status: 'ok', replayed: false });
    expect(potion).toMatchObject({ status: 'ok', replayed: false });
    const joined = await waitFor(() => a.lines.find((l) => l.msg === 'pd-join'));
    const bob = String(joined.playerId);
    expect(joined).toMatchObject({ status: 'ok', value: 1 });
    c.close();

    // Refused while that server runs on the source: nothing written to the target.
    const busySource = await storeCopy(['--from', `sqlite:${source.dir}`, '--to', url]);
    expect(busySource.status, busySource.stderr).toBe(3);
    expect(busySource.stderr).toMatch(/WT_ERR_DATA_DIR_IN_USE: data directory .* is in use by another worldtick server/);
    expect(await targetCounts(url)).toEqual({});
    await stop(a);

    // 2. The copy.
    const src = new Database(`${source.dir}/worldtick.sqlite`, { readonly: true });
    const lastSeq = (src.prepare('SELECT max(seq) AS s FROM ledger').get() as { s: number }).s;
    const ledgerRows = (src.prepare('SELECT count(*) AS n FROM ledger').get() as { n: number }).n;
    src.close();
    // This copy as `npm run store-copy` runs it (through tsx); the store-copy tests' other copies run compiled.
    const copy = await storeCopy(['--from', `sqlite:${source.dir}`, '--to', url], { tsx: true });
    expect(copy.status, copy.stderr).toBe(0);
    const report = copyReport(copy.stdout);
    expect(report).toMatchObject({ ok: true, targetSchema: { from: 0 }, ledger: { same: true }, sequences: { 'ledger.seq': lastSeq } });
    expect(report.tables.every((t: { same: boolean }) => t.same)).toBe(true);
    expect(report.tables.find((t: { table: string }) => t.table === 'ledger').targetRows).toBe(ledgerRows);
    expect(report.tables.find((t: { table: string }) => t.table === 'player_data').targetRows).toBeGreaterThan(0);
    const copied = await targetCounts(url);
    expect(copied.ledger).toBe(ledgerRows);

    // 3. A server on the target: the same worlds, wallet and player data; a repeated key answers its first seq.
    const sourceFiles = dirSnapshot(source.dir);
    const b = await serve(['--store', url]);
    expect(
      b.lines
        .filter((l) => l.msg === 'world restored')
        .map((l) => l.world)
        .sort(),
    ).toEqual(['1', 'arena']);
    expect((await api(b, 'GET', '/worlds/arena/maintenance')).json).toMatchObject({ on: true, world: { reason: 'moving' } });
    const data = await api(b, 'GET', `/players/${encodeURIComponent(bob)}/data/joins`);
    expect(data).toMatchObject({ status: 200, json: { value: 1, version: 1 } });
    const d = await client(b);
    const again = await d.purchase('k-arrow', 'arrow', 3, 1);
    expect(again).toMatchObject({ status: 'ok', replayed: true, seq: arrows.seq });
    expect(again.coins).toBe(potion.coins);
    const next = await d.purchase('k-sword', 'sword', 1, 150);
    expect(next.status).toBe('ok');
    expect(next.seq).toBeGreaterThan(lastSeq);
    expect(next.coins).toBe((potion.coins ?? 0) - 150);
    d.close();
    expect((await api(b, 'GET', '/ledger/verify')).json).toMatchObject({ ok: true, mismatches: [] });

    // Refused while a server runs on the target: the source untouched.
    const busyTarget = await storeCopy(['--from', `sqlite:${source.dir}`, '--to', url]);
    expect(busyTarget.status, busyTarget.stderr).toBe(3);
    expect(busyTarget.stderr).toMatch(/WT_ERR_STORE_IN_USE: PostgreSQL database .* is in use/);
    expect(dirSnapshot(source.dir)).toEqual(sourceFiles);
    await stop(b);

    // Refused: the target holds worldtick data. Neither side changes.
    const held = await targetCounts(url);
    const refused = await storeCopy(['--from', `sqlite:${source.dir}`, '--to', url]);
    expect(refused.status, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/WT_ERR_STORE_COPY_TARGET_NOT_EMPTY: target .* already holds worldtick data \(.*ledger: \d+/);
    expect(refused.stderr).toContain('the target was not changed');
    expect(await targetCounts(url)).toEqual(held);
    expect(dirSnapshot(source.dir)).toEqual(sourceFiles);

    // 4. The cluster the move was for: an instance with --redis on the target (a fresh coordinator, the
    // copied fences) owns and steps both worlds; the key still answers its first seq; new purchases commit.
    if (!findRedisServer()) return void console.warn('[store-copy] cluster step skipped: no redis-server');
    const redis = await startRedisServer();
    try {
      const i = await serve(['--store', url, '--redis', redis.url, '--instance-id', 'c1']);
      await waitFor(async () => {
        const ws = (await api(i, 'GET', '/worlds')).json.worlds as Array<{ id: string }> | undefined;
        return ws?.length === 2 ? true : undefined;
      });
      const e = await client(i);
      expect(await e.purchase('k-arrow', 'arrow', 3, 1)).toMatchObject({ status: 'ok', replayed: true, seq: arrows.seq });
      const later = await e.purchase('k-shield', 'shield', 1, 120);
      expect(later).toMatchObject({ status: 'ok', replayed: false, coins: (next.coins ?? 0) - 120 });
      expect(later.seq).toBeGreaterThan(next.seq ?? 0);
      e.close();
      await stop(i);
    } finally {
      await redis.stop();
    }
  }, 120_000);
});
