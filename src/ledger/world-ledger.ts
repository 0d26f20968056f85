/**
 * The ledger slot of a world: one {@link LedgerService} per world, the binding of durable player
 * ids (ledger ids) to player entities, and the one path by which committed entries reach the
 * wallet components — the critical ingest lane.
 *
 *   purchase / reward ──► LedgerService (group commit, durable) ──► result
 *        result ──► ingest type `tx` (critical lane: never dropped, never cut by the controller)
 *        ingest phase: drain the service's outbox → applyLedgerEntry (watermark: exactly once)
 *                      then answer the client with its new balance
 *
 * A player entity bound to a ledger id first catches up from the ledger (src/ledger/catch-up.ts: a
 * fresh wallet from the player's one summary row, a wallet with a watermark from the entries above
 * it); entries committed meanwhile are held and applied after the catch-up, in seq order, so the
 * watermark never skips an entry.
 */
import { TxCode } from '../errors.js';
import type { Store } from '../store/types.js';
import { createCatalogue, type CatalogueItemSpec } from './catalogue.js';
import { rejection, type PurchaseRequest, type RewardRequest, type TxResult } from './decide.js';
import { LedgerService, type LedgerServiceOptions, type LedgerStats } from './ledger-service.js';
import { DEFAULT_REFUSAL_RETENTION_HOURS, startRefusalPruner } from './refusal-retention.js';
import { ensureStartGrant } from './start-grant.js';
import { pushTxFact, startCatchUp } from './catch-up.js';
import { applyTxFact, walletOf } from './world-ledger-apply.js';
import { createWorldLedgerStats, recordTxResult, type WorldLedgerStats } from './world-ledger-stats.js';
import type { Deliver, LedgerHostWorld, LedgerWorld, TxFact, WorldLedger } from './world-ledger-types.js';
import { TX_INGEST_TYPE } from './world-ledger-types.js';

export { COMMIT_LATENCY_BUCKETS_MS, RECENT_TX, type RecentTx, type WorldLedgerStats } from './world-ledger-stats.js';
export { liveWallets, walletOf } from './world-ledger-apply.js';
export {
  createLedgerSlot,
  TX_INGEST_TYPE,
  type Deliver,
  type LedgerHostWorld,
  type LedgerSlot,
  type LedgerWorld,
  type WorldLedger,
} from './world-ledger-types.js';

/** Items sold when the configuration names none (unit prices in coins). */
export const DEFAULT_CATALOGUE: readonly CatalogueItemSpec[] = [
  { id: 'potion', price: 10 },
  { id: 'arrow', price: 1 },
  { id: 'sword', price: 150 },
  { id: 'shield', price: 120 },
];

/** Options of {@link attachLedger}. */
export interface AttachLedgerOptions extends Omit<LedgerServiceOptions, 'store' | 'catalogue' | 'worldId'> {
  store: Store;
  /** Item specs (default {@link DEFAULT_CATALOGUE}); validated (WT_ERR_CATALOGUE_INVALID). */
  catalogue?: unknown;
  /** Run identity of gameplay reward keys (default: attach time, base 36 ms). */
  epoch?: string;
  /** Coins granted once per player when first bound (ledger reward key `start-grant`; 0 = none). */
  startingCoins?: number;
  /**
   * Coins of the `start-grant` of anonymous players (`g:` ids: an empty or class-only token), in place of
   * `startingCoins` (default: the same); 0 = none (config `ledger.anonymousStartingCoins`).
   */
  anonymousStartingCoins?: number;
}

/** Create the world's ledger service and define the `tx` ingest type. Idempotent per world. */
export const attachLedger = (world: LedgerHostWorld, options: AttachLedgerOptions): WorldLedger => {
  if (world.ledger) return world.ledger;
  const { store, catalogue: specs, startingCoins = 0, anonymousStartingCoins = startingCoins, epoch: _epoch, ...rest } = options;
  const catalogue = createCatalogue(specs ?? DEFAULT_CATALOGUE);
  // Balances of players who left are not kept (a grant or purchase settling after the player left: reloaded on demand).
  const service = new LedgerService({ ...rest, store, catalogue, worldId: world.id, retain: (id) => ledger.eidOf.has(id) });
  const stats = createWorldLedgerStats();
  const refusalPruner = startRefusalPruner({
    store,
    retentionHours: rest.recordedRefusals?.retentionHours ?? DEFAULT_REFUSAL_RETENTION_HOURS,
    onPruned: (n) => (stats.refusalsPruned += n),
    onFailed: () => stats.refusalPruneFailures++,
  });
  const ledger: WorldLedger = {
    service,
    catalogue,
    store,
    epoch: options.epoch ?? Date.now().toString(36),
    startingCoins,
    anonymousStartingCoins,
    startGrants: new Map(),
    eidOf: new Map(),
    playerOf: new Map(),
    catchingUp: new Map(),
    unanswered: new Set(),
    onWalletChanged: null,
    stats,
    refusalPruner,
    recent: [],
  };
  world.ledger = ledger;
  if (!world.ingest.has(TX_INGEST_TYPE)) {
    world.ingest.define(TX_INGEST_TYPE, {
      mode: 'queue',
      lane: 'critical',
      critical: true,
      capacity: 4096,
      hardCapacity: 1 << 18,
      apply: (_w, _key, fact) => applyTxFact(world, fact as TxFact),
    });
  }
  return ledger;
};

