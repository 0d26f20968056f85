/**
 * What `verifyLedger` reads of a player whose summary keeps changing (the crash campaign's chain
 * rewards, committed without a pause while verify ran): after the first read of the player's
 * entries, a settle retry reads only the entries committed since (after the last seq it read), not
 * the whole history again — and an entry that commits late with a seq below one already read
 * (PostgreSQL: two transactions of one player take their seqs before the summary row serializes
 * them) is still counted, by a whole read. A real SQLite store in a temporary directory.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../../src/ledger/verify.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import type { Balance, LedgerEntryInput } from '../../../src/store/types.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { rewardEntry } from '../../helpers/ledger-entries.js';

const HISTORY = 2500;

describe('verify: reads of a player under concurrent commits', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  const openStore = (prefix: string): SqliteStore => {
    const dir = tempDataDir(prefix);
    cleanup.push(() => dir.remove());
    const store = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => store.close());
    return store;
  };

  it('a reward after every read: the history is read once, then only what was committed since', async () => {
    const store = openStore('wt-verify-reads-');
    const history: LedgerEntryInput[] = [];
    for (let i = 0; i < HISTORY; i++) history.push(rewardEntry(`h${i}`));
    await store.commitLedger(history);
    let commits = 0;
    let entriesRead = 0;
    const streaming = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop !== 'readLedger') return Reflect.get(target, prop, receiver);
        return async (...args: Parameters<SqliteStore['readLedger']>) => {
          const page = await target.readLedger(...args);
          entriesRead += page.length;
          await target.commitLedger([rewardEntry(`r${++commits}`, { coinsDelta: 5 })]);
          return page;
        };
      },
    });
    const report = await verifyLedger({ store: streaming, live: [{ playerId: 'p1', coins: HISTORY, items: {}, appliedSeq: HISTORY }] });
    expect(report.mismatches).toEqual([]);
    expect(commits).toBeGreaterThanOrEqual(10); // every settle attempt saw the summary change
    // Before: the whole history on each of the 10 attempts and once more (≈ 11 × 2,500 entries).
    expect(entriesRead).toBeLessThan(HISTORY + 100);
  });

  it('an entry committed late below a seq already read is counted (a whole read), not a mismatch', async () => {
    const store = openStore('wt-verify-reads-late-');
    await store.commitLedger([rewardEntry('a', { coinsDelta: 30 }), rewardEntry('late', { coinsDelta: 7 }), rewardEntry('b')]);
    const lateSeq = (await store.findLedgerEntries([{ playerId: 'p1', key: 'late' }]))[0]?.seq ?? 0;
    // Entry `late` is not committed yet at the first read of the summary and of the entries; it is at every read after.
    let committed = false;
    let balanceReads = 0;
    const racing = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'readLedger') {
          return async (...args: Parameters<SqliteStore['readLedger']>) => {
            const page = await target.readLedger(...args);
            const out = committed ? page : page.filter((e) => e.seq !== lateSeq);
            committed = true;
            return out;
          };
        }
        if (prop === 'ledgerBalance') {
          return async (playerId: string): Promise<Balance> => {
            const b = await target.ledgerBalance(playerId);
            return ++balanceReads === 1 ? { ...b, coins: b.coins - 7 } : b;
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    });
    const report = await verifyLedger({ store: racing, live: [{ playerId: 'p1', coins: 38, items: {}, appliedSeq: 3 }] });
    expect(report.mismatches).toEqual([]);
    expect(report.entriesRead).toBe(3);
  });
});
