/**
 * The step side of a world's ledger (src/ledger/world-ledger.ts): inside the ingest phase, committed
 * entries are applied to the bound players' wallet components (exactly once: the watermark), held
 * while a player catches up, and the requester answered with its wallet after the apply.
 */
import { ensurePlayerRow, playerRow } from '../../components/player-table.js';
import { entityExists, hasComponent } from 'bitecs';
import type { LedgerEntry } from '../store/types.js';
import { applyLedgerEntry, applyWalletEffect, entrySlot, intactAmounts, readWallet, type HeldBalance } from './apply.js';
import { startCatchUp, summaryEffects, walletFresh } from './catch-up.js';
import type { CatchUpFact, LedgerHostWorld, LedgerWorld, TxFact, WorldLedger } from './world-ledger-types.js';

/** The entity of a bound ledger id that is still a player, else undefined (stale bindings are dropped). */
export const liveEid = (world: LedgerWorld, l: WorldLedger, playerId: string): number | undefined => {
  const eid = l.eidOf.get(playerId);
  if (eid === undefined) return undefined;
  if (entityExists(world, eid) && hasComponent(world, eid, world.stores.Player) && l.playerOf.get(eid) === playerId) return eid;
  l.eidOf.delete(playerId);
  if (l.playerOf.get(eid) === playerId) l.playerOf.delete(eid);
  return undefined;
};

/** The wallet of a bound, caught-up player (null when absent or catching up). */
export const walletOf = (world: LedgerWorld, playerId: string): HeldBalance | null => {
  const l = world.ledger;
  if (!l || l.catchingUp.has(playerId)) return null;
  const eid = liveEid(world, l, playerId);
  return eid === undefined ? null : readWallet(world.stores.Wallet, playerRow(world.stores, eid), playerId, l.catalogue);
};

/** Live wallets of every bound player (verification). */
export const liveWallets = (world: LedgerWorld): HeldBalance[] => {
  const l = world.ledger;
  if (!l) return [];
  const out: HeldBalance[] = [];
  for (const id of [...l.eidOf.keys()]) {
    if (l.catchingUp.has(id)) continue;
    const eid = liveEid(world, l, id);
    if (eid !== undefined) out.push(readWallet(world.stores.Wallet, playerRow(world.stores, eid), id, l.catalogue));
  }
  return out;
};

/**
 * Apply `e` to its player's wallet (held while the player catches up). An outbox entry (`fromOutbox`)
 * past a gap is held and the wallet caught up first: the service's outbox yields the player's entries
 * only above `continuousFrom` (the balance it first loaded), so an entry another world committed between
 * the wallet's last read and that load is in neither — applying past it would put the watermark above
 * it for good (crash campaign `cross-world`; test/integration/tx/cross-world-join-race.test.ts).
 */
const applyEntry = (world: LedgerHostWorld, l: WorldLedger, e: LedgerEntry, changed: Set<string>, fromOutbox = true): void => {
  const held = l.catchingUp.get(e.playerId);
  if (held) {
    held.entries.push(e);
    return;
  }
  const eid = liveEid(world, l, e.playerId);
  if (eid === undefined) return; // not in this world: caught up from the ledger when it joins
  const row = ensurePlayerRow(world.stores, eid);
  const at = world.stores.Wallet.appliedSeq[row];
  if (fromOutbox && e.seq > at && at < l.service.continuousFrom(e.playerId)) {
    l.stats.catchUpGaps++;
    l.catchingUp.set(e.playerId, { eid, entries: [e], answers: [], read: 0 });
    startCatchUp(world, l, e.playerId, eid);
    return;
  }
  if (e.status === 'ok' && e.seq > at && !intactAmounts(e)) {
    l.stats.entriesDamaged++;
    return;
  }
  if (applyLedgerEntry(world.stores.Wallet, row, e, l.catalogue)) {
    l.stats.applied++;
    changed.add(e.playerId);
    // Recording: the effect on the world, in apply order (a replay has no store to read entries from).
    const rec = world.record;
    if (rec !== null && rec.walletApplied !== undefined) rec.walletApplied(eid, e.seq, e.coinsDelta, entrySlot(e, l.catalogue), e.quantity);
  }
};