/**
 * Stop the world's ledger service (pending requests answered TX_UNAVAILABLE by its deadline). A
 * durable result still waiting for a step (the world deleted, moved or stopped before it ran) is
 * answered now, without a wallet, so no caller waits forever; a later step skips it.
 */
export const detachLedger = async (world: LedgerWorld): Promise<void> => {
  const l = world.ledger;
  if (!l) return;
  l.refusalPruner?.stop();
  await l.service.close();
  if (world.ledger === l) world.ledger = null;
  const owed: Array<{ result: TxResult; deliver: Deliver }> = [];
  for (const f of l.unanswered) {
    if (f.deliver) owed.push({ result: f.result, deliver: f.deliver });
    f.deliver = null;
  }
  l.unanswered.clear();
  for (const held of l.catchingUp.values()) owed.push(...held.answers.splice(0));
  for (const a of owed) a.deliver(a.result, null);
};

/**
 * Bind ledger id `playerId` to player entity `eid` (inside a step, when the player joins) and start
 * its catch-up (src/ledger/catch-up.ts): a fresh wallet is set from the player's ledger summary, one
 * with a watermark gets the `ok` entries above it; a later step applies it. Results for the player
 * wait for it.
 */
export const bindPlayer = (world: LedgerHostWorld, eid: number, playerId: string): void => {
  const l = world.ledger;
  if (!l) return;
  const prev = l.playerOf.get(eid);
  if (prev !== undefined && prev !== playerId) l.eidOf.delete(prev);
  const old = l.eidOf.get(playerId);
  if (old !== undefined && old !== eid) l.playerOf.delete(old);
  l.eidOf.set(playerId, eid);
  l.playerOf.set(eid, playerId);
  // An input log keeps the binding, so `playerIdOf` answers the same in a replay (src/replay/recorder.ts).
  world.record?.playerBound?.(eid, playerId);
  const pending = l.catchingUp.get(playerId);
  if (pending && pending.eid === eid) return;
  // A catch-up into another entity may still be in flight: its held entries and answers move here.
  l.catchingUp.set(playerId, { eid, entries: pending ? pending.entries : [], answers: pending ? pending.answers : [], read: 0 });
  startCatchUp(world, l, playerId, eid);
  // Idempotent by key: granted once per player ever, a replay afterwards.
  if (grantCoins(l, playerId) > 0) void startGrantOf(world, l, playerId);
};

/**
 * Player entity `eid` was removed from the world (its session ended for good: no grace, or the
 * grace expired): forget its binding, its catch-up (answers held for it are answered without a
 * wallet), its settled start grant and the service's cached balance. Everything stays in the
 * durable ledger; a returning player is bound again and caught up from the store, and its start
 * grant is a replay of the stored entry. A ledger id since bound to another entity keeps it.
 */
export const releasePlayer = (l: WorldLedger, eid: number): void => {
  const playerId = l.playerOf.get(eid);
  if (playerId === undefined) return;
  l.playerOf.delete(eid);
  if (l.eidOf.get(playerId) !== eid) return;
  l.eidOf.delete(playerId);
  const held = l.catchingUp.get(playerId);
  if (held && held.eid === eid) {
    l.catchingUp.delete(playerId);
    for (const a of held.answers) a.deliver(a.result, null);
  }
  if (l.startGrants.get(playerId) === true) l.startGrants.delete(playerId);
  l.service.forgetPlayer(playerId);
};

