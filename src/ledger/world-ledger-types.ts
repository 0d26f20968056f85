/**
 * Types of a world's ledger slot (src/ledger/world-ledger.ts): the slot, the per-world ledger with
 * its player bindings, and the facts the critical `tx` ingest lane carries to a step.
 */
import type { World } from 'bitecs';
import type { WorldCore } from '../core/world-core.js';
import type { IngestSlot } from '../ingest/ingest-buffers.js';
import type { RecordSlot } from '../replay/record-slot.js';
import type { Balance, LedgerEntry, Store } from '../store/types.js';
import type { HeldBalance } from './apply.js';
import type { Catalogue } from './catalogue.js';
import type { TxResult } from './decide.js';
import type { LedgerService } from './ledger-service.js';
import type { RefusalPruner } from './refusal-retention.js';
import type { StartGrants } from './start-grant.js';
import type { RecentTx, WorldLedgerStats } from './world-ledger-stats.js';

/** Ingest type of committed transaction results (critical lane). */
export const TX_INGEST_TYPE = 'tx';

/** Delivers a result to whoever asked (a client socket), with the wallet after it applied (null: player not in the world). */
export type Deliver = (result: TxResult, wallet: HeldBalance | null) => void;

/** A world's ledger: the service, the catalogue and the player bindings. */
export interface WorldLedger {
  readonly service: LedgerService;
  readonly catalogue: Catalogue;
  readonly store: Store;
  /**
   * Run identity in gameplay reward keys (`rewardKeyOfChain`, world-ledger.ts): by default the wall ms
   * when the ledger was attached (a world without checkpoints restarts at step 0). A world restored
   * from a checkpoint should set the checkpoint lineage's epoch so re-simulated steps replay.
   */
  epoch: string;
  /** Coins of the one-time `start-grant` reward. */
  readonly startingCoins: number;
  /** Coins of the `start-grant` of anonymous players (`g:` ids); 0 = none. */
  readonly anonymousStartingCoins: number;
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
  /**
   * Players catching up (into entity `eid`): entries and answers held until the catch-up applied
   * (released with the entity). `read` numbers the catch-up read this binding waits for: a read of
   * an earlier binding (the player left and joined again, maybe into the same, reused entity id) or
   * one read again is not applied (src/ledger/catch-up.ts).
   */
  readonly catchingUp: Map<string, CatchingUp>;
  /** Durable results queued for a step with an answer still owed (answered with no wallet if the ledger detaches first). */
  readonly unanswered: Set<ResultFact>;
  /** Called (inside a step) after a player's wallet changed, e.g. to tell its client. */
  onWalletChanged: ((playerId: string, wallet: HeldBalance) => void) | null;
  readonly stats: WorldLedgerStats;
  /** Deletes refusal rows past their retention (null: kept forever); stopped at detach. */
  readonly refusalPruner: RefusalPruner | null;
  /** The newest transactions, oldest first (at most {@link RECENT_TX}). */
  readonly recent: RecentTx[];
}

/** A player's catch-up in flight (see {@link WorldLedger.catchingUp}). */
export interface CatchingUp {
  eid: number;
  entries: LedgerEntry[];
  answers: Array<{ result: TxResult; deliver: Deliver }>;
  /** Number of the read this binding waits for (0 until one started). */
  read: number;
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
export interface ResultFact {
  op: 'result';
  result: TxResult;
  deliver: Deliver | null;
  submittedAt: number;
}
/**
 * A player's catch-up read from the store (src/ledger/catch-up.ts): for a fresh wallet its ledger
 * `summary` (the wallet is set from it) and no entries; for a wallet with a watermark the `ok`
 * entries above it and no summary.
 */
export interface CatchUpFact {
  op: 'catchup';
  playerId: string;
  eid: number;
  /** The read's number ({@link CatchingUp.read}): applied only while the binding still waits for it. */
  read: number;
  entries: LedgerEntry[];
  summary: Balance | null;
}

/** A fact of the `tx` ingest type: a durable result, or a player's catch-up read from the store. */
export type TxFact = ResultFact | CatchUpFact;
