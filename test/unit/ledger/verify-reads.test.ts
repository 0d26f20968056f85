/**
 * What `verifyLedger` reads of a player whose ledger keeps changing (the crash campaign's chain
 * rewards, committed without a pause while verify ran): the history is read once, page by page, each
 * page with the player's summary from one snapshot (`Store.readPlayerLedger`), the summary of the last
 * page compared — and an entry that commits late with a seq below a page already read (PostgreSQL: two
 * transactions of one player take their seqs before the summary row serializes them) is still counted,
 * by one whole read in one snapshot. A real SQLite store in a temporary directory.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../../src/ledger/verify.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { CATCH_UP_PAGE } from '../../../src/ledger/read-player-ledger.js';
import type { LedgerEntryInput } from '../../../src/store/types.js';
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

  it('a reward after every read: the history is read once, no mismatch', async () => {
    const store = openStore('wt-verify-reads-');
    const history: LedgerEntryInput[] = [];
    for (let i = 0; i < HISTORY; i++) history.push(rewardEntry(`h${i}`));
    await store.commitLedger(history);
    let commits = 0;
    let entriesRead = 0;
    const streaming = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop !== 'readPlayerLedger') return Reflect.get(target, prop, receiver);
        return async (...args: Parameters<SqliteStore['readPlayerLedger']>) => {
          const page = await target.readPlayerLedger(...args);
          entriesRead += page.entries.length;
          await target.commitLedger([rewardEntry(`r${++commits}`, { coinsDelta: 5 })]);
          return page;
        };
      },
    });
    const report = await verifyLedger({ store: streaming, live: [{ playerId: 'p1', coins: HISTORY, items: {}, appliedSeq: HISTORY }] });
    expect(report.mismatches).toEqual([]);
    expect(commits).toBeGreaterThanOrEqual(3); // one after every page: the later pages and their summaries saw them
    expect(entriesRead).toBeLessThan(HISTORY + 100);
    expect(report.unapplied).toBe(report.entriesRead - HISTORY); // the rewards of the later pages: above the wallet's watermark
  });

  it('an entry committed late below a page already read is counted (one whole read), not a mismatch', async () => {
    const store = openStore('wt-verify-reads-late-');
    const history: LedgerEntryInput[] = [rewardEntry('late', { coinsDelta: 7 })];
    for (let i = 0; i < CATCH_UP_PAGE + 10; i++) history.push(rewardEntry(`h${i}`));
    await store.commitLedger(history);
    const lateSeq = (await store.findLedgerEntries([{ playerId: 'p1', key: 'late' }]))[0]?.seq ?? 0;
    // Entry `late` is not committed yet when the first page is read (an earlier snapshot); it is at every read after.
    let reads = 0;
    const racing = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop !== 'readPlayerLedger') return Reflect.get(target, prop, receiver);
        return async (playerId: string, q?: Parameters<SqliteStore['readPlayerLedger']>[1]) => {
          if (++reads > 1) return target.readPlayerLedger(playerId, q);
          // The first page as PostgreSQL would give it then: a full page of the entries after `late`'s seq.
          const page = await target.readPlayerLedger(playerId, { ...q, limit: (q?.limit ?? 0) + 1 });
          return { ...page, entries: page.entries.filter((e) => e.seq !== lateSeq) };
        };
      },
    });
    const n = CATCH_UP_PAGE + 11;
    const report = await verifyLedger({ store: racing, live: [{ playerId: 'p1', coins: n + 6, items: {}, appliedSeq: n }] });
    expect(report.mismatches).toEqual([]);
    expect(report.entriesRead).toBe(n);
    expect(reads).toBe(3); // two pages, then the whole history in one snapshot
  });
});
