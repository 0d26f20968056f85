/**
 * Disk full on a real SQLite store: cap its file at its current size, then fill what room is left
 * with ledger entries of shrinking size until none fits, so the next write that needs space fails
 * with the store's coded `full` error (WT_ERR_STORE_UNAVAILABLE). Heal with
 * `store.setMaxPageCount(1_000_000_000)`. Used by tests and benches of store outages.
 */
import type { SqliteStore } from '../../src/store/sqlite-store.js';

/** Make `store` full (see the module comment). */
export const fillSqlite = async (store: SqliteStore): Promise<void> => {
  store.setMaxPageCount(store.pageCount());
  let n = 0;
  for (const size of [4000, 1000, 300, 100, 30, 10]) {
    for (;;) {
      try {
        await store.commitLedger([
          {
            ...{ worldId: 'filler', playerId: 'filler', key: `f${n++}`, kind: 'reward', item: null, quantity: 0, unitPrice: 0 },
            ...{ coinsDelta: 0, status: 'ok', code: null, fingerprint: 'f'.repeat(size), createdAt: 0 },
          },
        ]);
      } catch {
        break;
      }
    }
  }
};
