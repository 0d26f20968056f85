/**
 * Cluster takeover of a world whose checkpoint a newer build wrote (`WT_ERR_CHECKPOINT_TOO_NEW`,
 * src/server/cluster-takeover.ts, cluster-migration*.ts): a handed world is refused like a draining
 * instance refuses it (409 `WT_ERR_MIGRATION_REFUSED`, reason `checkpoint-too-new`, the lease handed
 * back; the sender takes it back and steps on), even when this instance keeps a local copy of the
 * world (the default world's path "continues from the local copy" is not taken); a failover leaves the
 * world unowned by this instance (the lease released, not acquired again) and rebuilds nothing. A world
 * whose stored record cannot be used (`WT_ERR_WORLD_RECORD_UNUSABLE`) is refused and declined the same
 * way, except that an instance with a local copy continues from it (as when no record is stored). The
 * real world mover and restore over the in-process coordinator, a real SQLite store.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalCoordinator, LocalHub } from '../../../src/cluster/local-coordinator.js';
import { createLogger } from '../../../src/log.js';
import { LoopRunner } from '../../../src/loop/loop-runner.js';
import { Checkpointer } from '../../../src/persist/checkpointer.js';
import { loadPersistedWorld } from '../../../src/persist/restore.js';
import { WORLD_SNAPSHOT_SCHEMA } from '../../../src/persist/world-snapshot.js';
import type { GameServer } from '../../../src/net/game-server.js';
import { WorldMover } from '../../../src/server/cluster-migration.js';
import { ClusterService } from '../../../src/server/cluster-service.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { createSimWorld, type SimWorld } from '../../../src/world/sim-world.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { forgeCheckpoint, newerSchema, storedRows } from '../../helpers/forge-checkpoint.js';
import { clusterServiceOptions } from '../../helpers/cluster-service-options.js';

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});
const logger = createLogger('silent');

const service = (hub: LocalHub, id: string, worlds: SimWorld[], store: SqliteStore, mover?: () => WorldMover, adminUrl?: string) =>
  new ClusterService(
    clusterServiceOptions({
      coordinator: new LocalCoordinator({ hub }),
      instanceId: id,
      leaseTtlMs: 1000,
      logger,
      worlds: () => worlds,
      adminUrl: () => adminUrl ?? `http://${id}:2`,
      store,
      storedWorlds: async () => (await store.listWorldConfigs()).map((r) => r.worldId),
      ...(mover ? { adopt: (w: string, token: number, why: 'failover' | 'migration') => mover().adopt(w, token, why) } : {}),
    }),
  );

/** The real world mover of `cluster`; every hook that would install a world records the call instead. */
const moverOf = (
  cluster: ClusterService,
  store: SqliteStore,
  local: SimWorld | undefined,
  installed: string[],
  checkpointer = new Checkpointer({ store: () => store, logger, intervalSeconds: 0 }),
) =>
  new WorldMover({
    logger,
    cluster,
    checkpointer,
    // No game server: an adopted world's announcement is recorded; anything else of it throws.
    gameServer: () =>
      ({
        worldAdopted: (id: string) => installed.push(`worldAdopted ${id}`),
        closeWorldSessions: () => {
          throw new Error('no game server here');
        },
        releaseWorld: () => {
          throw new Error('no game server here');
        },
      }) as unknown as GameServer,
    adminToken: 't',
    secret: 's',
    getWorld: (id) => (local && id === local.id ? local : undefined),
    load: (id) => loadPersistedWorld(store, logger, id),
    runner: new LoopRunner(),
    defaultWorldId: 'default',
    replaceDefault: (w) => installed.push(`replaceDefault ${w.id}`),
    attach: (w) => installed.push(`attach ${w.id}`),
    withLedger: (w) => installed.push(`withLedger ${w.id}`),
  });

/** Admin world `w` (capacity 200, 50 NPCs) stored in a fresh SQLite store: its record and `checkpoints` checkpoints. */
const storedWorld = async (prefix: string, checkpoints: number) => {
  const hub = new LocalHub(() => 0);
  const data = tempDataDir(prefix);
  dirs.push(data);
  const store = new SqliteStore({ dataDir: data.dir });
  const wa = createSimWorld({ id: 'w', capacity: 200, seed: 3 });
  populateNpcs(wa, { count: 50 });
  const ck = new Checkpointer({ store: () => store, logger, intervalSeconds: 0 });
  ck.track(wa, { origin: 'admin', npcs: 50 });
  for (let i = 0; i < checkpoints; i++) await ck.persist('w');
  return { hub, data, store, wa };
};

/** `m`'s adopt route asked, as instance a's migration asks it, to adopt world `w`. */
const adoptOn = (m: WorldMover) => {
  const adopt = m.routes().find((r) => r.pattern === '/api/v1/cluster/adopt')!;
  return adopt.handler({
    method: 'POST',
    path: adopt.pattern,
    query: new URLSearchParams(),
    params: {},
    body: { worldId: 'w', from: 'a' },
  });
};

