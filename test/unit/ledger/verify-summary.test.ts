/**
 * `verify` checks the store's per-player ledger summary (schema 9 `ledger_balances`) against the sum
 * of the player's entries, online (`verifyLedger`) and offline (`verifyOffline`, the CLI's
 * `--data-dir`): 0 mismatches when they agree, a `summary:*` mismatch per differing field when a
 * summary row was tampered with; a commit landing between the read of the entries and the read of
 * the summary (a server under load) is not one. A real SQLite store in a temporary directory.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyOffline } from '../../../src/cli/verify.js';
import { verifyLedger } from '../../../src/ledger/verify.js';
import { SQLITE_FILE_NAME, SqliteStore } from '../../../src/store/sqlite-store.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { rewardEntry } from '../../helpers/ledger-entries.js';

describe('verify: the ledger summary against the entries', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('reports a tampered summary as summary:* mismatches, online and offline', async () => {
    const dir = tempDataDir('wt-verify-summary-');
    cleanup.push(() => dir.remove());
    const store = new SqliteStore({ dataDir: dir.dir });
    await store.commitLedger([
      rewardEntry('a', { coinsDelta: 30 }),
      rewardEntry('b', { kind: 'purchase', item: 'potion', quantity: 2, unitPrice: 10, coinsDelta: -20 }),
      rewardEntry('c', { playerId: 'p2', coinsDelta: 5 }),
    ]);
    const live = [{ playerId: 'p1', coins: 10, items: { potion: 2 }, appliedSeq: (await store.ledgerBalance('p1')).lastSeq }];
    expect((await verifyLedger({ store, live })).mismatches).toEqual([]);
    await store.close();
    expect((await verifyOffline(dir.dir)).mismatches).toEqual([]);

    const db = new Database(join(dir.dir, SQLITE_FILE_NAME));
    db.exec(
      `UPDATE ledger_balances SET coins = coins + 1, items = '{"potion":3,"arrow":1}', last_seq = last_seq + 9 WHERE player_id = 'p1'`,
    );
    db.close();
    const want = [
      { playerId: 'p1', source: 'ledger', field: 'summary:coins', ledger: 10, held: 11 },
      { playerId: 'p1', source: 'ledger', field: 'summary:item:potion', ledger: 2, held: 3 },
      { playerId: 'p1', source: 'ledger', field: 'summary:item:arrow', ledger: 0, held: 1 },
      { playerId: 'p1', source: 'ledger', field: 'summary:lastSeq', ledger: live[0]?.appliedSeq, held: (live[0]?.appliedSeq ?? 0) + 9 },
    ];
    const offline = await verifyOffline(dir.dir);
    expect(offline.ok).toBe(false);
    expect(offline.mismatches).toEqual(want);
    const reopened = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => reopened.close());
    // Online: the live wallet agrees with the entries; only the summary is off.
    expect((await verifyLedger({ store: reopened, live })).mismatches).toEqual(want);
  });

  it('a commit between the read of the entries and the read of the summary is not a mismatch (one snapshot)', async () => {
    const dir = tempDataDir('wt-verify-summary-race-');
    cleanup.push(() => dir.remove());
    const store = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => store.close());
    await store.commitLedger([rewardEntry('a', { coinsDelta: 30 }), rewardEntry('b', { item: 'arrow', quantity: 1, coinsDelta: 0 })]);
    // The campaign's PostgreSQL run: a purchase committed while verify read (another statement);
    // here it lands right after the player's entries are read, once.
    let raced = false;
    const racing = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop !== 'readPlayerLedger') return Reflect.get(target, prop, receiver);
        return async (...args: Parameters<SqliteStore['readPlayerLedger']>) => {
          const page = await target.readPlayerLedger(...args);
          if (!raced) {
            raced = true;
            await target.commitLedger([rewardEntry('c', { kind: 'purchase', item: 'arrow', quantity: 1, unitPrice: 1, coinsDelta: -1 })]);
          }
          return page;
        };
      },
    });
    const report = await verifyLedger({ store: racing, live: [{ playerId: 'p1', coins: 30, items: { arrow: 1 }, appliedSeq: 2 }] });
    expect(raced).toBe(true);
    expect(report.mismatches).toEqual([]);
  });

  it('a player committing after every read of its entries is not a mismatch either: the player is read once', async () => {
    const dir = tempDataDir('wt-verify-summary-stream-');
    cleanup.push(() => dir.remove());
    const store = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => store.close());
    await store.commitLedger([rewardEntry('a', { coinsDelta: 30 })]);
    // The crash campaign's checkpoint window on PostgreSQL (seed 212): chain rewards committed without a pause, the
    // summary changed between every pair of reads, and verify compared the last pair as read (summary:coins and
    // summary:lastSeq off by the rewards committed after the entries were read). Here: a reward after every read.
    let commits = 0;
    const streaming = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop !== 'readPlayerLedger') return Reflect.get(target, prop, receiver);
        return async (...args: Parameters<SqliteStore['readPlayerLedger']>) => {
          const page = await target.readPlayerLedger(...args);
          await target.commitLedger([rewardEntry(`r${++commits}`, { coinsDelta: 5 })]);
          return page;
        };
      },
    });
    const report = await verifyLedger({ store: streaming, live: [{ playerId: 'p1', coins: 30, items: {}, appliedSeq: 1 }] });
    expect(commits).toBeGreaterThanOrEqual(1); // read once: entries and summary of one snapshot agree, nothing to read again
    expect(report.mismatches).toEqual([]);
  });
});
