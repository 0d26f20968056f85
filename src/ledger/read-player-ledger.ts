/**
 * Every ledger entry of one player after a seq, read page by page (the store answers at most
 * `LEDGER_READ_LIMIT` rows a call): the ledger service's catch-up of a (re)loaded player and the
 * `verify` command's full read.
 */
import { LEDGER_READ_LIMIT } from '../store/rows.js';
import type { LedgerEntry, Store } from '../store/types.js';

export const readPlayerLedger = async (store: Store, playerId: string, afterSeq = 0): Promise<LedgerEntry[]> => {
  const out: LedgerEntry[] = [];
  let after = afterSeq;
  for (;;) {
    const page = await store.readLedger({ playerId, afterSeq: after });
    out.push(...page);
    if (page.length < LEDGER_READ_LIMIT) return out;
    after = page[page.length - 1].seq;
  }
};
