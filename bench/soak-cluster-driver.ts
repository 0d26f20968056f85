/**
 * The cluster of bench/soak-cluster.ts and what moves its worlds: instances of the real CLI on fixed
 * ports (bench/crash-campaign-server.ts; restarted on the same ports after a SIGKILL), each with its
 * inspector on a fixed port, over one redis-server without persistence on a fixed port (restarted
 * empty now and then) and one PostgreSQL database; and the driver, which until told to stop migrates
 * worlds back and forth, drains and undrains instances, SIGKILLs the `victim` instance and starts it
 * again, restarts Redis and PostgreSQL, counting each move.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { answersPing, findRedisServer } from '../test/helpers/redis-server.js';
import { admin, killServer, sleep, startServer, waitUp, type ServerProc, type ServerSpec } from './crash-campaign-server.js';

/** A redis-server without persistence on a fixed port: killed and started again, it comes back empty on the same URL. */
export interface LossyRedis {
  port: number;
  url: string;
  start(): Promise<void>;
  kill(): Promise<void>;
}

export const lossyRedis = (port: number, dir: string): LossyRedis => {
  let child: ChildProcess | null = null;
  const kill = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    async start() {
      const bin = findRedisServer();
      if (!bin) throw new Error('redis-server is not installed');
      child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
        stdio: 'ignore',
      });
      for (let i = 0; i < 100 && !(await answersPing(port)); i++) await sleep(50);
    },
  };
};

/** One instance of the soak: its spec (ports), inspector port and current process. */
export interface SoakInstance {
  id: string;
  spec: ServerSpec;
  inspectPort: number;
  proc: ServerProc | null;
  /** Starts of this instance (1 + restarts after a kill). */
  starts: number;
}

/** The instances by id, with start and kill. */
export class SoakCluster {
  readonly byId = new Map<string, SoakInstance>();
  constructor(readonly instances: SoakInstance[]) {
    for (const i of instances) this.byId.set(i.id, i);
  }

  get(id: string): SoakInstance {
    const i = this.byId.get(id);
    if (!i) throw new Error(`no instance ${id}`);
    return i;
  }

  /** Start (or start again) `id` and wait until its admin API answers. */
  async start(id: string): Promise<void> {
    const i = this.get(id);
    const p = startServer(i.spec);
    i.proc = p;
    i.starts++;
    await waitUp(i.spec, p, 60_000);
  }

  /** SIGKILL `id`. */
  async kill(id: string): Promise<void> {
    const i = this.get(id);
    if (i.proc) await killServer(i.proc);
    i.proc = null;
  }

  live(): SoakInstance[] {
    return this.instances.filter((i) => i.proc !== null && i.proc.child.exitCode === null);
  }

  /** World → owner id, from the first live instance that answers its cluster view. */
  async owners(): Promise<Record<string, string>> {
    for (const i of this.live()) {
      try {
        const r = await admin(i.spec.adminPort, 'GET', '/api/v1/cluster');
        const out: Record<string, string> = {};
        for (const l of (r.json?.leases ?? []) as Array<{ worldId: string; instanceId: string }>) out[l.worldId] = l.instanceId;
        return out;
      } catch {
        /* that one is down: ask the next */
      }
    }
    return {};
  }

  /** Wait until every world of `worlds` is owned by a live instance (or `timeoutMs`); the owners. */
  async settled(worlds: readonly string[], timeoutMs = 30_000): Promise<Record<string, string>> {
    const deadline = Date.now() + timeoutMs;
    let o: Record<string, string> = {};
    while (Date.now() < deadline) {
      o = await this.owners();
      const live = new Set(this.live().map((i) => i.id));
      if (worlds.every((w) => o[w] !== undefined && live.has(o[w] ?? ''))) return o;
      await sleep(200);
    }
    return o;
  }

  /** Migrate each world to the instance `want` names (where it is not already); the migrations made. */
  async place(want: Record<string, string>, worlds: readonly string[]): Promise<number> {
    let moved = 0;
    for (let round = 0; round < 5; round++) {
      const o = await this.settled(worlds);
      const wrong = worlds.filter((w) => want[w] !== undefined && o[w] !== want[w]);
      if (wrong.length === 0) return moved;
      for (const w of wrong) {
        const owner = this.byId.get(o[w] ?? '');
        if (!owner) continue;
        const r = await admin(owner.spec.adminPort, 'POST', `/api/v1/worlds/${w}/migrate`, { to: want[w] }).catch(() => null);
        if (r?.status === 200) moved++;
      }
    }
    return moved;
  }
}

/** What the driver did. */
export interface DriverCounts {
  migrations: number;
  migrationsFailed: Record<string, number>;
  drains: number;
  drainMoved: number;
  drainFailed: number;
  /** The drain answers' `failed` entries by their error (first 160 characters): why a world stayed. */
  drainFailures: Record<string, number>;
  kills: number;
  /** Worlds the killed instance owned, taken over by another instance (failovers). */
  failovers: number;
  redisRestarts: number;
  pgRestarts: number;
  /** Worlds moved in all: migrations + drained worlds + failovers. */
  moves: number;
}

export const newDriverCounts = (): DriverCounts => ({
  migrations: 0,
  migrationsFailed: {},
  drains: 0,
  drainMoved: 0,
  drainFailed: 0,
  drainFailures: {},
  kills: 0,
  failovers: 0,
  redisRestarts: 0,
  pgRestarts: 0,
  moves: 0,
});

