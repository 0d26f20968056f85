/**
 * A refused start changes nothing in the store (docs/DURABILITY.md "A refused start writes nothing").
 * A real `npm start` child on a data directory (or PostgreSQL database) holding a world with a
 * checkpoint, refused because its game port or its admin port is held by a real listener — exit 2,
 * `WT_ERR_PORT_IN_USE` — or its input log's folder is missing (both checked before the store is
 * opened), or later in its start (an input log that cannot be opened): the store's bytes (SQLite file
 * and WAL) or rows (every PostgreSQL table) are as they were. An older store (schema 3) refused before
 * the store is opened is not migrated; a store without the default world refused after it was opened
 * gets no first record of it; a fresh data directory or an empty database refused before or after the
 * store was opened is left without store, schema, lock file or folder. Before, the ports were bound
 * after the store was opened, the worlds restored and the loop started, and the stop of the refused
 * start wrote a final checkpoint of every world; an input log in a missing folder refused the start
 * after the store was created (with a first record of the default world) or migrated.
 *
 * The cases of each store run side by side (`describe.concurrent`: each is a child process that mostly starts
 * and exits; one at a time they were ~38 s of a loaded run). Each compares the store before and after its own
 * child, so a write by any child is still caught by that child's case; of the children on the seeded store only
 * one opens it (the others are refused before), so none is refused for the store's lock.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { lifeSimGame } from '../../../examples/life-sim/game.js';
import { startServer } from '../../../src/game/server.js';
import { openStore } from '../../../src/store/open-store.js';
import { fileTempDirs } from '../../helpers/data-dir.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { freshDatabase, withPgClient } from '../../helpers/shared-postgres.js';
import { type RefusedStart, recordPathFailingAtOpen, startToExit } from '../../helpers/refused-start.js';
import { downgradePostgresToSchema3, downgradeToSchema3 } from '../../helpers/schema3-store.js';

const tempDir = fileTempDirs();

/** A real listener on a free port of 127.0.0.1 (the port a refused start asks for). */
const occupy = async (): Promise<{ port: string; close(): Promise<void> }> => {
  const srv = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = String((srv.address() as net.AddressInfo).port);
  return { port, close: () => new Promise<void>((r) => srv.close(() => r())) };
};

/** A world with a checkpoint: one real server started on the store and stopped (its final checkpoint). */
const seed = async (store: { dataDir?: string; store?: string }): Promise<void> => {
  const s = await startServer(lifeSimGame, { options: { port: 0, adminPort: 0, npcs: 10, logLevel: 'silent', ...store } });
  await s.stop();
};

/** sha256 of a file; an empty or missing one is no content (this test's own read-only open leaves an empty WAL, a store closed by its last connection none). */
const sha = (f: string): string =>
  existsSync(f) && statSync(f).size > 0 ? createHash('sha256').update(readFileSync(f)).digest('hex') : 'empty';

/** An input log path whose folder exists but that cannot be opened (see {@link recordPathFailingAtOpen}). */
const linkToNowhere = (): string => recordPathFailingAtOpen(tempDir('wt-refused-link-'));

/** md5 of no rows. */
const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e';

const fatalCode = (r: RefusedStart): unknown => r.lines.find((l) => l.level === 60)?.code;

/** The refusals each store is tried with: flags of the child and what it must say. */
const refusals = (
  flagsOf: (taken: string) => Record<string, string>,
): Array<[string, (taken: string) => Record<string, string>, number, string | null]> => [
  ['its game port is taken', (p) => ({ ...flagsOf(p), port: p }), 2, 'WT_ERR_PORT_IN_USE'],
  ['its admin port is taken', (p) => ({ ...flagsOf(p), 'admin-port': p }), 2, 'WT_ERR_PORT_IN_USE'],
];

