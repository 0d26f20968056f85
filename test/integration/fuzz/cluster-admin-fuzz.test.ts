/**
 * Fuzz: the admin HTTP API of a two-instance cluster (in-process runtimes a and b over a real redis-server and a
 * real PostgreSQL; a owns world `fz`). Seeded random requests over raw TCP, as the single-server admin fuzz sends
 * them (test/fuzz-helpers/admin-requests.ts), to either instance: every route in turn (the cluster's own —
 * `/api/v1/cluster`, `drain`, `balance`, `load`, `moves`, the peers' `adopt` — with the rest), so a request for a
 * world the other instance owns is forwarded, and migrations, drains and adopt requests run between the others.
 *
 * Asserted for every request: a documented status (cluster mode adds 502 and 503 codes: docs/ADMIN.md "Errors"),
 * an error as `{code, message}`; a request refused with a 4xx changes no stored world record and no config;
 * `/healthz` keeps answering on both. Afterwards: neither admin server counted an internal error, neither
 * logged a TypeError, RangeError or ReferenceError, every stored world is owned by exactly one instance that
 * steps it (a drain undone), and a player joins the fuzz's world and buys once.
 * First found (stop 67): an adopt request for a world the instance already stepped rolled it back to its
 * last checkpoint (test/integration/cluster/hand-sent-requests.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { genRequest, genRouteRequest } from '../../fuzz-helpers/admin-requests.js';
import { checkResponse, describeRequest, errorCode, malformedRequest } from '../../fuzz-helpers/admin-responses.js';
import { rawHttp, type RawRequest, type RawResponse } from '../../fuzz-helpers/raw-http.js';
import { createRng, fuzzScale, fuzzSeed, type Rng, fuzzTimeout } from '../../fuzz-helpers/rng.js';
import { CLUSTER_TOKEN, until } from '../../helpers/cluster-instances.js';
import { startPlayer } from '../../helpers/cluster-players.js';
import type { RuntimeInstance } from '../../helpers/cluster-runtimes.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { sharedBackendOrSkip, twoRuntimesOwning } from '../../helpers/shared-cluster.js';
import { withPgClient } from '../../helpers/shared-postgres.js';

const { skip, pg } = await sharedBackendOrSkip('cluster admin fuzz');

const SEED = fuzzSeed(0xc1a5);
const REQUESTS = Math.round(240 * fuzzScale());
const LANES = 4;
const OPS_PER_LANE = Math.round(25 * fuzzScale());
/** Routes that wait on other instances or the store (a migration, a drain, a checkpoint, an adopt): answered within 70 s. */
const LONG = /\/(migrate|checkpoint|drain|adopt|balance)(\?|$)/;
const MODE = {
  codes502: ['WT_ERR_CLUSTER_TOKEN_MISMATCH', 'WT_ERR_MIGRATION_FAILED'],
  codes503: ['WT_ERR_CLUSTER_UNAVAILABLE', 'WT_ERR_MIGRATION_FAILED'],
};

/** A stored record's incarnation (a new one for each create of its id), or its text when it is no record. */
const incarnation = (config: string): unknown => {
  try {
    return (JSON.parse(config) as { incarnation?: unknown }).incarnation;
  } catch {
    return config;
  }
};

/**
 * The stored worlds, each id with its incarnation: what a create or a delete changes before it is answered. (A
 * record's other fields are written after the answer, with the next checkpoint: a config update accepted earlier
 * may land in the store while a later request is refused. The config a refusal must leave is read from the API.)
 */
const storedWorlds = (url: string): Promise<string> =>
  withPgClient(url, async (c) =>
    JSON.stringify(
      (await c.query('SELECT world_id, config FROM world_configs ORDER BY world_id')).rows.map((r) => [r.world_id, incarnation(r.config)]),
    ),
  );

const portOf = (i: RuntimeInstance): number => i.runtime.admin.port;

/** The step of every world an instance steps now, by id (each stepped by one instance: the last one read wins). */
const steppedAt = (inst: readonly RuntimeInstance[]): Map<string, number> => {
  const m = new Map<string, number>();
  for (const i of inst) {
    const serving = new Set(i.runtime.cluster.serving());
    for (const w of i.runtime.runner.worlds()) if (serving.has(w.id)) m.set(w.id, w.clock.step);
  }
  return m;
};

