/**
 * Moving worlds between instances with their state (docs/CLUSTER.md, "Migration and failover").
 *
 *   source (owner)                                   target
 *   hold: no more steps (sessions stay open)
 *   ledger flushed (queued commits durable, fenced)
 *   record + checkpoint with the fencing token
 *   handover(world, source → target): new token ──▶  POST /api/v1/cluster/adopt
 *                                                    renew (validity), store.fence(new token),
 *                                                    load record + checkpoint, players removed,
 *                                                    ledger attached with the token, steps on
 *   redirect each session (ticket bound to its   ◀── { fencingToken, step, worldTime }
 *   resume token), drop the local copy
 *
 * Failover uses the same `adopt`: the cluster service calls it when it is granted a world another
 * instance held (after `store.fence`, so the dead owner can no longer write). Players come back by
 * resuming their durable sessions; wallets and inventories catch up from the shared ledger.
 */
import { query } from 'bitecs';
import { signTicket } from '../cluster/ticket.js';
import { despawnEntity } from '../core/world-core.js';
import { CloseCode, ErrorCode, isWorldtickError } from '../errors.js';
import type { Route } from '../admin/index.js';
import { detachLedger } from '../ledger/world-ledger.js';
import type { Logger } from '../log.js';
import type { GameServer } from '../net/game-server.js';
import type { Checkpointer } from '../persist/checkpointer.js';
import { checkpointShortfall } from '../persist/checkpoint-report.js';
import { isNotLoadableHere, type PersistedWorld } from '../persist/restore.js';
import { destroySimWorld, type SimWorld } from '../world/sim-world.js';
import type { LoopRunner } from '../loop/loop-runner.js';
import type { ClusterService } from './cluster-service.js';
import { migrationRoutes, MoveError, refusalOf } from './cluster-migration-routes.js';
import { DeclinedTargets } from './declined-targets.js';
import { MovesInFlight } from './moves-in-flight.js';
import { isPassingOutage } from '../persist/write-failure-log.js';
import type { Store } from '../store/types.js';
import { refuseUnconfirmedCreate } from './unconfirmed-create.js';
import { refuseNothingStored } from './nothing-stored.js';
import { checkMigrationTarget } from './peer-check.js';
import { migrationTarget } from './migration-target.js';
import type { MigrationResult, MoveRecord } from './move-records.js';

/** What the runtime gives the mover. */
export interface MigrationDeps {
  readonly logger: Logger;
  readonly cluster: ClusterService;
  readonly checkpointer: Checkpointer;
  /** Read lazily (the runtime builds the game server after the admin routes). */
  readonly gameServer: () => GameServer;
  readonly adminToken: string;
  readonly secret: string;
  readonly getWorld: (worldId: string) => SimWorld | undefined;
  /** Load a world from the store (record + newest checkpoint), with the runtime's builders. */
  readonly load: (worldId: string) => Promise<PersistedWorld | null>;
  /** The open store: a failover first removes the record of a create never confirmed (src/server/unconfirmed-create.ts). */
  readonly store?: () => Store;
  readonly runner: LoopRunner;
  readonly defaultWorldId: string;
  /** The default world was replaced by a restored copy (the runtime's `defaultWorld`, its declared tasks). */
  readonly replaceDefault: (world: SimWorld) => void;
  /** Attach the game's services to a world added here (scenes). */
  readonly attach: (world: SimWorld) => void;
  /** Attach the world's ledger (the runtime's `withLedger`). */
  readonly withLedger: (world: SimWorld) => void;
  /** Drop what the runtime runs or keeps for a world that left this instance (its shard workers, its operator state). */
  readonly release?: (worldId: string) => void;
  /**
   * Re-apply the world's stored operator state (maintenance, override, declared tasks; the same
   * step as a restore at start, src/server/ops-persist.ts) before it steps here or takes a session.
   */
  readonly restoreOps?: (world: SimWorld, incarnation: string) => Promise<unknown>;
}

export type { MigrationResult, MoveRecord } from './move-records.js';

const HISTORY = 256;

/** The world mover: `adopt` (target, failover) and `migrate` (source); their admin routes are in cluster-migration-routes.ts. */
export class WorldMover {
  readonly history: MoveRecord[] = [];
  readonly #d: MigrationDeps;
  readonly #busy = new Set<string>();
  /** Moves in progress (out, in, failover adoptions): a stop waits for them ({@link settle}; moves-in-flight.ts). */
  readonly #inFlight = new MovesInFlight();
  #stopping = false;
  /** Instances that refused a world as written by a newer build (an older build): not asked for it again for a while. */
  readonly #declinedBy = new DeclinedTargets();

