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
import type { Route, RouteResponse } from '../admin/index.js';
import { detachLedger } from '../ledger/world-ledger.js';
import type { Logger } from '../log.js';
import type { GameServer } from '../net/game-server.js';
import type { Checkpointer } from '../persist/checkpointer.js';
import type { PersistedWorld } from '../persist/restore.js';
import { destroySimWorld, type SimWorld } from '../world/sim-world.js';
import type { LoopRunner } from '../loop/loop-runner.js';
import type { ClusterService } from './cluster-service.js';
import { placeWorld } from '../cluster/placement.js';

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
  readonly runner: LoopRunner;
  readonly defaultWorldId: string;
  /** The default world was replaced by a restored copy (the runtime's `defaultWorld`, its declared tasks). */
  readonly replaceDefault: (world: SimWorld) => void;
  /** Attach the game's services to a world added here (scenes). */
  readonly attach: (world: SimWorld) => void;
  /** Attach the world's ledger (the runtime's `withLedger`). */
  readonly withLedger: (world: SimWorld) => void;
  /** Drop what the runtime runs for a world that left this instance (its shard workers). */
  readonly release?: (worldId: string) => void;
  /**
   * Re-apply the world's stored operator state (maintenance, override, declared tasks; the same
   * step as a restore at start, src/server/ops-persist.ts) before it steps here or takes a session.
   */
  readonly restoreOps?: (world: SimWorld, incarnation: string) => Promise<unknown>;
}

/** One take-over or hand-over, as recorded (wall ms). */
export interface MoveRecord {
  readonly worldId: string;
  readonly kind: 'migrated-out' | 'migrated-in' | 'failover';
  readonly fencingToken: number;
  readonly step: number;
  readonly worldTime: number;
  /** Epoch ms when it finished. */
  readonly at: number;
  /** Source: hold → target ready → sessions redirected; target: load and install. */
  readonly ms: number;
  readonly sessions: number;
  readonly to?: string;
}

/** Result of a migration. */
export interface MigrationResult extends MoveRecord {
  readonly from: string;
  readonly to: string;
  /** Wall ms the world did not step: hold on the source until the target answered it steps. */
  readonly pauseMs: number;
}

const HISTORY = 256;

const failed = (status: number, message: string, details: Record<string, unknown> = {}): RouteResponse => ({
  status,
  json: { code: ErrorCode.MIGRATION_FAILED, message, details },
});

/** The world mover: `adopt` (target, failover) and `migrate` (source), plus their admin routes. */
export class WorldMover {
  readonly history: MoveRecord[] = [];
  readonly #d: MigrationDeps;
  readonly #busy = new Set<string>();

  constructor(deps: MigrationDeps) {
    this.#d = deps;
  }

