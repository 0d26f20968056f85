/**
 * A world deleted while it is migrating keeps no ledger (found by the churn soak's heap snapshots,
 * docs/CLUSTER.md "Heap snapshots of the churn soak"). A migration detaches the world's ledger before
 * its checkpoint; when the checkpoint then fails the migration gives up before the handover and
 * attaches the ledger again, for the world to step on here. If the world was deleted meanwhile (the
 * delete does not wait for a migration in flight) that attach went to a world no longer in the runner:
 * its ledger's refusal pruner re-arms a timer every 60 s whose closure holds the world, so the deleted
 * world (its NPC stores, ingest buffers, bus…) was kept for good. Two in-process runtimes on a real
 * redis-server and a real PostgreSQL; a trigger makes the migration's checkpoint of the world sleep
 * 2 s and then fail, and the world is deleted during the sleep.
 */
import { describe, expect, it } from 'vitest';
import { until } from '../../helpers/cluster-instances.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { sharedBackendOrSkip, twoRuntimesOwning } from '../../helpers/shared-cluster.js';
import { withPgClient as sql } from '../../helpers/shared-postgres.js';

const backend = await sharedBackendOrSkip('[deleted-mid-migration]');
const WORLD = 'midmove1';

describe.skipIf(backend.skip !== null)('a world deleted while it migrates', () => {
  const pg = backend.pg as PgServer;
  const { inst } = twoRuntimesOwning(pg, { worldId: WORLD, worldNpcs: 5, args: ['--lease-ttl', '2'] });

  it('keeps no ledger once the failed migration gave up (nothing left to hold the world)', { timeout: 60_000 }, async () => {
    const [a] = inst;
    const world = a.runtime.runner.get(WORLD);
    expect(world.ledger).not.toBeNull();
    // From now on the world's checkpoints sleep 2 s, then fail.
    await sql(pg.url, async (c) => {
      await c.query(`CREATE OR REPLACE FUNCTION midmove_fail() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_sleep(2); RAISE EXCEPTION 'checkpoint refused by the test'; END $$`);
      await c.query(`CREATE TRIGGER midmove_fail BEFORE INSERT OR UPDATE ON checkpoints
        FOR EACH ROW WHEN (NEW.world_id = '${WORLD}') EXECUTE FUNCTION midmove_fail()`);
    });
    const migrated = a.api('POST', `/api/v1/worlds/${WORLD}/migrate`, { to: 'b' });
    // The migration's checkpoint is in the trigger's sleep: its ledger is detached, the world held.
    await until('the checkpoint sleeps', () =>
      sql(
        pg.url,
        async (c) => Number((await c.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event = 'PgSleep'`)).rows[0].n) > 0,
      ),
    );
    expect(world.ledger).toBeNull();
    const deleted = a.api('DELETE', `/api/v1/worlds/${WORLD}`);
    const m = await migrated;
    expect(m.status).toBe(503); // the checkpoint failed: nothing handed over
    expect((await deleted).status).toBe(200);
    expect(a.runtime.runner.has(WORLD)).toBe(false);
    // Before: the migration's error path attached the ledger again (and started its pruner's timer).
    expect(world.ledger).toBeNull();
  });
});
