/**
 * The cluster's load balancer loop (docs/CLUSTER.md, "Balancing and placement").
 *
 * Load is measured: each instance reports, per world it steps, the ms of stepping per wall second
 * over the last few control ticks (`ClusterService.worldLoads`, which includes the cost of the
 * world's sessions: replication runs inside the step) on `GET /api/v1/cluster/load`. One round:
 * read every live instance's report, `planBalance` (±10 % band, hysteresis: nothing unless an
 * instance exceeds the mean by more than the tolerance; a world moved within the cooldown stays),
 * then ask each move's owner to migrate the world (`POST /api/v1/worlds/{id}/migrate`), one at a
 * time. Rounds run on the instance with the smallest id (every `intervalMs`), or on demand
 * (`POST /api/v1/cluster/balance`, `{ dryRun? }`) on any instance.
 */
import type { Route } from '../admin/index.js';
import { planBalance, type BalancePlan, type BalanceWorld } from '../cluster/balancer.js';
import { ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import type { ClusterService } from './cluster-service.js';
import type { WorldMover } from './cluster-migration.js';
import type { Service } from './service.js';
import { tokenMismatchMessage } from './peer-check.js';

/** Options of {@link ClusterBalancer}. */
export interface ClusterBalancerOptions {
  readonly cluster: ClusterService;
  readonly mover: WorldMover;
  readonly adminToken: string;
  readonly logger: Logger;
  /** Wall ms between automatic rounds on the leader; 0 = only on demand. */
  readonly intervalMs: number;
  /** Band half-width (fraction of the mean). Default 0.1. */
  readonly tolerance?: number;
  /** A world moved less than this long ago stays put (wall ms). Default 300 000. */
  readonly cooldownMs?: number;
}

/** One instance's load report. */
export interface LoadReport {
  readonly instance: string;
  readonly worlds: Array<{ worldId: string; load: number; lastMovedAt?: number }>;
}

/** What a round did. */
export interface BalanceRound {
  readonly plan: BalancePlan;
  readonly reports: readonly LoadReport[];
  /** Instances whose load report could not be had (left out of the plan): HTTP status (0: no answer) and why. */
  readonly leftOut: ReadonlyArray<{ instance: string; status: number; error: string }>;
  readonly results: Array<{
    worldId: string;
    from: string;
    to: string;
    ok: boolean;
    status: number;
    pauseMs: number | null;
    error?: string;
  }>;
  readonly ms: number;
}

/** The balancer service (a class: it owns a timer). */
export class ClusterBalancer implements Service {
  readonly name = 'cluster-balancer';
  readonly rounds: BalanceRound[] = [];
  readonly #o: ClusterBalancerOptions;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<BalanceRound> | null = null;

  constructor(o: ClusterBalancerOptions) {
    this.#o = o;
  }

  async start(): Promise<void> {
    if (!this.#o.cluster.enforce || this.#o.intervalMs <= 0) return;
    this.#timer = setInterval(() => {
      const ids = this.#o.cluster
        .instances()
        .map((i) => i.id)
        .sort();
      if (ids[0] === this.#o.cluster.instanceId && !this.#running)
        void this.round({}).catch((err: unknown) => this.#o.logger.warn({ err }, 'cluster: balance round failed'));
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running?.catch(() => undefined);
  }

  /** This instance's report: measured load of every world it steps, with its last move. */
  report(): LoadReport {
    const moved = new Map<string, number>();
    for (const m of this.#o.mover.history) if (m.kind !== 'migrated-out') moved.set(m.worldId, m.at);
    return {
      instance: this.#o.cluster.instanceId,
      worlds: this.#o.cluster
        .worldLoads()
        .filter((w) => w.stepping)
        .map((w) => ({ worldId: w.worldId, load: w.load, ...(moved.has(w.worldId) ? { lastMovedAt: moved.get(w.worldId)! } : {}) })),
    };
  }

  /** One round (one at a time: a round asked for meanwhile gets the running one). */
  round(o: { dryRun?: boolean }): Promise<BalanceRound> {
    if (this.#running) return this.#running;
    const run = this.#round(o.dryRun === true).finally(() => (this.#running = null));
    this.#running = run;
    return run;
  }

  async #round(dryRun: boolean): Promise<BalanceRound> {
    const t0 = performance.now();
    const c = this.#o.cluster;
    // An instance announcing capacity 0 (draining) is neither a source nor a target: it moves its own worlds away.
    const instances = c.instances().filter((i) => i.capacity > 0);
    const reports: LoadReport[] = [];
    const leftOut: Array<{ instance: string; status: number; error: string }> = [];
    const leaveOut = (peer: string, status: number, err: unknown): void => {
      const error = err instanceof Error ? err.message : String(err);
      leftOut.push({ instance: peer, status, error });
      this.#o.logger.warn(
        { peer, ...(status ? { status } : {}), err },
        'cluster: load report unavailable; instance left out of this round',
      );
    };
    for (const i of instances) {
      if (i.id === c.instanceId) {
        reports.push(this.report());
        continue;
      }
      try {
        const res = await fetch(`${i.adminUrl}/api/v1/cluster/load`, {
          headers: { authorization: `Bearer ${this.#o.adminToken}` },
          signal: AbortSignal.timeout(5000),
        });
        if (res.ok) reports.push((await res.json()) as LoadReport);
        else leaveOut(i.id, res.status, res.status === 401 ? tokenMismatchMessage(i.id, 'load report') : `answered ${res.status}`);
      } catch (err) {
        leaveOut(i.id, 0, err);
      }
    }
    const worlds: BalanceWorld[] = reports.flatMap((r) =>
      r.worlds.map((w) => ({
        id: w.worldId,
        instanceId: r.instance,
        load: w.load,
        ...(w.lastMovedAt !== undefined ? { lastMovedAt: w.lastMovedAt } : {}),
      })),
    );
    const plan = planBalance(
      reports.map((r) => ({ id: r.instance, load: r.worlds.reduce((n, w) => n + w.load, 0) })),
      worlds,
      { tolerance: this.#o.tolerance ?? 0.1, cooldownMs: this.#o.cooldownMs ?? 300_000, now: Date.now() },
    );
    const results: BalanceRound['results'] = [];
    if (!dryRun) {
      for (const m of plan.moves) {
        const owner = instances.find((i) => i.id === m.from);
        if (!owner) continue;
        try {
          const res = await fetch(`${owner.adminUrl}/api/v1/worlds/${encodeURIComponent(m.worldId)}/migrate`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${this.#o.adminToken}`,
              'content-type': 'application/json',
              'x-worldtick-forwarded-by': c.instanceId,
            },
            body: JSON.stringify({ to: m.to }),
            signal: AbortSignal.timeout(30_000),
          });
          const json = (await res.json().catch(() => ({}))) as { pauseMs?: number; message?: string };
          results.push({
            worldId: m.worldId,
            from: m.from,
            to: m.to,
            ok: res.status === 200,
            status: res.status,
            pauseMs: json.pauseMs ?? null,
            ...(res.status === 200 ? {} : { error: json.message ?? '' }),
          });
        } catch (err) {
          results.push({
            worldId: m.worldId,
            from: m.from,
            to: m.to,
            ok: false,
            status: 0,
            pauseMs: null,
            error: err instanceof Error ? err.message : String(err),
          });
        }
      }
    }
    const round: BalanceRound = { plan, reports, leftOut, results, ms: performance.now() - t0 };
    if (plan.moves.length)
      this.#o.logger.info(
        {
          status: plan.status,
          moves: plan.moves.length,
          dryRun,
          before: plan.before,
          after: plan.after,
          failed: results.filter((r) => !r.ok).length,
        },
        'cluster: balance round',
      );
    if (!dryRun) {
      this.rounds.push(round);
      if (this.rounds.length > 16) this.rounds.shift();
    }
    return round;
  }

  /** `GET /api/v1/cluster/load` (this instance's report), `POST /api/v1/cluster/balance` `{ dryRun? }` (a round now). */
  routes(): Route[] {
    return [
      { method: 'GET', pattern: '/api/v1/cluster/load', handler: () => ({ json: this.report() }) },
      {
        method: 'POST',
        pattern: '/api/v1/cluster/balance',
        body: true,
        handler: async (req) => {
          const dryRun = (req.body as { dryRun?: unknown } | undefined)?.dryRun;
          if (dryRun !== undefined && typeof dryRun !== 'boolean')
            return { status: 400, json: { code: ErrorCode.OPTION_INVALID, message: '`dryRun` must be a boolean' } };
          if (!this.#o.cluster.enforce)
            return { status: 409, json: { code: ErrorCode.MIGRATION_FAILED, message: 'not in cluster mode (--redis)' } };
          return { json: await this.round({ dryRun: dryRun === true }) };
        },
      },
    ];
  }
}
