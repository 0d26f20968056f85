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
 * A player entity bound to a ledger id first catches up from the ledger (every `ok` entry above
 * its wallet watermark, read from the store); entries committed meanwhile are held and applied
 * after the catch-up, in seq order, so the watermark never skips an entry.
 */
import { ensurePlayerRow, playerRow } from '../../components/player-table.js';
import { hasComponent, entityExists, type World } from 'bitecs';
import type { WorldCore } from '../core/world-core.js';
import { TxCode } from '../errors.js';
import type { IngestSlot } from '../ingest/ingest-buffers.js';
import type { RecordSlot } from '../replay/record-slot.js';
import type { LedgerEntry, Store } from '../store/types.js';
import { applyLedgerEntry, entrySlot, readWallet, type HeldBalance } from './apply.js';
import { createCatalogue, type Catalogue, type CatalogueItemSpec } from './catalogue.js';
import { rejection, type PurchaseRequest, type RewardRequest, type TxResult } from './decide.js';
import { LedgerService, type LedgerServiceOptions, type LedgerStats } from './ledger-service.js';
import { ensureStartGrant, type StartGrants } from './start-grant.js';
import { createWorldLedgerStats, recordTxResult, type RecentTx, type WorldLedgerStats } from './world-ledger-stats.js';

export { COMMIT_LATENCY_BUCKETS_MS, RECENT_TX, type RecentTx, type WorldLedgerStats } from './world-ledger-stats.js';

/** Ingest type of committed transaction results (critical lane). */
export const TX_INGEST_TYPE = 'tx';

/** Items sold when the configuration names none (unit prices in coins). */
export const DEFAULT_CATALOGUE: readonly CatalogueItemSpec[] = [
  { id: 'potion', price: 10 },
  { id: 'arrow', price: 1 },
  { id: 'sword', price: 150 },
  { id: 'shield', price: 120 },
];

/** Delivers a result to whoever asked (a client socket), with the wallet after it applied (null: player not in the world). */
export type Deliver = (result: TxResult, wallet: HeldBalance | null) => void;

/** A world's ledger: the service, the catalogue and the player bindings. */
export interface WorldLedger {
  readonly service: LedgerService;
  readonly catalogue: Catalogue;
  readonly store: Store;
  /**
   * Run identity in gameplay reward keys (see {@link rewardKeyOfChain}): by default the wall ms
   * when the ledger was attached (a world without checkpoints restarts at step 0). A world restored
   * from a checkpoint should set the checkpoint lineage's epoch so re-simulated steps replay.
   */
  epoch: string;
  /** Coins of the one-time `start-grant` reward. */
  readonly startingCoins: number;
  /**
   * Start grants in flight or settled, per ledger id (src/ledger/start-grant.ts): purchases wait for
   * them. A settled entry is kept only while the player is bound (the grant itself is durable:
   * a returning player's grant is a replay of the stored entry, never a second grant).
   */
  readonly startGrants: StartGrants;
  /** Ledger id → player entity (bound players only: released with the entity, {@link releasePlayer}). */
  readonly eidOf: Map<string, number>;
  /** Player entity → ledger id (as `eidOf`). */
  readonly playerOf: Map<number, string>;
  /** Players catching up (into entity `eid`): entries and answers held until the catch-up applied (released with the entity). */
  readonly catchingUp: Map<string, { eid: number; entries: LedgerEntry[]; answers: Array<{ result: TxResult; deliver: Deliver }> }>;
  /** Durable results queued for a step with an answer still owed (answered with no wallet if the ledger detaches first). */
  readonly unanswered: Set<ResultFact>;
  /** Called (inside a step) after a player's wallet changed, e.g. to tell its client. */
  onWalletChanged: ((playerId: string, wallet: HeldBalance) => void) | null;
  readonly stats: WorldLedgerStats;
  /** The newest transactions, oldest first (at most {@link RECENT_TX}). */
  readonly recent: RecentTx[];
}

/** What a world carries for the ledger (null until a store is attached). */
export interface LedgerSlot {
  ledger: WorldLedger | null;
}

/** The empty slot (no store: purchases are answered TX_UNAVAILABLE). */
export const createLedgerSlot = (): LedgerSlot => ({ ledger: null });

/** The slice of a world the ledger touches. */
export type LedgerWorld = World<WorldCore & IngestSlot & LedgerSlot>;

/**
 * A world the ledger attaches to: it also has the record slot, whose hook is told every wallet
 * change the ledger applies (an input log records them: src/replay/recorder.ts).
 */
export type LedgerHostWorld = World<WorldCore & IngestSlot & LedgerSlot & RecordSlot>;

/** A durable result waiting for a step; `deliver` is cleared once answered. */
interface ResultFact {
  op: 'result';
  result: TxResult;
  deliver: Deliver | null;
  submittedAt: number;
}
type TxFact = ResultFact | { op: 'catchup'; playerId: string; eid: number; entries: LedgerEntry[] };

/** Options of {@link attachLedger}. */
export interface AttachLedgerOptions extends Omit<LedgerServiceOptions, 'store' | 'catalogue' | 'worldId'> {
  store: Store;
  /** Item specs (default {@link DEFAULT_CATALOGUE}); validated (WT_ERR_CATALOGUE_INVALID). */
  catalogue?: unknown;
  /** Run identity of gameplay reward keys (default: attach time, base 36 ms). */
  epoch?: string;
  /** Coins granted once per player when first bound (ledger reward key `start-grant`; 0 = none). */
  startingCoins?: number;
}