/**
 * Set the fresh wallet row of a catch-up's player from its ledger summary (src/ledger/catch-up.ts),
 * through the same write path and recording hook as entries; false (nothing changed) when the row is
 * not fresh any more.
 */
const seedFromSummary = (world: LedgerHostWorld, l: WorldLedger, f: CatchUpFact): boolean => {
  const wallet = world.stores.Wallet;
  const row = ensurePlayerRow(world.stores, f.eid);
  if (!f.summary || !walletFresh(wallet, row)) return false;
  const rec = world.record;
  for (const [seq, coinsDelta, slot, quantity] of summaryEffects(f.summary, l.catalogue)) {
    applyWalletEffect(wallet, row, seq, coinsDelta, slot, quantity);
    if (rec !== null && rec.walletApplied !== undefined) rec.walletApplied(f.eid, seq, coinsDelta, slot, quantity);
  }
  return true;
};

const notify = (world: LedgerWorld, l: WorldLedger, changed: Set<string>, skip: string | null): void => {
  if (!l.onWalletChanged) return;
  for (const id of changed) {
    if (id === skip) continue;
    const w = walletOf(world, id);
    if (w) l.onWalletChanged(id, w);
  }
};

/** Inside the ingest phase: apply committed entries, then answer. */
export const applyTxFact = (world: LedgerHostWorld, f: TxFact): void => {
  const l = world.ledger;
  if (!l) return;
  const changed = new Set<string>();
  for (const e of l.service.takeCommitted()) applyEntry(world, l, e, changed);
  if (f.op === 'catchup') {
    const held = l.catchingUp.get(f.playerId);
    // Dropped below (superseded, or the player left): the outbox entries applied above changed other
    // players' wallets, and their own `result` facts find nothing left to apply, so they are told here.
    if (!held || held.eid !== f.eid || held.read !== f.read) {
      // Superseded: a newer catch-up (another entity, another binding of a reused entity id, or a read again) is in flight.
      notify(world, l, changed, null);
      return;
    }
    l.catchingUp.delete(f.playerId);
    if (liveEid(world, l, f.playerId) !== f.eid) {
      // The player left before its catch-up: the ledger keeps everything; answer without a wallet.
      for (const a of held.answers) a.deliver(a.result, null);
      notify(world, l, changed, null);
      return;
    }
    if (f.summary !== null && !seedFromSummary(world, l, f)) {
      // The row holds something since the bind (it was fresh then): read again, from its watermark.
      l.catchingUp.set(f.playerId, held);
      startCatchUp(world, l, f.playerId, f.eid);
      notify(world, l, changed, null);
      return;
    }
    // Held entries the summary counted are at or below the watermark it set: skipped. Entries read have no
    // gap below them; a held (outbox) entry past a gap starts another catch-up, which takes the rest and the answers.
    const read = new Set(f.entries);
    const all = [...f.entries, ...held.entries].sort((a, b) => a.seq - b.seq);
    for (const e of all) applyEntry(world, l, e, changed, !read.has(e));
    const again = l.catchingUp.get(f.playerId);
    if (again) {
      again.answers.push(...held.answers);
      notify(world, l, changed, null);
      return;
    }
    changed.add(f.playerId);
    for (const a of held.answers) a.deliver(a.result, walletOf(world, f.playerId));
    notify(world, l, changed, null);
    return;
  }
  const deliver = f.deliver;
  f.deliver = null;
  l.unanswered.delete(f);
  const held = l.catchingUp.get(f.result.playerId);
  if (held && deliver) held.answers.push({ result: f.result, deliver });
  else deliver?.(f.result, walletOf(world, f.result.playerId));
  // The requester's own client learns its balance from the result; others from a wallet message.
  notify(world, l, changed, deliver ? f.result.playerId : null);
};