  constructor(deps: MigrationDeps) {
    this.#d = deps;
  }

  /** The runtime is stopping ({@link settle} was called): no migration starts, no handed world is adopted. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /**
   * The runtime is stopping: start no move from now, and wait for the moves in flight (a world
   * migrating out or being adopted) to finish — at most `timeoutMs` wall ms (0 = until they end;
   * each is bounded by its own requests). Resolves the number still in flight at the bound (logged).
   */
  settle(timeoutMs: number): Promise<number> {
    this.#stopping = true;
    return this.#inFlight.settle(timeoutMs, this.#d.logger);
  }

  /** Run `move` of `worldId` as a move in flight (a stop waits for it). */
  track<T>(worldId: string, move: Promise<T>): Promise<T> {
    return this.#inFlight.track(worldId, move);
  }

  /**
   * Take `worldId` over from the store (the `adopt` hook). True when it steps here next. Rejects with
   * `WT_ERR_CHECKPOINT_TOO_NEW` when a newer build wrote its checkpoint (nothing installed), `WT_ERR_WORLD_NOT_DURABLE`
   * (a failover) when its record is of a create never confirmed (removed), `WT_ERR_WORLD_NOT_FOUND` when nothing is
   * stored and there is no local copy (deleted: src/server/nothing-stored.ts).
   */
  adopt(worldId: string, token: number, why: 'failover' | 'migration'): Promise<boolean> {
    // Stopping: no failover starts (the lease is given back; another instance takes the world). A handover
    // accepted before the stop began finishes (the stop waits for it).
    if (this.#stopping && why === 'failover') return Promise.resolve(false);
    return this.track(worldId, this.#adopt(worldId, token, why));
  }

  async #adopt(worldId: string, token: number, why: 'failover' | 'migration'): Promise<boolean> {
    const d = this.#d;
    const t0 = performance.now();
    // A record whose create was never confirmed is never taken over: removed, WT_ERR_WORLD_NOT_DURABLE thrown.
    if (why === 'failover' && d.store) await refuseUnconfirmedCreate(d.store(), d.logger, worldId, token);
    let unreadable = false;
    const p = await d.load(worldId).catch((err: unknown) => {
      // A record that cannot run the world (damaged) where a local copy is here: the copy continues (below), as without a record.
      if (isWorldtickError(err, ErrorCode.WORLD_RECORD_UNUSABLE) && d.getWorld(worldId)) return null;
      // Thrown: a newer build's checkpoint (the caller declines, whatever copy is here), a passing store outage (the
      // lease given back, a later control tick retries; no local copy continues in its place).
      if (isNotLoadableHere(err) || isPassingOutage(err)) throw err;
      d.logger.error({ err, world: worldId }, 'cluster: stored world could not be loaded');
      unreadable = true;
      return null;
    });
    const old = d.getWorld(worldId);
    if (!p) {
      if (!old) return unreadable ? false : refuseNothingStored(d.store?.(), worldId);
      // Nothing stored for it (instances that do not share a store): continue from the local copy.
      d.logger.warn({ world: worldId }, 'cluster: no stored record of the world; continuing from the local copy');
      if (!old.ledger) d.withLedger(old);
      this.#adopted(worldId, old, token, why, t0);
      return true;
    }
    // The default world without a checkpoint: the local copy with the record applied.
    const world = p.world ?? old;
    if (!world) return false;
    // Operator state first, while nothing here has changed: a passing store outage leaves all as it was (thrown, as above).
    await this.#restoreOps(world, p.record.incarnation).catch((err: unknown) => {
      if (p.world) destroySimWorld(p.world);
      throw err;
    });
    if (old) {
      await detachLedger(old);
      await d.checkpointer.untrack(worldId, { forget: false });
    }
    if (p.world) {
      // Players in a checkpoint come back by resuming (durable sessions), wallets from the ledger.
      for (const eid of [...query(world, [world.stores.Player])]) despawnEntity(world, eid);
      this.#install(world);
    }
    d.checkpointer.track(world, {
      origin: p.record.origin,
      incarnation: p.record.incarnation,
      npcs: p.record.npcs,
      restored: { fromStep: p.checkpoint?.step ?? -1, fromWorldTime: p.checkpoint?.worldTime ?? 0, worldTime: world.clock.now, ms: p.ms },
    });
    d.withLedger(world);
    const rec = this.#adopted(worldId, world, token, why, t0);
    d.logger.info(
      {
        world: worldId,
        why,
        fencingToken: rec.fencingToken,
        previousOwner: d.cluster.previousOwner(worldId),
        fromStep: p.checkpoint?.step ?? null,
        worldTime: world.clock.now,
        ms: Math.round(rec.ms),
      },
      'cluster: world taken over from its checkpoint',
    );
    return true;
  }

  /**
   * Move `worldId`, owned here, to instance `to` (or the least-loaded other instance not in `exclude`). Resolves
   * the result once the target steps it and the sessions were redirected; throws an Error with a
   * message when nothing was moved (the world steps on here) or after the handover failed halfway
   * (the lease then lapses and the world fails over).
   */
  migrate(worldId: string, to?: string, exclude?: ReadonlySet<string>): Promise<MigrationResult> {
    if (this.#stopping)
      return Promise.reject(new MoveError(503, `instance ${this.#d.cluster.instanceId} is stopping: it starts no migration`));
    return this.track(worldId, this.#migrate(worldId, to, exclude));
  }

  async #migrate(worldId: string, to?: string, exclude?: ReadonlySet<string>): Promise<MigrationResult> {
    const d = this.#d;
    const c = d.cluster;
    const me = c.instanceId;
    const world = d.getWorld(worldId);
    const fence = c.fence(worldId);
    // The world owned here and not moving, a target that takes it; else a MoveError saying why (migration-target.ts).
    const ownedHere = world !== undefined && fence !== null;
    const target = migrationTarget(c, {
      worldId,
      ownedHere,
      busy: this.#busy.has(worldId),
      declined: this.#declinedBy.of(worldId),
      to,
      exclude,
    });
    if (!world || !fence) throw new MoveError(409, `world ${worldId} is not owned here`); // refused above; narrows the types
    this.#busy.add(worldId);
    d.logger.info({ world: worldId, to: target.id, step: world.clock.step }, 'cluster: migrating world');
    // The target is asked before the world is held (else its adopt fails after the handover), so a
    // slow or unreachable target costs the world no steps: it steps on here while we wait.
    try {
      const refused = await checkMigrationTarget(target.adminUrl, d.adminToken, target.id, 15_000);
      if (refused) throw new MoveError(refused.status, refused.message, refused.code, { instance: target.id, reason: refused.reason });
      if (d.getWorld(worldId) !== world || !c.fence(worldId)) throw new MoveError(409, `world ${worldId} is no longer owned here`);
    } catch (err) {
      this.#busy.delete(worldId);
      const failed = err instanceof MoveError ? err : new MoveError(503, err instanceof Error ? err.message : String(err));
      d.logger.warn(
        { world: worldId, to: target.id, handedOver: false, code: failed.code, err: failed.message },
        'cluster: migration failed',
      );
      throw failed;
    }
    const t0 = performance.now();
    c.hold(worldId); // no step from here: the loop runner asks canStep before each
    let handedOver = false;
    try {
      await detachLedger(world); // queued purchases committed (fenced) before the checkpoint
      await d.checkpointer.record(worldId);
      // Judged by its own outcome: an earlier checkpoint it waited for may have failed meanwhile (counted in the report).
      const short = checkpointShortfall(await d.checkpointer.checkpoint(worldId), world.clock.step);
      if (short !== null) throw new MoveError(503, `checkpoint of ${worldId} failed: ${short}`);
      const owner = await c.handOver(worldId, target.id);
      handedOver = true;
      const res = await fetch(`${target.adminUrl}/api/v1/cluster/adopt`, {
        method: 'POST',
        headers: { authorization: `Bearer ${d.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ worldId, from: me }),
        signal: AbortSignal.timeout(15_000),
      });
      if (res.status !== 200) {
        const text = await res.text();
        const refused = refusalOf(text);
        if (refused?.returned) {
          // The target is draining or stopping, or cannot run the checkpoint, and handed the lease back: the world steps on here.
          await c.takeBack(worldId);
          handedOver = false;
          if (refused.reason !== 'draining' && refused.reason !== 'stopping') this.#declinedBy.add(worldId, target.id);
          throw new MoveError(
            409,
            `instance ${target.id} refused ${worldId} (${refused.reason}); it steps on here`,
            ErrorCode.MIGRATION_REFUSED,
            {
              instance: target.id,
              reason: refused.reason,
            },
          );
        }
        throw new MoveError(502, `instance ${target.id} did not take ${worldId}: ${res.status} ${text.slice(0, 200)}`);
      }
      // Only now: until the target took it the world may come back (a refusal). Held, it writes nothing meanwhile.
      await d.checkpointer.untrack(worldId, { forget: false });
      const pauseMs = performance.now() - t0;
      const expiresAt = Date.now() + 10_000;
      const sessions = d
        .gameServer()
        .redirectWorldSessions(worldId, target.gameUrl, (resumeToken) =>
          signTicket({ worldId, target: target.id, expiresAt, ...(resumeToken ? { resumeToken } : {}) }, d.secret),
        );
      const step = world.clock.step,
        worldTime = world.clock.now;
      this.#uninstall(worldId);
      const rec: MigrationResult = {
        worldId,
        kind: 'migrated-out',
        fencingToken: owner.fencingToken,
        step,
        worldTime,
        at: Date.now(),
        ms: performance.now() - t0,
        sessions,
        to: target.id,
        from: me,
        pauseMs,
      };
      this.#remember(rec);
      d.logger.info(
        { world: worldId, to: target.id, fencingToken: owner.fencingToken, step, pauseMs: Math.round(pauseMs), sessions },
        'cluster: world migrated',
      );
      return rec;
    } catch (err) {
      if (!handedOver) {
        // Nothing moved: the world steps on here, unless deleted meanwhile (a delete does not wait for a migration):
        // a ledger attached to a world out of the runner is never detached; its pruner's timer would keep the world.
        if (d.getWorld(worldId) === world) {
          d.withLedger(world);
          world.ledger?.service.setFenceToken(c.fence(worldId)?.token ?? fence.token); // a new token after a refusal
        }
      } else {
        await d.checkpointer.untrack(worldId, { forget: false });
        d.gameServer().closeWorldSessions(worldId, CloseCode.LEASE_LOST, 'world moving; retry');
        this.#uninstall(worldId);
      }
      const failed = err instanceof MoveError ? err : new MoveError(503, err instanceof Error ? err.message : String(err));
      d.logger.warn({ world: worldId, to: target.id, handedOver, code: failed.code, err: failed.message }, 'cluster: migration failed');
      throw failed;
    } finally {
      c.unhold(worldId);
      this.#busy.delete(worldId);
    }
  }

  /** Admin routes (src/server/cluster-migration-routes.ts): migrate, adopt (instances), moves. */
  routes(): Route[] {
    return migrationRoutes(this, this.#d);
  }

  /**
   * Operator state back before the world steps here. A passing store outage is thrown (the adoption is
   * retried); another failed read is logged at error: the world comes without its maintenance, override
   * and declared tasks, which an operator sets again.
   */
  async #restoreOps(world: SimWorld, incarnation: string): Promise<void> {
    try {
      await this.#d.restoreOps?.(world, incarnation);
    } catch (err) {
      if (isPassingOutage(err)) throw err;
      this.#d.logger.error(
        { err, world: world.id },
        'cluster: operator state of the adopted world could not be read; it runs without its maintenance, override and declared tasks',
      );
    }
  }

  /** Put `world` in the runner in place of the local copy of its id, if any. */
  #install(world: SimWorld): void {
    const d = this.#d;
    if (d.runner.has(world.id)) {
      const old = d.runner.remove(world.id);
      d.gameServer().releaseWorld(old);
      destroySimWorld(old);
    }
    if (world.id === d.defaultWorldId) d.replaceDefault(world);
    d.runner.add(world);
    d.attach(world);
  }

  /** The world left for another instance: drop the local copy (the default world stays, a standby that does not step). */
  #uninstall(worldId: string): void {
    const d = this.#d;
    const w = d.getWorld(worldId);
    if (!w) return;
    d.gameServer().releaseWorld(w);
    d.release?.(worldId);
    if (worldId === d.defaultWorldId) return;
    d.runner.remove(worldId);
    destroySimWorld(w);
  }

  /**
   * `world` steps here next as `worldId`: its ledger writes carry `token` or the newer one held now (the lease
   * lapsed and was taken again during the load: that token went to the runner's world of then, a local copy or
   * none), the game server lets its players in again, and the move is recorded (`t0`: when the adoption began).
   */
  #adopted(worldId: string, world: SimWorld, token: number, why: 'failover' | 'migration', t0: number): MoveRecord {
    const current = Math.max(token, this.#d.cluster.coordinator.heldLease(worldId)?.fencingToken ?? token);
    world.ledger?.service.setFenceToken(current);
    this.#d.gameServer().worldAdopted(worldId);
    const rec: MoveRecord = {
      worldId,
      kind: why === 'failover' ? 'failover' : 'migrated-in',
      fencingToken: current,
      step: world.clock.step,
      worldTime: world.clock.now,
      at: Date.now(),
      ms: performance.now() - t0,
      sessions: 0,
    };
    this.#remember(rec);
    return rec;
  }

  #remember(r: MoveRecord): void {
    this.history.push(r);
    if (this.history.length > HISTORY) this.history.shift();
  }
}