describe.concurrent('a refused start changes nothing (SQLite)', () => {
  const dir = tempDir('wt-refused-start-');
  const file = join(dir, 'worldtick.sqlite');
  /** The store as bytes (file and WAL) and as rows (checkpoints of each world, records). */
  const content = (): unknown => {
    const bytes = { file: sha(file), wal: sha(`${file}-wal`) };
    const db = new Database(file, { readonly: true });
    const rows = db
      .prepare(
        'SELECT (SELECT count(*) FROM checkpoints) AS checkpoints, (SELECT max(step) FROM checkpoints) AS step, (SELECT count(*) FROM world_configs) AS worlds',
      )
      .get();
    db.close();
    return { bytes, rows };
  };
  beforeAll(() => seed({ dataDir: dir }), 30_000);

  it('the seeded store holds a world with a checkpoint', ({ expect }) => {
    expect((content() as { rows: { checkpoints: number } }).rows.checkpoints).toBeGreaterThan(0);
  });

  for (const [why, flags, exit, code] of refusals(() => ({}))) {
    it(`when ${why}: exit ${exit}, ${code}, the store byte for byte as it was`, async ({ expect }) => {
      const before = content();
      const held = await occupy();
      try {
        const r = await startToExit(dir, { flags: flags(held.port) });
        expect(r.code).toBe(exit);
        expect(fatalCode(r)).toBe(code);
        expect(r.err).toContain(`127.0.0.1:${held.port}`);
        expect(r.out).not.toContain('"server ready"');
      } finally {
        await held.close();
      }
      expect(content()).toEqual(before);
    }, 30_000);
  }

  it('when its input log (--record) is in a missing folder: exit 2, refused before the store is opened', async ({ expect }) => {
    const before = content();
    const r = await startToExit(dir, { flags: { record: join(dir, 'no-such-dir', 'input.wtrec') } });
    expect(r.code).toBe(2);
    expect(r.err).toContain('no-such-dir');
    expect(r.out).not.toContain('"store opened"');
    expect(content()).toEqual(before);
  }, 30_000);

  it('when the start fails after the store is open (an input log that cannot be opened): exit 1, no final checkpoint', async ({
    expect,
  }) => {
    const before = content();
    const r = await startToExit(dir, { flags: { record: linkToNowhere() } });
    expect(r.code, `exit ${r.code}; stderr: ${r.err.slice(-1500)}; stdout: ${r.out.slice(-1500)}`).toBe(1);
    expect(r.out).toContain('"start failed"');
    expect(r.out).toContain('"world restored"'); // refused after the store was opened and the worlds restored
    expect(content()).toEqual(before);
  }, 30_000);

  it('an older store refused before the store is opened is not migrated', async ({ expect }) => {
    const old = tempDir('wt-refused-old-');
    copyFileSync(file, join(old, 'worldtick.sqlite'));
    downgradeToSchema3(join(old, 'worldtick.sqlite'));
    const before = sha(join(old, 'worldtick.sqlite'));
    const r = await startToExit(old, { flags: { record: join(old, 'no-such-dir', 'input.wtrec') } });
    expect(sha(join(old, 'worldtick.sqlite'))).toBe(before);
    expect(readdirSync(old)).toEqual(['worldtick.sqlite']);
    expect(r.code).toBe(2);
  }, 30_000);

  it('a store without the default world: a start refused after the store is open writes no first record of it', async ({ expect }) => {
    const bare = tempDir('wt-refused-bare-');
    await (await openStore({ dataDir: bare })).close();
    const before = { file: sha(join(bare, 'worldtick.sqlite')), files: readdirSync(bare) };
    const r = await startToExit(bare, { flags: { record: linkToNowhere() } });
    expect(r.code, `exit ${r.code}; stderr: ${r.err.slice(-1500)}; stdout: ${r.out.slice(-1500)}`).toBe(1);
    expect(r.out).toContain('"store opened"');
    expect({ file: sha(join(bare, 'worldtick.sqlite')), files: readdirSync(bare) }).toEqual(before);
  }, 30_000);

  for (const [when, record, exit] of [
    ['before the store is opened (an input log in a missing folder)', (d: string) => join(d, 'no-such-dir', 'input.wtrec'), 2],
    ['after the store is opened (an input log that cannot be opened)', () => linkToNowhere(), 1],
  ] as const)
    it(`a fresh data directory, the start refused ${when}: nothing left (no directory, store, WAL or lock file)`, async ({ expect }) => {
      const parent = tempDir('wt-refused-fresh-');
      const fresh = join(parent, 'data', 'store');
      const r = await startToExit(fresh, { flags: { record: record(parent) } });
      expect(readdirSync(parent)).toEqual([]);
      expect(r.code).toBe(exit);
      // Refused after the store was created: it was removed again, and says so.
      if (exit === 1)
        expect(r.lines.map((l) => l.msg)).toEqual(
          expect.arrayContaining(['store schema created', 'start refused: the store it created is removed']),
        );
    }, 30_000);
});