/** Sizes of the ledger slot's per-player tables (churn tests: back to the baseline once players left). */
export const ledgerRetained = (
  l: WorldLedger,
): { eidOf: number; playerOf: number; catchingUp: number; startGrants: number; cachedBalances: number } => ({
  eidOf: l.eidOf.size,
  playerOf: l.playerOf.size,
  catchingUp: l.catchingUp.size,
  startGrants: l.startGrants.size,
  cachedBalances: l.service.cachedPlayers,
});

/**
 * Idempotency key of a chain reward: `chain:<name>:<npc>:<step>@<epoch>`. The world step makes a
 * re-simulated step (after a checkpoint restore) grant nothing twice; the epoch separates runs of a
 * world that restarted from step 0 without a checkpoint.
 */
export const rewardKeyOfChain = (l: WorldLedger, chain: string, npc: number, step: number): string =>
  `chain:${chain}:${npc}:${step}@${l.epoch}`;

/** Idempotency key of the one-time starting coins. */
export const START_GRANT_KEY = 'start-grant';

const settle = (
  world: LedgerWorld,
  l: WorldLedger,
  p: Promise<TxResult>,
  deliver: Deliver | null,
  submittedAt: number,
): Promise<TxResult> =>
  p.then((result) => {
    recordTxResult(l.stats, l.recent, result, submittedAt);
    // A rejection changed nothing: answer at once, no step needed — unless committed entries of the
    // player wait to be applied (another world's, caught up when this one was decided again): the step
    // applies them first, so the answer carries them.
    if ((result.seq === null || result.status !== 'ok') && !l.service.committedWaitingFor(result.playerId)) {
      deliver?.(result, walletOf(world, result.playerId));
      return result;
    }
    if (!pushTxFact(world, l, { op: 'result', result, deliver, submittedAt })) deliver?.(result, null);
    return result;
  });

/**
 * Submit a client purchase. `deliver` is called once: for `ok` after the entry is durable AND
 * applied to the wallet inside a step; for a rejection at once. Without a ledger: TX_UNAVAILABLE.
 */
export const submitPurchase = (world: LedgerWorld, req: PurchaseRequest, deliver: Deliver): void => {
  const l = world.ledger;
  if (!l) return deliver(rejection({ kind: 'purchase', ...req }, TxCode.UNAVAILABLE), null);
  const at = performance.now();
  if (grantCoins(l, req.playerId) <= 0 || l.startGrants.get(req.playerId) === true)
    return void settle(world, l, l.service.purchase(req), deliver, at);
  // Decided only once the player's starting coins are committed (retried meanwhile); if they are not
  // within the purchase's deadline, it is answered TX_UNAVAILABLE (nothing recorded: the client retries the same key).
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((res) => (timer = setTimeout(() => res(false), l.service.deadlineMs)));
  void Promise.race([startGrantOf(world, l, req.playerId), late]).then((ok) => {
    clearTimeout(timer);
    if (ok && world.ledger === l) void settle(world, l, l.service.purchase(req), deliver, at);
    else deliver(rejection({ kind: 'purchase', ...req }, TxCode.UNAVAILABLE), null);
  });
};

/** Coins of `playerId`'s start grant: anonymous players (`g:` ids) their own amount; 0 = no grant at all. */
const grantCoins = (l: WorldLedger, playerId: string): number => (playerId.startsWith('g:') ? l.anonymousStartingCoins : l.startingCoins);

/** The player's start grant (submitted once, retried while the store is unavailable). */
const startGrantOf = (world: LedgerWorld, l: WorldLedger, playerId: string): Promise<boolean> =>
  ensureStartGrant(
    l.startGrants,
    playerId,
    () => grantReward(world, { playerId, key: START_GRANT_KEY, coins: grantCoins(l, playerId) }),
    () => world.ledger === l,
    () => l.eidOf.has(playerId),
  );

/**
 * Grant a server-side reward (gameplay, admin). Resolves with the durable result; the wallet
 * change is applied by a later step (and the player's client told with a wallet message).
 */
export const grantReward = (world: LedgerWorld, req: RewardRequest): Promise<TxResult> => {
  const l = world.ledger;
  if (!l) return Promise.resolve(rejection({ kind: 'reward', ...req }, TxCode.UNAVAILABLE));
  return settle(world, l, l.service.reward(req), null, performance.now());
};

/** Ledger stats of a world (null without a ledger). */
export const worldLedgerStats = (world: LedgerWorld): (WorldLedgerStats & { service: LedgerStats }) | null => {
  const l = world.ledger;
  if (!l) return null;
  return { ...l.stats, results: { ...l.stats.results }, latencyBuckets: [...l.stats.latencyBuckets], service: l.service.stats() };
};
