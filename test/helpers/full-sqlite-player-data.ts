/**
 * Disk full for player data on a real SQLite store: the ledger filler of full-sqlite.ts, then the
 * player-data tables (values and batch records) filled with rows of shrinking size until none fits,
 * so any further player-data write needs a page and fails with the store's coded `full` error
 * (WT_ERR_STORE_UNAVAILABLE). Heal with `store.setMaxPageCount(1_000_000_000)`.
 */
import type { SqliteStore } from '../../src/store/sqlite-store.js';
import { fillSqlite } from './full-sqlite.js';

/** Make `store` full for player data (see the module comment). */
export const fillSqlitePlayerData = async (store: SqliteStore): Promise<void> => {
  await fillSqlite(store);
  const limits = { maxBytesPerPlayer: 1e9, maxKeysPerPlayer: 1e9, maxDeletedKeysPerPlayer: 1e9 };
  let n = 0;
  for (const size of [4000, 1000, 300, 100, 30, 10, 1]) {
    for (;;) {
      try {
        const value = JSON.stringify('f'.repeat(size));
        await store.applyPlayerData([{ op: 'put', playerId: `filler${n % 50}`, key: `f${n}`, value, expectedVersion: null }], limits, {
          batchId: `fill-${n++}`,
        });
      } catch {
        break;
      }
    }
  }
};