describe('a world whose checkpoint a newer build wrote', () => {
  it('handed over: refused with 409 and the lease handed back; failover: left unowned, not retried; nothing rebuilt or written', async () => {
    // The world as its owner (a newer build) left it: a record and two checkpoints, the newest of a newer schema.
    const { hub, data, store, wa } = await storedWorld('wt-adopt-too-new-', 2);
    await forgeCheckpoint(join(data.dir, 'worldtick.sqlite'), 'w', newerSchema, { schema: WORLD_SNAPSHOT_SCHEMA + 1 });
    const before = storedRows(join(data.dir, 'worldtick.sqlite'), 'w');

    const installed: string[] = [];
    const local = createSimWorld({ id: 'w', capacity: 200, seed: 3 }); // b's own copy (as every instance has of the default world)
    let mb: WorldMover | undefined;
    const a = service(hub, 'a', [wa], store);
    const b = service(hub, 'b', [local], store, () => mb!);
    mb = moverOf(b, store, local, installed);
    let c: ClusterService | undefined;
    try {
      await a.kick();
      await b.kick();
      expect(a.canStep(wa)).toBe(true);
      a.hold('w');
      const handed = await a.handOver('w', 'b');
      const r = await adoptOn(mb);
      expect(r.status).toBe(409);
      expect(r.json).toMatchObject({
        code: 'WT_ERR_MIGRATION_REFUSED',
        details: {
          reason: 'checkpoint-too-new',
          returned: true,
          checkpoint: { what: 'schema', found: WORLD_SNAPSHOT_SCHEMA + 1, known: WORLD_SNAPSHOT_SCHEMA },
        },
      });
      expect(String((r.json as { message: string }).message)).toContain('a newer build wrote it');
      expect(b.counters).toMatchObject({ adoptRefusals: 1, checkpointTooNew: 1 });
      expect(b.coordinator.heldLease('w')).toBeNull();
      expect(b.canStep(local)).toBe(false);
      expect(b.fence('w')).toBeNull();
      expect(installed).toEqual([]);
      expect(mb.history).toEqual([]);
      // a takes it back and steps on.
      const token = await a.takeBack('w');
      expect(token).toBeGreaterThan(handed.fencingToken);
      a.unhold('w');
      expect(a.canStep(wa)).toBe(true);
      // b does not try it again in its lease tick (it hosts a copy): a holds it, b never acquires it.
      const acquired = b.counters.leaseAcquired;
      await a.stop(); // the lease is released: w is nobody's
      await b.kick();
      expect(b.counters.leaseAcquired).toBe(acquired);
      expect(await b.coordinator.getOwner('w')).toBeNull();
      await b.stop();

      // Failover on an instance that hosts no copy: acquired as an orphan, declined, released, not retried.
      const installedC: string[] = [];
      let mc: WorldMover | undefined;
      c = service(hub, 'c', [], store, () => mc!);
      mc = moverOf(c, store, undefined, installedC);
      await c.kick();
      await c.kick();
      expect(c.counters.checkpointTooNew).toBe(1);
      expect(c.counters.leaseAcquired).toBe(1);
      expect(await c.coordinator.getOwner('w')).toBeNull();
      await c.kick();
      await c.kick();
      expect(c.counters.leaseAcquired).toBe(1);
      expect(installedC).toEqual([]);
      expect(mc.history).toEqual([]);
      expect(storedRows(join(data.dir, 'worldtick.sqlite'), 'w')).toEqual(before);
    } finally {
      await a.stop();
      await b.stop();
      await c?.stop();
      store.close();
    }
  });

  it('the source (a newer build) takes the refused world back, steps on, and does not hand it to that instance again', async () => {
    const hub = new LocalHub(() => 0);
    const data = tempDataDir('wt-adopt-too-new-src-');
    dirs.push(data);
    const file = join(data.dir, 'worldtick.sqlite');
    const store = new SqliteStore({ dataDir: data.dir });
    // b's admin API over real HTTP; the checkpoint a writes is rewritten as a newer build writes it before b reads it.
    let route: ((body: unknown) => Promise<{ status?: number; json?: unknown }> | { status?: number; json?: unknown }) | undefined;
    const http = createServer((req, res) => {
      // The source's check of the target before a handover (src/server/peer-check.ts): b answers as itself.
      if (req.method === 'GET') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"instance":"b"}');
      let body = '';
      req.on('data', (d: Buffer) => (body += String(d)));
      req.on('end', () => {
        void (async () => {
          await forgeCheckpoint(file, 'w', newerSchema, { schema: WORLD_SNAPSHOT_SCHEMA + 1 });
          const r = await route!(JSON.parse(body));
          res.writeHead(r.status ?? 200, { 'content-type': 'application/json' }).end(JSON.stringify(r.json));
        })();
      });
    });
    await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const wa = createSimWorld({ id: 'w', capacity: 200, seed: 3 });
    let ma: WorldMover | undefined;
    let mb: WorldMover | undefined;
    const a = service(hub, 'a', [wa], store, () => ma!);
    const b = service(hub, 'b', [], store, () => mb!, url);
    const ck = new Checkpointer({ store: () => store, logger, intervalSeconds: 0, fence: (id) => a.fence(id) });
    ma = moverOf(a, store, wa, [], ck);
    mb = moverOf(b, store, undefined, []);
    const adopt = mb.routes().find((r) => r.pattern === '/api/v1/cluster/adopt')!;
    route = (body) => adopt.handler({ method: 'POST', path: adopt.pattern, query: new URLSearchParams(), params: {}, body });
    try {
      await a.kick();
      await b.kick();
      await a.kick(); // a's view lists b
      ck.track(wa, { origin: 'admin', npcs: 0 });
      await ck.persist('w');
      const err = await ma.migrate('w', 'b').catch((e: unknown) => e);
      expect(err).toMatchObject({ status: 409, code: 'WT_ERR_MIGRATION_REFUSED' });
      expect(String((err as Error).message)).toContain('checkpoint-too-new');
      expect(b.counters).toMatchObject({ adoptRefusals: 1, checkpointTooNew: 1 });
      expect(a.canStep(wa)).toBe(true); // taken back: it steps on at a
      const saved = ck.report('w')!.saved;
      // Asked again (an operator, the balancer): refused at once, nothing held, checkpointed or handed over.
      const again = await ma.migrate('w', 'b').catch((e: unknown) => e);
      expect(again).toMatchObject({ status: 409, code: 'WT_ERR_MIGRATION_REFUSED' });
      expect(await ma.migrate('w').catch((e: unknown) => (e as Error).message)).toContain('no other live instance');
      expect(ck.report('w')!.saved).toBe(saved);
      expect(b.counters.adoptRefusals).toBe(1);
      expect(a.canStep(wa)).toBe(true);
    } finally {
      await a.stop();
      await b.stop();
      await new Promise((ok) => http.close(ok));
      store.close();
    }
  });
});