/** Whether `i` logged a failover restore (a world taken over from its checkpoint after its owner lost it) after line `from`. */
const failedOverSince = (i: RuntimeInstance, from: number): boolean =>
  i.lines.slice(from).some((l) => l.msg === 'cluster: world taken over from its checkpoint' && l.why === 'failover');

const ERROR_TYPES = /TypeError|RangeError|ReferenceError/;
/** Log lines of `i` that carry a programming error (an `err` of those types, or one in the message). */
const programmingErrors = (i: RuntimeInstance): string[] =>
  i.lines
    .filter((l) => {
      const err = l.err as { type?: unknown; message?: unknown; stack?: unknown } | undefined;
      return (
        ERROR_TYPES.test(String(err?.type ?? '')) || ERROR_TYPES.test(String(err?.stack ?? '')) || ERROR_TYPES.test(String(l.msg ?? ''))
      );
    })
    .map((l) => JSON.stringify(l).slice(0, 600));

/**
 * Whatever a fuzz did: drains undone, then every stored world stepped by exactly one instance, and neither admin
 * server counted an internal error nor logged a programming error. Resolves the stored world ids.
 */
const settled = async (url: string, inst: readonly RuntimeInstance[]): Promise<string[]> => {
  for (const i of inst) expect((await i.api('DELETE', '/api/v1/cluster/drain')).status).toBe(200);
  const stored = await withPgClient(url, async (c) =>
    (await c.query('SELECT world_id FROM world_configs')).rows.map((x) => x.world_id as string),
  );
  await until(
    'every stored world stepped by exactly one instance',
    () => {
      const stepping = inst.flatMap((i) => i.runtime.cluster.serving());
      return stored.every((id) => stepping.filter((s) => s === id).length === 1) && stepping.length === new Set(stepping).size;
    },
    30_000,
  );
  for (const i of inst) {
    expect(i.runtime.admin.counters.internalErrors, `${i.id}: internal errors`).toBe(0);
    expect(programmingErrors(i), `${i.id}: programming errors logged`).toEqual([]);
  }
  return stored;
};

/** Worlds both instances could step at this instant (`canStep`, the loop's gate before each step): a split brain. */
const steppableOnBoth = (a: RuntimeInstance, b: RuntimeInstance): string[] => {
  const onA = new Set(
    a.runtime.runner
      .worlds()
      .filter((w) => a.runtime.cluster.canStep(w))
      .map((w) => w.id),
  );
  return b.runtime.runner
    .worlds()
    .filter((w) => onA.has(w.id) && b.runtime.cluster.canStep(w))
    .map((w) => w.id);
};

