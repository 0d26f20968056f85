/**
 * The crash campaign's invariants (bench/crash-campaign.ts), checked on the store as a kill left
 * it and on the restarted server:
 *   - every purchase and admin reward a client was told `ok` is in the ledger, once, with the
 *     seq it was told (never lost, never doubled);
 *   - no purchase entry the clients never asked for (a key is retried until answered, so every
 *     committed purchase is the acknowledged or the pending key of its player);
 *   - every ledger balance is non-negative;
 *   - the restarted world came back from the newest checkpoint of its incarnation;
 *   - players resumed with their resume tokens; live wallets equal the ledger (verify route).
 */
import type { PlayerState, RewarderState } from './crash-campaign-players.js';
import { labelOf, ledgerIdOf } from './crash-campaign-players.js';
import type { StoreView } from './crash-campaign-store.js';

/**
 * What clients had been told before the store was read. With a live instance (cluster) acks keep
 * coming while the view is read: only those before it can be required to be in it.
 */
export interface AckSnapshot {
  purchases: Array<Array<[string, number]>>;
  rewards: Array<[string, { playerToken: string; playerId: string; seq: number }]>;
}

/** Copy the acknowledgements so far (take it before reading the store). */
export const snapshotAcks = (players: readonly PlayerState[], rewarder: RewarderState | null): AckSnapshot => ({
  purchases: players.map((p) => [...p.acked]),
  rewards: rewarder ? [...rewarder.acked].map(([k, v]) => [k, { playerToken: v.playerToken, playerId: v.playerId, seq: v.seq }]) : [],
});

/** Check the ledger a kill left against what clients were told. Returns violations. */
export const checkLedger = (
  view: StoreView,
  players: readonly PlayerState[],
  rewarder: RewarderState | null,
  before: AckSnapshot = snapshotAcks(players, rewarder),
): string[] => {
  const out: string[] = [];
  const byRef = new Map<string, StoreView['ledger']>();
  for (const e of view.ledger) {
    const k = `${e.playerId}\u0000${e.key}`;
    const list = byRef.get(k);
    if (list) list.push(e);
    else byRef.set(k, [e]);
  }
  const coins = new Map<string, number>();
  for (const e of view.ledger) if (e.status === 'ok') coins.set(e.playerId, (coins.get(e.playerId) ?? 0) + e.coinsDelta);
  for (const [p, c] of coins) if (c < 0) out.push(`player ${p} balance ${c} < 0`);
  for (const st of players) {
    const pid = ledgerIdOf(st);
    if (pid === null) {
      // An anonymous player whose id no purchase in the store has shown (crash-campaign-anonymous.ts).
      if ((before.purchases[st.index] ?? []).length) out.push(`anonymous player ${st.index}: acked purchases, none in the ledger (LOST)`);
      continue;
    }
    for (const [key, seq] of before.purchases[st.index] ?? []) {
      const found = byRef.get(`${pid}\u0000${key}`) ?? [];
      if (found.length !== 1) out.push(`acked purchase ${key} of ${labelOf(st)} found ${found.length} times (LOST or DOUBLED)`);
      else if (found[0].seq !== seq) out.push(`acked purchase ${key}: told seq ${seq}, ledger has ${found[0].seq}`);
      else if (found[0].status !== 'ok') out.push(`acked purchase ${key}: ledger status ${found[0].status}`);
    }
    for (const e of view.ledger) {
      if (e.playerId !== pid || e.kind !== 'purchase') continue;
      if (!st.acked.has(e.key) && st.pending !== e.key)
        out.push(`purchase ${e.key} of ${labelOf(st)} committed but neither acked nor pending`);
    }
  }
  if (rewarder) {
    for (const [key, { playerId, seq }] of before.rewards) {
      const found = byRef.get(`${playerId}\u0000${key}`) ?? [];
      if (found.length !== 1) out.push(`acked reward ${key} found ${found.length} times (LOST or DOUBLED)`);
      else if (found[0].seq !== seq) out.push(`acked reward ${key}: told seq ${seq}, ledger has ${found[0].seq}`);
    }
  }
  return out;
};

/** The checkpoint a restart must come back from: the newest of the record's incarnation (null: none). */
export const expectedRestoreStep = (view: StoreView): number | null => {
  if (!view.record) return null;
  const ck = view.checkpoints[0];
  return ck && ck.incarnation === view.record.incarnation ? ck.step : null;
};

/** Check the restarted world's restore report against the store a kill left. */
export const checkRestore = (view: StoreView, stats: any): string[] => {
  const out: string[] = [];
  const want = expectedRestoreStep(view);
  const restored = stats?.checkpoint?.restored as { fromStep: number; worldTime: number } | null | undefined;
  if (want === null) {
    if (restored && restored.fromStep >= 0) out.push(`restored from step ${restored.fromStep} but the store had no usable checkpoint`);
    return out;
  }
  if (!restored) out.push(`world not restored (expected checkpoint step ${want})`);
  else if (restored.fromStep !== want) out.push(`restored from step ${restored.fromStep}, newest checkpoint was step ${want}`);
  if (view.record && stats && Number(stats.step) < view.record.step)
    out.push(`step ${stats.step} after restart is behind the clock record's ${view.record.step}`);
  return out;
};