describe('a world whose stored record cannot be used', () => {
  it('handed over: refused without a copy, continued from a local copy; failover: declined once and listed', async () => {
    const { hub, data, store, wa } = await storedWorld('wt-adopt-record-unusable-', 1);
    const file = join(data.dir, 'worldtick.sqlite');
    // Its capacity edited by hand: its checkpoint (capacity 200) is refused, and no world is built with -5.
    const db = new Database(file);
    db.prepare("UPDATE world_configs SET config = json_set(config, '$.capacity', -5) WHERE world_id = 'w'").run();
    db.close();
    const before = storedRows(file, 'w');
    const installedB: string[] = [];
    let mb: WorldMover | undefined;
    const a = service(hub, 'a', [wa], store);
    const b = service(hub, 'b', [], store, () => mb!);
    mb = moverOf(b, store, undefined, installedB);
    const installedL: string[] = [];
    const local = createSimWorld({ id: 'w', capacity: 200, seed: 3 });
    let ml: WorldMover | undefined;
    const l = service(hub, 'l', [local], store, () => ml!);
    ml = moverOf(l, store, local, installedL);
    let c: ClusterService | undefined;
    try {
      await a.kick();
      await b.kick();
      await l.kick();
      a.hold('w');
      // b holds no copy: refused, the lease handed back, listed as not started.
      await a.handOver('w', 'b');
      const r = await adoptOn(mb);
      expect(r.status).toBe(409);
      expect(r.json).toMatchObject({
        code: 'WT_ERR_MIGRATION_REFUSED',
        details: { reason: 'record-unusable', returned: true, record: { worldId: 'w', problem: expect.stringContaining('capacity') } },
      });
      expect(String((r.json as { message: string }).message)).toContain('cannot use the stored record of w');
      expect(b.notStarted.get('w')).toMatchObject({ reason: 'record-unusable', at: 'migration' });
      expect(b.coordinator.heldLease('w')).toBeNull();
      expect(installedB).toEqual([]);
      await a.takeBack('w');
      // l holds a copy of w: it continues from it, as when no record is stored.
      await a.handOver('w', 'l');
      const rl = await adoptOn(ml);
      expect([rl.status ?? 200, rl.json]).toEqual([200, { worldId: 'w', fencingToken: expect.any(Number), step: 0, worldTime: 0 }]);
      expect(l.notStarted.has('w')).toBe(false);
      expect(l.coordinator.heldLease('w')).not.toBeNull();
      expect(installedL).toEqual(['withLedger w', 'worldAdopted w']);
      await a.stop();
      await b.stop();
      await l.stop(); // its lease released: w is nobody's

      // Failover on an instance that hosts no copy: acquired as an orphan, declined, released, not retried.
      let mc: WorldMover | undefined;
      c = service(hub, 'c', [], store, () => mc!);
      mc = moverOf(c, store, undefined, []);
      await c.kick();
      await c.kick();
      expect(c.notStarted.get('w')).toMatchObject({ reason: 'record-unusable', at: 'failover' });
      expect(c.counters.leaseAcquired).toBe(1);
      await c.kick();
      await c.kick();
      expect(c.counters.leaseAcquired).toBe(1);
      expect(await c.coordinator.getOwner('w')).toBeNull();
      expect(storedRows(file, 'w')).toEqual(before); // nothing written by any of them
    } finally {
      await a.stop();
      await b.stop();
      await l.stop();
      await c?.stop();
      store.close();
    }
  });
});
