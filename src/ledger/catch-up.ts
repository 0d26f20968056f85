/**
 * A bound player's catch-up (src/ledger/world-ledger.ts `bindPlayer`): what its wallet row lacks of
 * the ledger is read off the step and handed to a later step as a `catchup` fact.
 *
 *   wallet row fresh (appliedSeq 0, no coins, no items)  ──► store.ledgerBalance: ONE summary row
 *        (schema 9 `ledger_balances`, the sum of every `ok` entry, kept in each commit's transaction)
 *        the step sets the row from it: appliedSeq = the summary's last seq
 *   wallet row with a watermark                          ──► the entries above it (readPlayerLedger)
 *
 * Either way, entries the world's ledger service commits for the player meanwhile are held (the
 * player is in `catchingUp` from the bind, before the read starts) and applied after, in seq order,
 * through the watermark: those the summary (or the read) already counted are at or below it and
 * skipped, the others applied once. Entries of the player that another world commits after the
 * read reach this world only by a later catch-up — as before the summary.
 */
import { playerRow } from '../../components/player-table.js';
import { WALLET_SLOTS, walletSlot, type Wallet } from '../../components/wallet.js';
import type { Balance } from '../store/types.js';
import type { Catalogue } from './catalogue.js';
import type { LedgerWorld, TxFact, WorldLedger } from './world-ledger-types.js';
import { TX_INGEST_TYPE } from './world-ledger-types.js';

/** Queue `fact` for a step (false when the ledger detached or the critical buffer is at its hard bound). */
export const pushTxFact = (world: LedgerWorld, l: WorldLedger, fact: TxFact): boolean => {
  if (world.ledger !== l) return false;
  try {
    world.ingest.push(TX_INGEST_TYPE, 0, fact);
    if (fact.op === 'result' && fact.deliver) l.unanswered.add(fact);
    return true;
  } catch {
    l.stats.pushFailed++;
    return false;
  }
};

/** Whether wallet row `row` holds nothing from the ledger: no watermark, no coins, no item. */
export const walletFresh = (wallet: Wallet, row: number): boolean => {
  if (wallet.appliedSeq[row] !== 0 || wallet.coins[row] !== 0) return false;
  for (let s = 0; s < WALLET_SLOTS; s++) if (walletSlot(wallet, s)[row] !== 0) return false;
  return true;
};

/**
 * The wallet effects (`[seq, coinsDelta, slot, quantity]`, as `applyWalletEffect` takes them) that
 * turn a fresh wallet row into `b`: the coins, then one per catalogue item held, each at the
 * summary's last seq. Applied and recorded one by one like entries, so an input log replays them
 * with no change to its format (src/replay/replay-ledger.ts). Empty when the player has no entry.
 */
export const summaryEffects = (b: Balance, catalogue: Catalogue): Array<[number, number, number, number]> => {
  if (b.lastSeq <= 0) return [];
  const out: Array<[number, number, number, number]> = [[b.lastSeq, b.coins, -1, 0]];
  for (const it of catalogue.items) {
    const n = b.items[it.id];
    if (n && it.slot < WALLET_SLOTS) out.push([b.lastSeq, 0, it.slot, n]);
  }
  return out;
};

/** Numbers of catch-up reads (process-wide, increasing): a fact carries its read's. */
let lastRead = 0;

/**
 * Read what player `playerId`'s wallet in entity `eid` lacks and queue it as a `catchup` fact;
 * retried with backoff while the store fails and the catch-up is still wanted (the binding still
 * waits for THIS read: `read` of its `catchingUp` entry). Call with the player already in
 * `l.catchingUp`. The read is numbered because the entity id alone does not name the binding: a
 * player that leaves while its read is out and joins again can get the same, reused entity id
 * (bitECS hands out the most recently removed id first), and the first read — a summary taken
 * before entries committed while it was away, or the entries above the old row's watermark — must
 * not be applied to the new binding (test/unit/ledger/catchup-races.test.ts).
 */
export const startCatchUp = (world: LedgerWorld, l: WorldLedger, playerId: string, eid: number): void => {
  const held = l.catchingUp.get(playerId);
  if (!held || held.eid !== eid) return;
  const read = ++lastRead;
  held.read = read;
  const wallet = world.stores.Wallet;
  const row = playerRow(world.stores, eid);
  // Row 0 (none assigned yet) reads as fresh: the defaults row.
  const fresh = walletFresh(wallet, row);
  const after = wallet.appliedSeq[row];
  const wanted = (): boolean => world.ledger === l && l.catchingUp.get(playerId)?.read === read;
  const retry = (attempt: number): void => {
    const reading: Promise<TxFact> = fresh
      ? l.store.ledgerBalance(playerId).then((summary) => {
          l.stats.catchUpSummaries++;
          return { op: 'catchup', playerId, eid, read, entries: [], summary };
        })
      : l.service.entriesSince(playerId, after).then((entries) => {
          l.stats.catchUpEntriesRead += entries.length;
          return { op: 'catchup', playerId, eid, read, entries, summary: null };
        });
    reading.then(
      (fact) => pushTxFact(world, l, fact),
      () => {
        if (wanted()) setTimeout(() => retry(attempt + 1), Math.min(2000, 50 * 2 ** attempt)).unref();
      },
    );
  };
  retry(0);
};