/** Create the world's ledger service and define the `tx` ingest type. Idempotent per world. */
export const attachLedger = (world: LedgerHostWorld, options: AttachLedgerOptions): WorldLedger => {
  if (world.ledger) return world.ledger;
  const { store, catalogue: specs, startingCoins = 0, epoch: _epoch, ...rest } = options;
  const catalogue = createCatalogue(specs ?? DEFAULT_CATALOGUE);
  // Balances of players who left are not kept (a grant or purchase settling after the player left: reloaded on demand).
  const service = new LedgerService({ ...rest, store, catalogue, worldId: world.id, retain: (id) => ledger.eidOf.has(id) });
  const ledger: WorldLedger = {
    service,
    catalogue,
    store,
    epoch: options.epoch ?? Date.now().toString(36),
    startingCoins,
    startGrants: new Map(),
    eidOf: new Map(),
    playerOf: new Map(),
    catchingUp: new Map(),
    unanswered: new Set(),
    onWalletChanged: null,
    stats: createWorldLedgerStats(),
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

/** The entity of a bound ledger id that is still a player, else undefined (stale bindings are dropped). */
const liveEid = (world: LedgerWorld, l: WorldLedger, playerId: string): number | undefined => {
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

const applyEntry = (world: LedgerHostWorld, l: WorldLedger, e: LedgerEntry, changed: Set<string>): void => {
  const held = l.catchingUp.get(e.playerId);
  if (held) {
    held.entries.push(e);
    return;
  }
  const eid = liveEid(world, l, e.playerId);
  if (eid === undefined) return; // not in this world: caught up from the ledger when it joins
  if (applyLedgerEntry(world.stores.Wallet, ensurePlayerRow(world.stores, eid), e, l.catalogue)) {
    l.stats.applied++;
    changed.add(e.playerId);
    // Recording: the effect on the world, in apply order (a replay has no store to read entries from).
    const rec = world.record;
    if (rec !== null && rec.walletApplied !== undefined) rec.walletApplied(eid, e.seq, e.coinsDelta, entrySlot(e, l.catalogue), e.quantity);
  }
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
const applyTxFact = (world: LedgerHostWorld, f: TxFact): void => {
  const l = world.ledger;
  if (!l) return;
  const changed = new Set<string>();
  for (const e of l.service.takeCommitted()) applyEntry(world, l, e, changed);
  if (f.op === 'catchup') {
    const held = l.catchingUp.get(f.playerId);
    if (!held || held.eid !== f.eid) return; // superseded: a newer catch-up (another entity) is in flight
    l.catchingUp.delete(f.playerId);
    if (liveEid(world, l, f.playerId) !== f.eid) {
      // The player left before its catch-up: the ledger keeps everything; answer without a wallet.
      for (const a of held.answers) a.deliver(a.result, null);
      return;
    }
    const all = [...f.entries, ...held.entries].sort((a, b) => a.seq - b.seq);
    for (const e of all) applyEntry(world, l, e, changed);
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

/**
 * Bind ledger id `playerId` to player entity `eid` (inside a step, when the player joins) and start
 * its catch-up: every `ok` entry above the wallet's watermark is read from the store and applied
 * by a later step. Results for the player wait for it.
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
  l.catchingUp.set(playerId, { eid, entries: pending ? pending.entries : [], answers: pending ? pending.answers : [] });
  const after = world.stores.Wallet.appliedSeq[playerRow(world.stores, eid)];
  // Retried while this catch-up is still wanted: a player that left (released) stops its retries.
  const wanted = (): boolean => world.ledger === l && l.catchingUp.get(playerId)?.eid === eid;
  const retry = (attempt: number): void => {
    l.service.entriesSince(playerId, after).then(
      (entries) => push(world, l, { op: 'catchup', playerId, eid, entries }),
      () => {
        if (wanted()) setTimeout(() => retry(attempt + 1), Math.min(2000, 50 * 2 ** attempt)).unref();
      },
    );
  };
  retry(0);
  // Idempotent by key: granted once per player ever, a replay afterwards.
  if (l.startingCoins > 0) void startGrantOf(world, l, playerId);
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

const push = (world: LedgerWorld, l: WorldLedger, fact: TxFact): boolean => {
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

const settle = (
  world: LedgerWorld,
  l: WorldLedger,
  p: Promise<TxResult>,
  deliver: Deliver | null,
  submittedAt: number,
): Promise<TxResult> =>
  p.then((result) => {
    recordTxResult(l.stats, l.recent, result, submittedAt);
    // An unrecorded rejection changed nothing: answer at once, no step needed.
    if (result.seq === null || result.status !== 'ok') {
      deliver?.(result, walletOf(world, result.playerId));
      return result;
    }
    if (!push(world, l, { op: 'result', result, deliver, submittedAt })) deliver?.(result, null);
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
  if (l.startingCoins <= 0 || l.startGrants.get(req.playerId) === true) return void settle(world, l, l.service.purchase(req), deliver, at);
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

/** The player's start grant (submitted once, retried while the store is unavailable). */
const startGrantOf = (world: LedgerWorld, l: WorldLedger, playerId: string): Promise<boolean> =>
  ensureStartGrant(
    l.startGrants,
    playerId,
    () => grantReward(world, { playerId, key: START_GRANT_KEY, coins: l.startingCoins }),
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
