/**
 * PostgreSQL triggers on the `world_configs` table that tests of a failed admin create use to make a
 * record land late and its undo fail (test/integration/cluster/create-undo-during-takeover.test.ts,
 * create-orphan-after-kill.test.ts). Each trigger is named by the caller (`name`) and is for one world.
 */
import { withPgClient as sql } from './shared-postgres.js';

/** A record marked pending (written by a create before it is confirmed, src/persist/world-record.ts), as SQL on `NEW.config`. */
const PENDING = `NEW.config LIKE '%"pending":true%'`;

/**
 * The COMMIT of a record write of world `world` sleeps 3 s (past a 1 s client query timeout): a deferred
 * constraint trigger `name`. `writes`: every write (default), or only those of a record without the pending
 * mark (`confirmed`: a create's confirming write, and every later one).
 */
export const slowCommits = (url: string, world: string, name: string, writes: 'all' | 'confirmed' = 'all'): Promise<void> =>
  sql(url, async (c) => {
    const only = writes === 'confirmed' ? ` AND NOT (${PENDING})` : '';
    await c.query(`CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_sleep(3); RETURN NULL; END $$`);
    await c.query(`DROP TRIGGER IF EXISTS ${name} ON world_configs`);
    await c.query(`CREATE CONSTRAINT TRIGGER ${name} AFTER INSERT OR UPDATE ON world_configs
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.world_id = '${world}'${only}) EXECUTE FUNCTION ${name}()`);
  });

/** Every delete of world `world`'s record fails (an undo retries with backoff) until trigger `name` is dropped. */
export const refuseDeletes = (url: string, world: string, name: string): Promise<void> =>
  sql(url, async (c) => {
    await c.query(`CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'delete refused by the test'; END $$`);
    await c.query(`DROP TRIGGER IF EXISTS ${name} ON world_configs`);
    await c.query(`CREATE TRIGGER ${name} BEFORE DELETE ON world_configs
      FOR EACH ROW WHEN (OLD.world_id = '${world}') EXECUTE FUNCTION ${name}()`);
  });

/** Drop trigger `name` of world_configs. */
export const dropTrigger = (url: string, name: string): Promise<void> =>
  sql(url, async (c) => void (await c.query(`DROP TRIGGER IF EXISTS ${name} ON world_configs`)));

/** How many records of world `world` are stored (0 or 1). */
export const storedCount = (url: string, world: string): Promise<number> =>
  sql(url, async (c) => Number((await c.query('SELECT count(*) AS n FROM world_configs WHERE world_id = $1', [world])).rows[0].n));
