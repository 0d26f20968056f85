/**
 * The world churn of bench/soak-cluster.ts: short-lived worlds under new ids, one after another
 * until told to stop — `POST /api/v1/worlds` (`churn-<n>`, a few NPCs) on a random live instance,
 * a few players join it and buy (bench/crash-campaign-players.ts, the same exactly-once bookkeeping
 * as the soak's other players), half of them migrated once to another live instance, then
 * `DELETE /api/v1/worlds/{id}` on its owner (docs/ADMIN.md "Short-lived worlds"). And the probes that
 * go with it: `/metrics` size and series (those naming a churn world counted apart) and the admin
 * world list, per instance; rows of deleted worlds left in PostgreSQL at the end.
 */
import pg from 'pg';
import type { LoadControl, PlayerState } from './crash-campaign-players.js';
import { newPlayers, runPlayer } from './crash-campaign-players.js';
import { admin, CAMPAIGN_TOKEN, sleep } from './crash-campaign-server.js';
import type { SoakCluster } from './soak-cluster-driver.js';

export const CHURN_PREFIX = 'churn-';

/** What the churn did. */
export interface ChurnCounts {
  creates: number;
  deletes: number;
  /**
   * Churn worlds still leased when the churn stops (for each quiet sample and at the end), deleted then:
   * those whose create got no answer in time (a timeout) and finished after the delete that followed
   * it found nothing.
   */
  lateDeletes: number;
  /** Deletes answered `durable: false` (the record delete is retried in the background). */
  deletesNotDurable: number;
  migrations: number;
  purchases: number;
  failures: Record<string, number>;
}

export const newChurnCounts = (): ChurnCounts => ({
  creates: 0,
  deletes: 0,
  lateDeletes: 0,
  deletesNotDurable: 0,
  migrations: 0,
  purchases: 0,
  failures: {},
});

/** `n` churn players, indexes from `firstIndex` on (after the soak's own players, for the ledger check). */
export const newChurnPlayers = (n: number, firstIndex: number): PlayerState[] =>
  newPlayers(n, 'soak-churn-', firstIndex).map((p) => ({ ...p, worldId: '1', repeats: 0 }));

export interface ChurnOptions {
  cluster: SoakCluster;
  /** The churn players (their `worldId` is set per world; kept for the exactly-once check). */
  players: PlayerState[];
  /** Wall ms a world lives (players buying meanwhile). */
  lifeMs: number;
  /** Wall ms between two worlds. */
  gapMs: number;
  npcs: number;
  rand: () => number;
  stop: () => boolean;
  counts: ChurnCounts;
  log: (line: string) => void;
}

const fail = (c: ChurnCounts, what: string, status: number, code: unknown): void => {
  const k = `${what} ${status} ${String(code ?? '')}`;
  c.failures[k] = (c.failures[k] ?? 0) + 1;
};

const errorCode = (j: any): unknown => j?.error?.code ?? j?.code;

/** Ids made so far (also those whose create failed: they may exist all the same). */
let serial = 0;
export const churnIdsMade = (): number => serial;

/** Delete `w` on its owner, retrying a few times (owner moving, store restarting); true when deleted (or gone). */
const deleteWorld = async (o: ChurnOptions, w: string): Promise<boolean> => {
  for (let attempt = 0; attempt < 20; attempt++) {
    const owners = await o.cluster.owners();
    const owner = o.cluster.byId.get(owners[w] ?? '') ?? o.cluster.live()[0];
    if (!owner) {
      await sleep(500);
      continue;
    }
    const r = await admin(owner.spec.adminPort, 'DELETE', `/api/v1/worlds/${w}`).catch(() => null);
    if (r?.status === 200) {
      o.counts.deletes++;
      if (r.json?.durable === false) o.counts.deletesNotDurable++;
      return true;
    }
    if (r?.status === 404 && owners[w] === undefined) return true;
    fail(o.counts, 'delete', r?.status ?? 0, errorCode(r?.json));
    await sleep(500);
  }
  return false;
};