describe.concurrent('a refused start changes nothing (PostgreSQL)', async () => {
  // Databases of their own on the run's shared server: nothing here stops PostgreSQL or reads server-wide state.
  const server = await freshDatabase();
  const skip = 'skip' in server ? server.skip : null;
  if (skip) console.warn(`refused-start-store (postgres): skipped (${skip})`);
  const url = skip ? '' : (server as PgServer).url;
  /** Every table of the database, as an md5 of its rows in order. */
  const content = (db = url): Promise<Record<string, string>> =>
    withPgClient(db, async (c) => {
      const tables = await c.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
      const out: Record<string, string> = {};
      for (const { t } of tables.rows) {
        const r = await c.query<{ h: string }>(`SELECT md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) AS h FROM "${t}" x`);
        out[t] = r.rows[0]?.h ?? '';
      }
      return out;
    });
  /** Run `sql` on database `db` and return its rows. */
  const rowsOf = async <R extends pg.QueryResultRow>(db: string, sql: string): Promise<R[]> =>
    withPgClient(db, async (c) => (await c.query<R>(sql)).rows);
  /** The functions of schema public (the ledger's trigger function is one of the store's). */
  const functions = async (db: string): Promise<string[]> =>
    (
      await rowsOf<{ f: string }>(
        db,
        "SELECT proname AS f FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE nspname = 'public' ORDER BY 1",
      )
    ).map((r) => r.f);
  const databases: PgServer[] = [];
  /** A new empty database on the server (dropped after the file): its URL. */
  const emptyDatabase = async (): Promise<string> => {
    const db = (await freshDatabase()) as PgServer;
    databases.push(db);
    return db.url;
  };
  beforeAll(async () => {
    if (!skip) await seed({ store: url });
  }, 30_000);
  afterAll(async () => {
    if (!skip) await Promise.all([server as PgServer, ...databases].map((d) => d.destroy()));
  }, 30_000);

  // The game port only: the check runs before any store is looked at, the admin port's is the same code (SQLite above).
  for (const [why, flags, exit, code] of refusals(() => ({ store: url })).slice(0, 1)) {
    it.skipIf(skip !== null)(
      `when ${why}: exit ${exit}, ${code}, every table as it was`,
      async ({ expect }) => {
        const before = await content();
        expect(before.checkpoints).not.toBe(EMPTY_MD5); // the seed wrote a checkpoint
        const held = await occupy();
        try {
          const r = await startToExit(tempDir('wt-refused-pg-'), { flags: flags(held.port) });
          expect(r.code).toBe(exit);
          expect(fatalCode(r)).toBe(code);
        } finally {
          await held.close();
        }
        expect(await content()).toEqual(before);
      },
      30_000,
    );
  }

  it.skipIf(skip !== null)(
    'when the start fails after the store is open: no final checkpoint',
    async ({ expect }) => {
      const before = await content();
      const r = await startToExit(tempDir('wt-refused-pg-'), { flags: { store: url, record: linkToNowhere() } });
      expect(r.code, `exit ${r.code}; stderr: ${r.err.slice(-1500)}; stdout: ${r.out.slice(-1500)}`).toBe(1);
      expect(r.out).toContain('"world restored"');
      expect(await content()).toEqual(before);
    },
    30_000,
  );

  it.skipIf(skip !== null)(
    'an older store refused before the store is opened is not migrated',
    async ({ expect }) => {
      const old = await emptyDatabase();
      await seed({ store: old });
      await downgradePostgresToSchema3(old);
      const before = await content(old);
      expect(before.player_data).toBeUndefined();
      const dir = tempDir('wt-refused-pg-');
      const r = await startToExit(dir, { flags: { store: old, record: join(dir, 'no-such-dir', 'input.wtrec') } });
      expect(await content(old)).toEqual(before);
      expect(r.code).toBe(2);
    },
    60_000,
  );

  for (const [when, record, exit] of [
    ['before the store is opened (an input log in a missing folder)', (d: string) => join(d, 'no-such-dir', 'input.wtrec'), 2],
    ['after the store is opened (an input log that cannot be opened)', () => linkToNowhere(), 1],
  ] as const)
    it.skipIf(skip !== null)(
      `an empty database, the start refused ${when}: no table or function left`,
      async ({ expect }) => {
        const fresh = await emptyDatabase();
        const r = await startToExit(tempDir('wt-refused-pg-'), { flags: { store: fresh, record: record(tempDir('wt-refused-pg-')) } });
        expect(await content(fresh)).toEqual({});
        expect(await functions(fresh)).toEqual([]);
        expect(r.code).toBe(exit);
        if (exit === 1)
          expect(r.lines.map((l) => l.msg)).toEqual(
            expect.arrayContaining(['store schema created', 'start refused: the store it created is removed']),
          );
      },
      30_000,
    );
});
