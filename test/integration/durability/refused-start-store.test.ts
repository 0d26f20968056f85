/**
 * A refused start changes nothing in the store (docs/DURABILITY.md "A refused start writes nothing").
 * A real `npm start` child on a data directory (or PostgreSQL database) holding a world with a
 * checkpoint, refused because its game port or its admin port is held by a real listener — exit 2,
 * `WT_ERR_PORT_IN_USE` — or later in its start (an input log that cannot be opened): the store's bytes
 * (SQLite file and WAL) or rows (every PostgreSQL table) are as they were. Before, the ports were
 * bound after the store was opened, the worlds restored and the loop started, and the stop of the
 * refused start wrote a final checkpoint of every world.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifeSimGame } from '../../../examples/life-sim/game.js';
import { startServer } from '../../../src/game/server.js';
import { fileTempDirs } from '../../helpers/data-dir.js';
import { startPostgres, type PgServer } from '../../helpers/postgres-server.js';
import { type RefusedStart, startToExit } from '../../helpers/refused-start.js';

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

describe('a refused start changes nothing (SQLite)', () => {
  const dir = tempDir('wt-refused-start-');
  const file = join(dir, 'worldtick.sqlite');
  /** The store as bytes (file and WAL) and as rows (checkpoints of each world, records). */
  const content = (): unknown => {
    // An empty WAL is no content: this test's own read-only open leaves one, a store closed by its last connection none.
    const sha = (f: string): string =>
      existsSync(f) && statSync(f).size > 0 ? createHash('sha256').update(readFileSync(f)).digest('hex') : 'empty';
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

  it('the seeded store holds a world with a checkpoint', () => {
    expect((content() as { rows: { checkpoints: number } }).rows.checkpoints).toBeGreaterThan(0);
  });

  for (const [why, flags, exit, code] of refusals(() => ({}))) {
    it(`when ${why}: exit ${exit}, ${code}, the store byte for byte as it was`, async () => {
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

  it('when the start fails after the store is open (an input log that cannot be opened): exit 1, no final checkpoint', async () => {
    const before = content();
    const r = await startToExit(dir, { flags: { record: join(dir, 'no-such-dir', 'input.wtrec') } });
    expect(r.code).toBe(1);
    expect(r.out).toContain('"start failed"');
    expect(r.out).toContain('"world restored"'); // refused after the store was opened and the worlds restored
    expect(content()).toEqual(before);
  }, 30_000);
});

describe('a refused start changes nothing (PostgreSQL)', async () => {
  const server = await startPostgres();
  const skip = 'skip' in server ? server.skip : null;
  if (skip) console.warn(`refused-start-store (postgres): skipped (${skip})`);
  const url = skip ? '' : (server as PgServer).url;
  /** Every table of the database, as an md5 of its rows in order. */
  const content = async (): Promise<Record<string, string>> => {
    const c = new pg.Client({ connectionString: url });
    c.on('error', () => undefined);
    await c.connect();
    try {
      const tables = await c.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
      const out: Record<string, string> = {};
      for (const { t } of tables.rows) {
        const r = await c.query<{ h: string }>(`SELECT md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) AS h FROM "${t}" x`);
        out[t] = r.rows[0]?.h ?? '';
      }
      return out;
    } finally {
      await c.end();
    }
  };
  beforeAll(async () => {
    if (!skip) await seed({ store: url });
  }, 30_000);
  afterAll(async () => {
    if (!skip) await (server as PgServer).destroy();
  }, 30_000);

  // The game port only: the check runs before any store is looked at, the admin port's is the same code (SQLite above).
  for (const [why, flags, exit, code] of refusals(() => ({ store: url })).slice(0, 1)) {
    it.skipIf(skip !== null)(
      `when ${why}: exit ${exit}, ${code}, every table as it was`,
      async () => {
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
    async () => {
      const before = await content();
      const dir = tempDir('wt-refused-pg-');
      const r = await startToExit(dir, { flags: { store: url, record: join(dir, 'no-such-dir', 'input.wtrec') } });
      expect(r.code).toBe(1);
      expect(r.out).toContain('"world restored"');
      expect(await content()).toEqual(before);
    },
    30_000,
  );
});
