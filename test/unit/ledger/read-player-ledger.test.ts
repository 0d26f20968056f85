/**
 * A player's whole ledger history read for a catch-up (src/ledger/read-player-ledger.ts) gives the
 * event loop a turn before each page: on the embedded store (synchronous reads) a long history read
 * in one go held the process — every world's steps, every socket — for its whole length (≈ 0.4 s at
 * 50,000 entries, bench/ledger-catchup.ts). Counted in event-loop turns, not time: a callback queued
 * with setImmediate runs between pages, and none runs inside a page.
 */
import { describe, expect, it } from 'vitest';
import { CATCH_UP_PAGE, readPlayerLedger } from '../../../src/ledger/read-player-ledger.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { fileTempDirs } from '../../helpers/data-dir.js';
import { rewardEntry } from '../../helpers/ledger-entries.js';

const tempDir = fileTempDirs();

const entry = (playerId: string, i: number) => rewardEntry(`k${i}`, { worldId: 'w1', playerId, fingerprint: 'reward|1', createdAt: 1 });

describe('readPlayerLedger', () => {
  it('reads a long history page by page, every entry once in seq order, with an event-loop turn before each page', async () => {
    const store = new SqliteStore({ dataDir: tempDir('wt-read-ledger-') });
    try {
      const n = CATCH_UP_PAGE * 2 + CATCH_UP_PAGE / 2;
      await store.commitLedger(Array.from({ length: n }, (_, i) => entry('p1', i)));
      await store.commitLedger([entry('p2', 0)]); // another player's entry is not read
      let turns = 0;
      let reading = true;
      const turn = (): void => {
        if (!reading) return;
        turns++;
        setImmediate(turn);
      };
      setImmediate(turn);
      const read = readPlayerLedger(store, 'p1');
      expect(turns).toBe(0); // nothing read in the caller's turn (a step binding a player)
      const got = await read;
      reading = false;
      expect(got).toHaveLength(n);
      expect(got.every((e) => e.playerId === 'p1')).toBe(true);
      const seqs = got.map((e) => e.seq);
      expect(seqs.every((s, i) => i === 0 || s > (seqs[i - 1] ?? Number.POSITIVE_INFINITY))).toBe(true);
      // Three pages (and the empty check after none: the last page is short): a turn before each.
      expect(turns).toBeGreaterThanOrEqual(3);
      // From a seq on: only the entries after it.
      const tail = await readPlayerLedger(store, 'p1', seqs[n - 10] ?? 0);
      expect(tail.map((e) => e.seq)).toEqual(seqs.slice(n - 9));
    } finally {
      await store.close();
    }
  });
});