describe.skipIf(skip !== null)('fuzz: the admin API of a two-instance cluster', () => {
  const ctx = skip === null ? twoRuntimesOwning(pg as PgServer, { worldId: 'fz', worldNpcs: 20, args: ['--lease-ttl', '3'] }) : null;

  it(`${REQUESTS} random requests (seed ${SEED}) to both instances: documented answers, refusals change nothing, one owner per world`, {
    timeout: fuzzTimeout(600_000),
  }, async () => {
    const [a, b] = ctx!.inst;
    const url = (pg as PgServer).url;
    const routes = a.runtime.admin.routes.map((r) => `${r.method} ${r.pattern}`);
    for (const r of ['POST /api/v1/cluster/adopt', 'POST /api/v1/cluster/drain', 'POST /api/v1/worlds/:id/migrate'])
      expect(routes, 'the cluster routes are among those fuzzed').toContain(r);
    const clusterRoutes = routes.filter((r) => r.includes('/cluster') || r.endsWith('/migrate'));
    const rng = createRng(SEED);
    const created = ['fz'];
    const statuses = new Map<number, number>();
    const handled = new Set<string>();
    let routed = 0;
    let noResponse = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const target = rng.chance(0.6) ? b : a;
      // Every route in turn (the first round plainly), and the cluster's own routes more often besides.
      const turn = rng.chance(0.4);
      const route = turn ? routes[routed++ % routes.length] : rng.chance(0.2) ? rng.pick(clusterRoutes) : null;
      const plain = turn && routed <= routes.length;
      const g = route !== null ? genRouteRequest(rng, route, created, plain, CLUSTER_TOKEN) : genRequest(rng, created, CLUSTER_TOKEN);
      const at = describeRequest(SEED, i, g, `${target.id} `);
      const cfgPath = g.world !== null && g.world !== '' ? `/api/v1/worlds/${encodeURIComponent(g.world)}/scheduler/config` : null;
      // The config as its owner answers it (null unless 200: a world being taken over answers 503, compared with nothing).
      const getCfg = async (): Promise<string | null> => {
        if (cfgPath === null) return null;
        const c = await rawHttp(
          portOf(target),
          { method: 'GET', path: cfgPath, headers: [['Authorization', `Bearer ${CLUSTER_TOKEN}`]] },
          10_000,
        );
        return c?.status === 200 ? c.body.toString() : null;
      };
      const cfgBefore = await getCfg();
      const storedBefore = await storedWorlds(url);
      const stepsBefore = steppedAt([a, b]);
      const linesBefore = [a.lines.length, b.lines.length];
      const malformed = malformedRequest(g);
      const r: RawResponse | null = await rawHttp(portOf(target), g.req, malformed ? 300 : LONG.test(g.req.path) ? 70_000 : 10_000);
      if (!r) {
        if (!malformed && g.req.abortAfterBodyBytes === undefined) throw new Error(`${at}: no response`);
        noResponse++;
        expect(await storedWorlds(url), `${at}: unanswered, yet the stored worlds changed`).toBe(storedBefore);
        continue;
      }
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      // No answer takes a world back to an earlier step (a restore over the live world), unless a failover did: the
      // owner lost its lease meanwhile (a loaded machine) and another instance took the world from its checkpoint.
      const storedAfter = await storedWorlds(url);
      if (storedAfter === storedBefore && !failedOverSince(a, linesBefore[0]) && !failedOverSince(b, linesBefore[1]))
        for (const [id, step] of steppedAt([a, b]))
          expect(step, `${at}: answered ${r.status}, world ${id} went back from step ${stepsBefore.get(id)}`).toBeGreaterThanOrEqual(
            stepsBefore.get(id) ?? 0,
          );
      if (
        plain &&
        route !== null &&
        r.status !== 401 &&
        r.status !== 405 &&
        !(r.status === 404 && errorCode(r) === 'WT_ERR_ADMIN_ROUTE_NOT_FOUND')
      )
        handled.add(route);
      checkResponse(g, r, at, MODE);
      if (r.status >= 400 && r.status < 500) {
        expect(await storedWorlds(url), `${at}: refused ${r.status}, yet the stored worlds changed`).toBe(storedBefore);
        const cfgAfter = cfgBefore === null ? null : await getCfg();
        if (cfgAfter !== null) expect(cfgAfter, `${at}: refused ${r.status}, yet the config changed`).toBe(cfgBefore);
      }
      // Worlds the fuzz made (or kept) are aimed at again; deleted ones are dropped from the aim.
      const ids = await withPgClient(url, async (c) =>
        (await c.query('SELECT world_id FROM world_configs')).rows.map((x) => x.world_id as string),
      );
      for (const id of ids) if (!created.includes(id) && id !== '1') created.push(id);
      for (let k = created.length - 1; k >= 0; k--) if (!ids.includes(created[k])) created.splice(k, 1);
      if (i % 20 === 0)
        for (const inst of [a, b])
          expect(
            (await rawHttp(portOf(inst), { method: 'GET', path: '/healthz', headers: [] }, 10_000))?.status,
            `${at}: healthz of ${inst.id}`,
          ).toBe(200);
    }

    const stored = await settled(url, [a, b]);
    // Every route the instances register was reached (its handler answered a plain request).
    expect(routes.filter((x) => !handled.has(x))).toEqual([]);
    for (const s of [200, 400, 401, 404, 405]) expect(statuses.get(s) ?? 0, `status ${s} reached`).toBeGreaterThan(0);

    // The cluster still serves players: one joins a stored world through b and buys once.
    const world = stored.includes('fz') ? 'fz' : '1';
    // What the fuzz may have left on (maintenance of an instance or the world, the world paused) is turned off first.
    for (const inst of [a, b]) expect((await inst.api('PUT', '/api/v1/maintenance', { on: false })).status).toBe(200);
    expect((await b.api('PUT', `/api/v1/worlds/${world}/maintenance`, { on: false })).status).toBe(200);
    expect((await b.api('POST', `/api/v1/worlds/${world}/scheduler/resume`, {})).status).toBe(200);
    const p = await startPlayer(world, 'fuzz-after', [b.gameUrl, a.gameUrl], 200);
    try {
      await until('the player bought', () => p.log.acked.size >= 1, 30_000);
    } finally {
      await p.stop();
    }
    console.log(
      `cluster admin fuzz: seed ${SEED}, ${REQUESTS} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}, no response ${noResponse}`,
    );
  });

  it(`${LANES} lanes of concurrent creates, deletes, moves, adopts, drains and checkpoints (seed ${SEED}): never one world steppable on both`, {
    timeout: fuzzTimeout(600_000),
  }, async () => {
    const [a, b] = ctx!.inst;
    const url = (pg as PgServer).url;
    const ids = ['cw1', 'cw2', 'cw3', 'fz'];
    const auth: [string, string] = ['Authorization', `Bearer ${CLUSTER_TOKEN}`];
    const json = (method: string, path: string, body?: unknown): RawRequest => {
      const text = body === undefined ? undefined : JSON.stringify(body);
      return {
        method,
        path,
        headers:
          text === undefined ? [auth] : [auth, ['Content-Type', 'application/json'], ['Content-Length', String(Buffer.byteLength(text))]],
        ...(text === undefined ? {} : { body: text }),
      };
    };
    /** One operation on one of a few world ids, sent to either instance. */
    const op = (rng: Rng): { target: RuntimeInstance; req: RawRequest } => {
      const id = rng.pick(ids);
      const other = rng.pick(['a', 'b', 'c', '']);
      const target = rng.chance(0.5) ? a : b;
      const req = rng.pick<() => RawRequest>([
        () => json('POST', `/api/v1/worlds${rng.chance(0.5) ? '?placement=local' : ''}`, { id, npcs: rng.int(0, 30) }),
        () => json('DELETE', `/api/v1/worlds/${id}`),
        () => json('POST', `/api/v1/worlds/${id}/migrate`, other === '' ? {} : { to: other }),
        () => json('POST', `/api/v1/worlds/${id}/migrate`, {}),
        () => json('POST', '/api/v1/cluster/adopt', { worldId: id, ...(other === '' ? {} : { from: other }) }),
        () => json('POST', `/api/v1/worlds/${id}/checkpoint`, {}),
        () => json(rng.chance(0.3) ? 'POST' : 'DELETE', '/api/v1/cluster/drain'),
        () => json('GET', `/api/v1/worlds/${id}`),
      ])();
      return { target, req };
    };
    const split: string[] = [];
    let watching = true;
    // The loop's gate read on both instances at one instant (one event loop runs both): a world both could step is a split brain.
    const watch = (async () => {
      while (watching) {
        for (const id of steppableOnBoth(a, b)) split.push(id);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const statuses = new Map<number, number>();
    const lane = async (k: number): Promise<void> => {
      const rng = createRng(SEED * 31 + k);
      for (let i = 0; i < OPS_PER_LANE; i++) {
        const { target, req } = op(rng);
        const at = `seed ${SEED} lane ${k} op ${i}: ${target.id} ${req.method} ${req.path} ${String(req.body ?? '')}`;
        const r = await rawHttp(portOf(target), req, 70_000);
        if (!r) throw new Error(`${at}: no response`);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        checkResponse({ req, world: null }, r, at, MODE);
      }
    };
    try {
      await Promise.all(Array.from({ length: LANES }, (_, k) => lane(k)));
    } finally {
      watching = false;
      await watch;
    }
    expect(split, 'worlds steppable on both instances at once').toEqual([]);
    await settled(url, [a, b]);
    for (const s of [200, 201]) expect(statuses.get(s) ?? 0, `status ${s} reached`).toBeGreaterThan(0);
    console.log(
      `cluster admin fuzz, concurrent: seed ${SEED}, ${LANES} x ${OPS_PER_LANE} operations, statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
  });
});