/** Options of {@link runDriver}. */
export interface DriverOptions {
  cluster: SoakCluster;
  redis: LossyRedis;
  worlds: readonly string[];
  /** The instance that is SIGKILLed and started again (the others live the whole run). */
  victim: string;
  /** Wall ms between two events. */
  gapMs: number;
  /** Wall seconds between two kills of the victim (0 = never). */
  killEverySeconds: number;
  /** Wall seconds between two Redis restarts (0 = never). */
  redisEverySeconds: number;
  /** Wall seconds between two PostgreSQL restarts (0 = never). */
  pgEverySeconds: number;
  /** Stop PostgreSQL (fast shutdown) and start it again on the same port and data. */
  restartPg: () => Promise<void>;
  /**
   * When the next kill / Redis restart / PostgreSQL restart is due (wall ms), kept by the caller across
   * runs of the driver (it is stopped for every quiet sample); set on the first run.
   */
  schedule: { kill?: number; redis?: number; pg?: number };
  rand: () => number;
  stop: () => boolean;
  counts: DriverCounts;
  log: (line: string) => void;
}

const pick = <T>(xs: readonly T[], r: number): T | undefined => xs[Math.floor(r * xs.length)];

/** One migration of a random world to another live instance. */
const migrateOne = async (o: DriverOptions): Promise<void> => {
  const owners = await o.cluster.owners();
  const w = pick(o.worlds, o.rand()) ?? '1';
  const from = o.cluster.byId.get(owners[w] ?? '');
  const to = pick(
    o.cluster.live().filter((i) => i.id !== from?.id),
    o.rand(),
  );
  if (!from || !to) return;
  const r = await admin(from.spec.adminPort, 'POST', `/api/v1/worlds/${w}/migrate`, { to: to.id }).catch((e: Error) => ({
    status: 0,
    json: { error: { code: e.message.slice(0, 60) } },
    owner: null,
  }));
  if (r.status === 200) {
    o.counts.migrations++;
    o.counts.moves++;
  } else {
    const k = `${r.status} ${String(r.json?.error?.code ?? r.json?.code ?? '')}`;
    o.counts.migrationsFailed[k] = (o.counts.migrationsFailed[k] ?? 0) + 1;
  }
};

/** Drain a random live instance that owns a world, then end the drain. */
const drainOne = async (o: DriverOptions): Promise<void> => {
  const owners = await o.cluster.owners();
  const busy = o.cluster.live().filter((i) => Object.values(owners).includes(i.id));
  const inst = pick(busy, o.rand());
  if (!inst) return;
  try {
    const r = await admin(inst.spec.adminPort, 'POST', '/api/v1/cluster/drain');
    o.counts.drains++;
    const moved = Array.isArray(r.json?.moved) ? r.json.moved.length : 0;
    o.counts.drainMoved += moved;
    o.counts.moves += moved;
    const failed: unknown[] = Array.isArray(r.json?.failed) ? r.json.failed : [];
    o.counts.drainFailed += failed.length;
    for (const f of failed) {
      const error = (f as { error?: unknown } | null)?.error;
      const key = (typeof error === 'string' ? error : 'no error given').slice(0, 160);
      o.counts.drainFailures[key] = (o.counts.drainFailures[key] ?? 0) + 1;
    }
  } finally {
    await admin(inst.spec.adminPort, 'DELETE', '/api/v1/cluster/drain').catch(() => null);
  }
};

/** SIGKILL the victim, wait until its worlds are owned elsewhere, start it again on the same ports. */
const killOne = async (o: DriverOptions): Promise<void> => {
  const owners = await o.cluster.owners();
  const held = o.worlds.filter((w) => owners[w] === o.victim);
  await o.cluster.kill(o.victim);
  o.counts.kills++;
  const after = await o.cluster.settled(o.worlds, 30_000);
  const taken = held.filter((w) => after[w] !== undefined && after[w] !== o.victim).length;
  o.counts.failovers += taken;
  o.counts.moves += taken;
  await o.cluster.start(o.victim);
  o.log(`  killed ${o.victim} (owned ${held.join(',') || 'nothing'}; ${taken} taken over), started again`);
};

const restartRedis = async (o: DriverOptions): Promise<void> => {
  await o.redis.kill();
  await sleep(300 + o.rand() * 700);
  await o.redis.start();
  o.counts.redisRestarts++;
  await o.cluster.settled(o.worlds, 30_000);
  o.log('  redis-server restarted (empty)');
};

const restartPg = async (o: DriverOptions): Promise<void> => {
  await o.restartPg();
  o.counts.pgRestarts++;
  await o.cluster.settled(o.worlds, 30_000);
  o.log('  postgresql restarted');
};

/** Move worlds until `stop()`: migrations mostly, a drain now and then, kills, Redis and PostgreSQL restarts on their periods. */
export const runDriver = async (o: DriverOptions): Promise<void> => {
  const s = o.schedule;
  const first = (every: number): number => (every > 0 ? Date.now() + every * 1000 : Number.POSITIVE_INFINITY);
  s.kill ??= first(o.killEverySeconds);
  s.redis ??= first(o.redisEverySeconds);
  s.pg ??= first(o.pgEverySeconds);
  while (!o.stop()) {
    try {
      if (Date.now() >= s.pg) {
        await restartPg(o);
        s.pg = first(o.pgEverySeconds);
      } else if (Date.now() >= s.kill) {
        await killOne(o);
        s.kill = first(o.killEverySeconds);
      } else if (Date.now() >= s.redis) {
        await restartRedis(o);
        s.redis = first(o.redisEverySeconds);
      } else if (o.rand() < 0.15) await drainOne(o);
      else await migrateOne(o);
    } catch (err) {
      o.log(`  driver: ${(err as Error).message}`);
    }
    await sleep(o.gapMs);
  }
};