  /** Take `worldId` over from the store (the cluster service's `adopt` hook). True when it steps here next. */
  async adopt(worldId: string, token: number, why: 'failover' | 'migration'): Promise<boolean> {
    const d = this.#d;
    const t0 = performance.now();
    const p = await d.load(worldId).catch((err: unknown) => {
      d.logger.error({ err, world: worldId }, 'cluster: stored world could not be loaded');
      return null;
    });
    const old = d.getWorld(worldId);
    if (!p) {
      if (!old) return false;
      // Nothing stored for it (instances that do not share a store): continue from the local copy.
      d.logger.warn({ world: worldId }, 'cluster: no stored record of the world; continuing from the local copy');
      if (!old.ledger) d.withLedger(old);
      this.#adopted(worldId, old, token, why, t0);
      return true;
    }
    if (old) {
      await detachLedger(old);
      await d.checkpointer.untrack(worldId, { forget: false });
    }
    let world = p.world;
    if (!world) {
      // The default world without a checkpoint: the local copy with the record applied.
      if (!old) return false;
      world = old;
      await this.#restoreOps(world, p.record.incarnation);
    } else {
      // Players in a checkpoint come back by resuming (durable sessions), wallets from the ledger.
      for (const eid of [...query(world, [world.stores.Player])]) despawnEntity(world, eid);
      await this.#restoreOps(world, p.record.incarnation);
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
        fencingToken: token,
        fromStep: p.checkpoint?.step ?? null,
        worldTime: world.clock.now,
        ms: Math.round(rec.ms),
      },
      'cluster: world taken over from its checkpoint',
    );
    return true;
  }

  /**
   * Move `worldId`, owned here, to instance `to` (or the least-loaded other instance). Resolves
   * the result once the target steps it and the sessions were redirected; throws an Error with a
   * message when nothing was moved (the world steps on here) or after the handover failed halfway
   * (the lease then lapses and the world fails over).
   */
  async migrate(worldId: string, to?: string): Promise<MigrationResult> {
    const d = this.#d;
    const c = d.cluster;
    const me = c.instanceId;
    const world = d.getWorld(worldId);
    const fence = c.fence(worldId);
    if (!world || !fence) throw new MoveError(409, `world ${worldId} is not owned here`);
    if (this.#busy.has(worldId)) throw new MoveError(409, `world ${worldId} is already migrating`);
    const others = c.instances().filter((i) => i.id !== me);
    const target = to !== undefined ? others.find((i) => i.id === to) : placeWorld(others);
    if (!target)
      throw new MoveError(
        to !== undefined ? 404 : 409,
        to !== undefined ? `no live instance ${to} (other than this one)` : 'no other live instance that takes worlds',
      );
    if (target.capacity === 0) throw new MoveError(409, `instance ${target.id} takes no worlds (draining)`);
    this.#busy.add(worldId);
    const t0 = performance.now();
    c.hold(worldId); // no step from here: the loop runner asks canStep before each
    let handedOver = false;
    try {
      await detachLedger(world); // queued purchases committed (fenced) before the checkpoint
      const before = d.checkpointer.report(worldId)?.failed ?? 0;
      await d.checkpointer.record(worldId);
      await d.checkpointer.checkpoint(worldId);
      const r = d.checkpointer.report(worldId);
      if (!r || r.failed !== before || r.lastStep !== world.clock.step)
        throw new MoveError(503, `checkpoint of ${worldId} failed: ${r?.lastError ?? 'not tracked'}`);
      const owner = await c.handOver(worldId, target.id);
      handedOver = true;
      await d.checkpointer.untrack(worldId, { forget: false }); // (anything it still tried would be unfenced: skipped)
      const res = await fetch(`${target.adminUrl}/api/v1/cluster/adopt`, {
        method: 'POST',
        headers: { authorization: `Bearer ${d.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ worldId }),
        signal: AbortSignal.timeout(15_000),
      });
      if (res.status !== 200)
        throw new MoveError(502, `instance ${target.id} did not take ${worldId}: ${res.status} ${(await res.text()).slice(0, 200)}`);
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
        // Nothing moved: the world steps on here (still tracked by the checkpointer).
        d.withLedger(world);
        world.ledger?.service.setFenceToken(fence.token);
      } else {
        await d.checkpointer.untrack(worldId, { forget: false });
        d.gameServer().closeWorldSessions(worldId, CloseCode.LEASE_LOST, 'world moving; retry');
        this.#uninstall(worldId);
      }
      throw err instanceof MoveError ? err : new MoveError(503, err instanceof Error ? err.message : String(err));
    } finally {
      c.unhold(worldId);
      this.#busy.delete(worldId);
    }
  }

  /** Admin routes: `POST /api/v1/worlds/:id/migrate` `{ to? }`, `POST /api/v1/cluster/adopt` `{ worldId }` (instances), `GET /api/v1/cluster/moves`. */
  routes(): Route[] {
    return [
      {
        method: 'POST',
        pattern: '/api/v1/worlds/:id/migrate',
        body: true,
        handler: async (req) => {
          const to = (req.body as { to?: unknown } | undefined)?.to;
          if (to !== undefined && (typeof to !== 'string' || to === ''))
            return { status: 400, json: { code: ErrorCode.OPTION_INVALID, message: '`to` must be an instance id' } };
          if (!this.#d.cluster.enforce) return failed(409, 'not in cluster mode (--redis)');
          try {
            return { json: await this.migrate(req.params.id ?? '', to) };
          } catch (err) {
            return err instanceof MoveError ? failed(err.status, err.message) : failed(500, String(err));
          }
        },
      },
      {
        method: 'POST',
        pattern: '/api/v1/cluster/adopt',
        body: true,
        handler: async (req) => {
          const worldId = (req.body as { worldId?: unknown } | undefined)?.worldId;
          if (typeof worldId !== 'string' || worldId === '')
            return { status: 400, json: { code: ErrorCode.OPTION_INVALID, message: '`worldId` must be a world id' } };
          try {
            const fencingToken = await this.#d.cluster.takeHandover(worldId);
            const w = this.#d.getWorld(worldId);
            return { json: { worldId, fencingToken, step: w?.clock.step ?? null, worldTime: w?.clock.now ?? null } };
          } catch (err) {
            if (isWorldtickError(err)) return failed(503, err.message);
            return failed(503, err instanceof Error ? err.message : String(err));
          }
        },
      },
      { method: 'GET', pattern: '/api/v1/cluster/moves', handler: () => ({ json: { moves: this.history } }) },
    ];
  }

  /** Operator state back before the world steps here (a failed read is logged: the world comes without it). */
  async #restoreOps(world: SimWorld, incarnation: string): Promise<void> {
    try {
      await this.#d.restoreOps?.(world, incarnation);
    } catch (err) {
      this.#d.logger.error({ err, world: world.id }, 'cluster: operator state of the adopted world could not be read');
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
   * `world` steps here next as `worldId`: its ledger writes carry `token`, the game server lets its
   * players in again, and the move is recorded (`t0`: performance.now() when the adoption began).
   */
  #adopted(worldId: string, world: SimWorld, token: number, why: 'failover' | 'migration', t0: number): MoveRecord {
    world.ledger?.service.setFenceToken(token);
    this.#d.gameServer().worldAdopted(worldId);
    const rec: MoveRecord = {
      worldId,
      kind: why === 'failover' ? 'failover' : 'migrated-in',
      fencingToken: token,
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

/** A migration refused or failed, with the HTTP status it answers. */
export class MoveError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}