/** One short-lived world: create, players buy, maybe a migration, delete. */
const churnOne = async (o: ChurnOptions): Promise<void> => {
  const live = o.cluster.live();
  const at = live[Math.floor(o.rand() * live.length)];
  if (!at) return;
  const w = `${CHURN_PREFIX}${++serial}`;
  const r = await admin(at.spec.adminPort, 'POST', '/api/v1/worlds?placement=local', { id: w, npcs: o.npcs }).catch(() => null);
  if (r?.status !== 201) {
    fail(o.counts, 'create', r?.status ?? 0, errorCode(r?.json));
    // It may exist all the same (the answer lost): delete it so nothing of it stays.
    await deleteWorld(o, w);
    return;
  }
  o.counts.creates++;
  const ctl: LoadControl = {
    port: at.spec.port,
    adminPort: at.spec.adminPort,
    ports: o.cluster.instances.map((i) => i.spec.port),
    adminPorts: o.cluster.instances.map((i) => i.spec.adminPort),
    draining: false,
    abandon: false,
    iteration: 0,
    joinedSince: new Set(),
    resumeOutcome: new Map(),
    repeatEvery: 5,
    pauseMs: 100,
  };
  const acked0 = o.players.reduce((n, p) => n + p.acked.size, 0);
  for (const p of o.players) {
    p.worldId = w;
    p.resume = null;
  }
  const load = Promise.all(o.players.map((p) => runPlayer(p, ctl)));
  await sleep(o.lifeMs / 2);
  if (o.rand() < 0.5) {
    const to = o.cluster.live().filter((i) => i.id !== at.id)[0];
    const owner = o.cluster.byId.get((await o.cluster.owners())[w] ?? '');
    if (to && owner) {
      const m = await admin(owner.spec.adminPort, 'POST', `/api/v1/worlds/${w}/migrate`, { to: to.id }).catch(() => null);
      if (m?.status === 200) o.counts.migrations++;
      else fail(o.counts, 'migrate', m?.status ?? 0, errorCode(m?.json));
    }
  }
  await sleep(o.lifeMs / 2);
  ctl.draining = true;
  // Pending keys are answered before the world goes (else they stay pending and are retried in the next world).
  const done = await Promise.race([load.then(() => true), sleep(15_000).then(() => false)]);
  if (!done) {
    ctl.abandon = true;
    await load;
  }
  o.counts.purchases += o.players.reduce((n, p) => n + p.acked.size, 0) - acked0;
  await deleteWorld(o, w);
};

/** Make and delete worlds until `stop()`. */
export const runChurn = async (o: ChurnOptions): Promise<void> => {
  while (!o.stop()) {
    try {
      await churnOne(o);
    } catch (err) {
      o.log(`  churn: ${(err as Error).message}`);
    }
    await sleep(o.gapMs);
  }
  // A create with no clear answer may finish after the delete that followed it (the server goes on with
  // it): every churn world the cluster still leases is deleted now — none is in use, the churn has stopped.
  // One whose create is still running is found at the next stop (a quiet sample may see it: its
  // `churnWorlds`). Looking only at the ids whose create timed out, once, missed those that finished later.
  const owners = await o.cluster.owners();
  for (const w of Object.keys(owners).filter((id) => id.startsWith(CHURN_PREFIX))) {
    const before = o.counts.deletes;
    if (await deleteWorld(o, w)) o.counts.lateDeletes += o.counts.deletes - before;
  }
};

/** `/metrics` of one instance: bytes, series (sample lines), and series naming a churn world. */
export const metricsSize = async (
  adminPort: number,
): Promise<{ bytes: number; series: number; churnSeries: number; families: Record<string, number> }> => {
  const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`, {
    headers: { authorization: `Bearer ${CAMPAIGN_TOKEN}` },
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let series = 0;
  let churnSeries = 0;
  const families: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    series++;
    const name = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(line)?.[0] ?? '?';
    families[name] = (families[name] ?? 0) + 1;
    if (line.includes(`"${CHURN_PREFIX}`)) churnSeries++;
  }
  return { bytes: Buffer.byteLength(text), series, churnSeries, families };
};

/** Series per metric family that differ between two `/metrics` reads (`after - before`, nonzero only). */
export const familyDelta = (before: Record<string, number>, after: Record<string, number>): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const d = (after[k] ?? 0) - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
};

/** Worlds in one instance's admin world list (and those of them that are churn worlds). */
export const worldList = async (adminPort: number): Promise<{ worlds: number; churnWorlds: number }> => {
  const r = await admin(adminPort, 'GET', '/api/v1/worlds');
  const ids = ((r.json?.worlds ?? []) as Array<{ id?: string; worldId?: string }>).map((x) => String(x.id ?? x.worldId ?? ''));
  return { worlds: ids.length, churnWorlds: ids.filter((id) => id.startsWith(CHURN_PREFIX)).length };
};

/** Rows per table keyed by world id whose world is not in `live` (those of deleted worlds: should be none). */
export const deadWorldRows = async (url: string, live: readonly string[]): Promise<Record<string, number>> => {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    const out: Record<string, number> = {};
    for (const table of ['world_configs', 'checkpoints', 'fences', 'sessions']) {
      const r = await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE NOT (world_id = ANY($1))`, [live]);
      out[table] = Number(r.rows[0]?.n ?? 0);
    }
    return out;
  } finally {
    await c.end();
  }
};
