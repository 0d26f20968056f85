/**
 * Fuzz: a real runtime started over a store damaged by hand (docs/DURABILITY.md "Damaged rows"), SQLite and
 * PostgreSQL. A base store is made once by a real runtime: players join, buy, take an admin reward, one
 * stays live at the stop (a parked session), an admin-created world, operator state (a world in
 * maintenance, a controller override, a declared task). Each round copies it (the file; a
 * database made from it as a template) and overwrites one to three cells of random rows of random tables
 * (SQLite: text, digits, fractions, negatives, huge integers, blobs, NULL where allowed, JSON text with one
 * value replaced or cut short, a checkpoint's bytes flipped or cut; PostgreSQL, whose columns are typed:
 * the same within each column's type, NaN and infinities in floats) or deletes a row, then starts a runtime
 * over the copy, joins the parked player (resume) and a new one, buys, reads the admin routes that read the
 * store, stops, and runs the offline `verify` over it.
 *
 * Asserted: the start either succeeds or is refused with a coded error (`WT_ERR_…`); every join and
 * purchase is answered (a welcome or a coded refusal); no admin route answers 500 and the admin server
 * counts no internal error; no world is faulted (a system that failed on restored state); nothing logs a
 * TypeError, RangeError or ReferenceError (code that met a value it did not check); the stop completes; the
 * offline verify answers a report or a coded refusal, whether the runtime started or not. And
 * damage elsewhere changes nothing else: with no table a player's resume and wallet depend on damaged, the
 * parked player resumes with her wallet whole and her purchase applies once; with no world table damaged,
 * both worlds come back.
 * What a damaged row reads as is each reader's decision (documented where it is made); this fuzz checks
 * only that none of them crashes or hangs.
 */
import Database from 'better-sqlite3';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseOptions } from '../../../src/cli/options.js';
import { verifyOffline } from '../../../src/cli/verify.js';
import { playerIdOfToken } from '../../../src/net/durable-sessions.js';
import { createRuntime, type Runtime } from '../../../src/server/runtime.js';
import { SQLITE_FILE_NAME } from '../../../src/store/sqlite-store.js';
import { fuzzScale, fuzzSeed, jsonValue, type Rng, withSeed, fuzzTimeout } from '../../fuzz-helpers/rng.js';
import { jsonLogSink } from '../../helpers/log-lines.js';
import { runtimeClient } from '../../helpers/runtime-client.js';
import { freshDatabase, withPgClient } from '../../helpers/shared-postgres.js';

const ROUNDS = Math.round(16 * fuzzScale());
const ROUNDS_PG = Math.round(8 * fuzzScale());
const root = mkdtempSync(join(tmpdir(), 'wt-store-fuzz-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Row = Record<string, unknown>;
const CRASHES = new Set(['TypeError', 'RangeError', 'ReferenceError']);

/**
 * The tables a player's resume and wallet depend on, and a world's restore; `schema_migrations` and SQLite's
 * `sqlite_sequence` (the next ledger `seq` and checkpoint `id`: a damaged one fails the inserts, answered
 * `TX_UNAVAILABLE`, seed 2) in both.
 */
const PLAYER_TABLES = ['ledger', 'ledger_balances', 'sessions', 'players', 'schema_migrations', 'sqlite_sequence'];
const WORLD_TABLES = ['world_configs', 'checkpoints', 'schema_migrations', 'sqlite_sequence'];
/** Whether a damage of `done` (`table#rowid…`, `table@ctid…`) was to one of `tables`. */
const touched = (done: string[], tables: string[]): boolean => done.some((d) => tables.includes(d.split(/[#@]/)[0] ?? ''));

/** `npm run verify` over the store (its own connection, no runtime): a report, or a refusal with a `WT_ERR_` code. */
const offlineVerify = async (storeArgs: string[]): Promise<void> => {
  const [flag, target = ''] = storeArgs;
  const r = await (flag === '--data-dir' ? verifyOffline(target, '') : verifyOffline('', target)).catch((e: unknown) => e);
  if (r instanceof Error) expect(String((r as { code?: unknown }).code), String(r)).toMatch(/^WT_ERR_/);
  else expect(r).toMatchObject({ mismatches: expect.any(Array) });
};

/** A join refused by the server (an answer), not one that timed out or failed in the client. */
const refused = (e: unknown): boolean => (e as { code?: unknown }).code === 'WT_ERR_CLIENT_JOIN_REFUSED';

/** A runtime over the store `storeArgs` name (`--data-dir …` or `--store postgres://…`). */
const config = join(root, 'config.json');
writeFileSync(config, JSON.stringify({ net: { resumeGraceSeconds: 3600 } })); // alice's parked session outlives the rounds

const boot = async (storeArgs: string[], logger = jsonLogSink('warn').logger): Promise<Runtime> => {
  const args = ['--config', config, '--port', '0', '--admin-port', '0', '--admin-token', 'rt', '--npcs', '10', '--stats-interval', '0'];
  const rt = createRuntime(parseOptions([...args, '--starting-coins', '100', ...storeArgs], {}), logger, undefined, {}, {});
  await rt.start();
  return rt;
};

const admin = (rt: Runtime, method: string, path: string, body?: unknown): Promise<Response> =>
  fetch(`http://127.0.0.1:${rt.admin.port}${path}`, {
    method,
    headers: { authorization: 'Bearer rt', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

/** The base store: two players' purchases, a reward, a second world, operator state, and alice's session parked live. */
const makeBase = async (storeArgs: string[]): Promise<{ resume: string; players: string[] }> => {
  const rt = await boot(storeArgs);
  try {
    const alice = await runtimeClient(rt);
    const a = await alice.join('1', 'alice', 'alice-token');
    expect(await alice.purchase('a-1', 'arrow', 2, 1)).toMatchObject({ status: 'ok' });
    const bob = await runtimeClient(rt);
    await bob.join('1', 'bob', 'bob-token');
    expect(await bob.purchase('b-1', 'arrow', 1, 1)).toMatchObject({ status: 'ok' });
    bob.close();
    const players = [playerIdOfToken('alice-token'), playerIdOfToken('bob-token')];
    const reward = await admin(rt, 'POST', '/api/v1/worlds/1/ledger/rewards', { playerId: players[0], key: 'r-1', coins: 5 });
    expect(reward.status, await reward.clone().text()).toBe(200);
    expect((await admin(rt, 'POST', '/api/v1/worlds', { id: 'w2' })).status).toBe(201);
    // Operator state (its own rows): w2 in maintenance, an override and a declared task on the default world.
    expect((await admin(rt, 'PUT', '/api/v1/worlds/w2/maintenance', { on: true, reason: 'fuzz' })).status).toBe(200);
    expect((await admin(rt, 'PUT', '/api/v1/worlds/1/controller/override', { mode: 'degraded', seconds: 3600 })).status).toBe(200);
    expect((await admin(rt, 'POST', '/api/v1/worlds/1/periodic', { name: 'market', intervalSeconds: 60, jitter: 0.1 })).status).toBe(201);
    return { resume: a.resumeToken, players };
  } finally {
    await rt.stop(); // alice is live: her session is parked, resumable after the next start
  }
};

/** A replacement for one cell: a value of another type, or the same JSON with one value replaced, or bytes flipped. */
const damagedValue = (rng: Rng, old: unknown): unknown => {
  if (old instanceof Uint8Array && rng.chance(0.6)) {
    const b = Buffer.from(old);
    if (rng.chance(0.5)) return b.subarray(0, rng.int(0, b.length));
    for (let k = rng.int(1, 4); k > 0 && b.length > 0; k--) b[rng.int(0, b.length - 1)] = rng.int(0, 255);
    return b;
  }
  if (typeof old === 'string' && (old.startsWith('{') || old.startsWith('[')) && rng.chance(0.6)) {
    if (rng.chance(0.25)) return old.slice(0, rng.int(0, old.length - 1));
    try {
      return JSON.stringify(replaceOne(rng, JSON.parse(old) as unknown));
    } catch {
      // text that only looks like JSON (seed 103): replaced below like any other
    }
  }
  return rng.pick<() => unknown>([
    () => null,
    () => '',
    () => rng.str(rng.int(1, 12)),
    () => rng.pick(['-1', '0', '1.5', 'NaN', '1e400', '9'.repeat(25), 'x{', '{}', '[]', 'null']),
    () => rng.pick([-1, 0, 0.5, -3.25, 2 ** 53, 2 ** 62, 1e300]),
    () => 2n ** 63n - 1n,
    () => Buffer.from(rng.bytes(rng.int(0, 16))),
    () => JSON.stringify(jsonValue(rng)),
  ])();
};

/** `doc` with one value somewhere inside it replaced by a random JSON value (or the whole of it). */
const replaceOne = (rng: Rng, doc: unknown): unknown => {
  if (doc === null || typeof doc !== 'object' || rng.chance(0.15)) return jsonValue(rng);
  const keys = Object.keys(doc);
  if (keys.length === 0) return jsonValue(rng);
  const k = rng.pick(keys);
  const copy = (Array.isArray(doc) ? [...doc] : { ...doc }) as Record<string, unknown>;
  copy[k] = replaceOne(rng, copy[k]);
  return copy;
};

/** What a damage wrote, for the failure message. */
const shownValue = (value: unknown): string =>
  String(
    value instanceof Uint8Array ? `${value.length} bytes` : JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)),
  ).slice(0, 160);

/** One to three damages to the SQLite file of `dataDir`; returns what was done. */
const damageSqlite = (rng: Rng, dataDir: string): string[] => {
  const db = new Database(join(dataDir, SQLITE_FILE_NAME));
  const done: string[] = [];
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Row[])
      .map((t) => String(t.name))
      .filter((t) => (db.prepare(`SELECT count(*) AS n FROM "${t}"`).get() as Row).n !== 0);
    for (let k = rng.int(1, 3), tries = 0; done.length < k && tries < 20; tries++) {
      const table = rng.pick(tables);
      // As BigInts: a rowid damaged past 2^53 (an INTEGER PRIMARY KEY cell, seed 80398) read as a number is another row.
      const rowids = (db.prepare(`SELECT rowid AS r FROM "${table}"`).safeIntegers().all() as Row[]).map((r) => r.r as bigint);
      if (rowids.length === 0) continue;
      const rowid = rng.pick(rowids);
      if (rng.chance(0.08)) {
        db.prepare(`DELETE FROM "${table}" WHERE rowid = ?`).run(rowid);
        done.push(`${table}#${rowid} deleted`);
        continue;
      }
      const cols = (db.prepare(`PRAGMA table_info("${table}")`).all() as Row[]).map((c) => String(c.name));
      const col = rng.pick(cols);
      const old = (db.prepare(`SELECT "${col}" AS v FROM "${table}" WHERE rowid = ?`).safeIntegers().get(rowid) as Row).v;
      const value = damagedValue(rng, old);
      try {
        db.prepare(`UPDATE "${table}" SET "${col}" = ? WHERE rowid = ?`).run(value, rowid);
      } catch {
        continue; // NOT NULL, UNIQUE: the file refuses it
      }
      const shown =
        value instanceof Uint8Array ? `${value.length} bytes` : JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v));
      done.push(`${table}#${rowid}.${col} = ${String(shown).slice(0, 160)}`);
    }
  } finally {
    db.close();
  }
  return done;
};

/** A replacement for a PostgreSQL cell of type `type` (its columns are typed: the damage a hand edit can make). */
const pgValue = (rng: Rng, type: string, old: unknown): unknown => {
  if (rng.chance(0.1)) return null; // refused by NOT NULL columns
  if (type === 'bigint' || type === 'integer' || type === 'smallint')
    return rng.pick<unknown>([-1, 0, 1, 7, 2 ** 31 - 1, -(2 ** 31), 2 ** 53, '9223372036854775807', '-9223372036854775808']);
  if (type === 'double precision' || type === 'real' || type === 'numeric')
    return rng.pick<unknown>(['NaN', 'Infinity', '-Infinity', -1, 0, 0.5, 1e300]);
  if (type === 'boolean') return rng.chance(0.5);
  if (type === 'bytea') return damagedValue(rng, old instanceof Uint8Array ? old : Buffer.alloc(0));
  const v = damagedValue(rng, typeof old === 'string' ? old : '');
  return v === null || typeof v === 'string' ? v : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : String(v);
};

/** One to three damages to the PostgreSQL database at `url`; returns what was done. */
const damagePostgres = (rng: Rng, url: string): Promise<string[]> =>
  withPgClient(url, async (c) => {
    const done: string[] = [];
    const cols = (await c.query("SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public'"))
      .rows as Array<{ table_name: string; column_name: string; data_type: string }>;
    const tables: string[] = [];
    for (const t of new Set(cols.map((x) => x.table_name)))
      if (Number((await c.query(`SELECT count(*) AS n FROM "${t}"`)).rows[0].n) > 0) tables.push(t);
    for (let k = rng.int(1, 3), tries = 0; done.length < k && tries < 20 && tables.length > 0; tries++) {
      const table = rng.pick(tables);
      const ctids = (await c.query(`SELECT ctid::text AS t FROM "${table}"`)).rows.map((r) => String(r.t));
      if (ctids.length === 0) continue;
      const ctid = rng.pick(ctids);
      if (rng.chance(0.08)) {
        await c.query(`DELETE FROM "${table}" WHERE ctid = $1::tid`, [ctid]).catch(() => undefined);
        done.push(`${table}@${ctid} deleted`);
        continue;
      }
      const col = rng.pick(cols.filter((x) => x.table_name === table));
      const old = (await c.query(`SELECT "${col.column_name}" AS v FROM "${table}" WHERE ctid = $1::tid`, [ctid])).rows[0]?.v;
      const value = pgValue(rng, col.data_type, old);
      try {
        await c.query(`UPDATE "${table}" SET "${col.column_name}" = $1 WHERE ctid = $2::tid`, [value, ctid]);
      } catch {
        continue; // a type, NOT NULL, UNIQUE or trigger refused it
      }
      done.push(`${table}@${ctid}.${col.column_name} = ${shownValue(value)}`);
    }
    return done;
  });

/** A store to fuzz: its base made once, then a damaged copy per round. */
interface Backend {
  readonly name: string;
  readonly skip: string | null;
  base(): Promise<string[]>;
  /** A copy of the base, damaged: its store arguments, what was done, and how to remove it. */
  round(rng: Rng, n: number): Promise<{ storeArgs: string[]; done: string[]; remove(): Promise<void> }>;
}

const sqliteBackend = (): Backend => {
  const base = join(root, 'base');
  return {
    name: 'SQLite',
    skip: null,
    base: async () => ['--data-dir', base],
    async round(rng, n) {
      const dir = join(root, `r${n}`);
      cpSync(base, dir, { recursive: true });
      return {
        storeArgs: ['--data-dir', dir],
        done: damageSqlite(rng, dir),
        remove: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  };
};

const pg = await freshDatabase();
if ('skip' in pg) console.warn(`[store-file fuzz] PostgreSQL skipped: ${pg.skip}`);
afterAll(async () => {
  if (!('skip' in pg)) await pg.destroy();
});

const postgresBackend = (): Backend => {
  if ('skip' in pg)
    return { name: 'PostgreSQL', skip: pg.skip, base: async () => [], round: async () => Promise.reject(new Error('skipped')) };
  const adminUrl = pg.url.replace(/\/[^/]*$/, '/postgres');
  const baseName = new URL(pg.url).pathname.slice(1);
  return {
    name: 'PostgreSQL',
    skip: null,
    base: async () => ['--store', pg.url],
    async round(rng, n) {
      const name = `${baseName}_r${n}`;
      await withPgClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${baseName}`));
      const url = pg.url.replace(/\/[^/]*$/, `/${name}`);
      return {
        storeArgs: ['--store', url],
        done: await damagePostgres(rng, url),
        remove: () => withPgClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
      };
    },
  };
};

for (const backend of [sqliteBackend(), postgresBackend()])
  describe.skipIf(backend.skip !== null)(`fuzz: a runtime over a damaged ${backend.name} store`, () => {
    it('starts or refuses with a code; joins, purchases and admin reads are answered; no crash; it stops', {
      timeout: fuzzTimeout(240_000),
    }, async () => {
      const { resume, players } = await makeBase(await backend.base());
      const rounds = backend.name === 'SQLite' ? ROUNDS : ROUNDS_PG;
      await withSeed(`store-file ${backend.name}`, fuzzSeed(0x5f11e), async (rng, ctx) => {
        for (let round = 0; round < rounds; round++) {
          const { storeArgs, done, remove } = await backend.round(rng, round);
          ctx.at = `round ${round}: ${done.join('; ')}`;
          if (process.env.WT_FUZZ_SHOW) console.log(ctx.at);
          const { lines, logger } = jsonLogSink('warn');
          let rt: Runtime;
          try {
            rt = await boot(storeArgs, logger);
          } catch (err) {
            expect(String((err as { code?: unknown }).code), String(err)).toMatch(/^WT_ERR_/);
            if (process.env.WT_FUZZ_SHOW) console.log(`  refused: ${String(err).slice(0, 200)}`);
            await offlineVerify(storeArgs);
            await remove();
            continue;
          }
          try {
            const c = await runtimeClient(rt);
            try {
              const j = await c.join('1', 'alice', 'alice-token', resume).catch((e: unknown) => e);
              if (j instanceof Error) expect(refused(j), String(j)).toBe(true);
              else {
                const tx = await c.purchase(`f-${round}`, 'arrow', 1, 1);
                expect(['ok', 'rejected']).toContain(tx.status);
                // Damage elsewhere changes nothing of hers: resumed, her wallet whole (100 - 2 + 5) and the purchase applied once.
                if (!touched(done, PLAYER_TABLES))
                  expect({ resumed: (j as { resumed: boolean }).resumed, tx: [tx.status, tx.coins, tx.items], code: tx.code }).toEqual({
                    resumed: true,
                    tx: ['ok', 102, { arrow: 3 }],
                    code: null,
                  });
              }
            } finally {
              c.close();
            }
            const n = await runtimeClient(rt);
            const nj = await n.join('1', 'newcomer', `new-${round}`).catch((e: unknown) => e);
            if (nj instanceof Error) expect(refused(nj), String(nj)).toBe(true);
            n.close();
            const paths = ['/api/v1/worlds', '/api/v1/worlds/1', '/api/v1/worlds/w2', '/api/v1/worlds/1/ledger', '/api/v1/ledger/verify'];
            for (const p of players)
              paths.push(`/api/v1/worlds/1/ledger/players/${encodeURIComponent(p)}`, `/api/v1/players/${encodeURIComponent(p)}/data`);
            paths.push('/api/v1/cluster', '/api/v1/maintenance', '/metrics', '/readyz');
            for (const p of paths) {
              ctx.at = `round ${round}: ${done.join('; ')}; GET ${p}`;
              const r = await admin(rt, 'GET', p);
              await r.arrayBuffer();
              expect(r.status, `GET ${p}`).not.toBe(500);
            }
            expect(rt.admin.counters.internalErrors).toBe(0);
            // A world restored from what passed the checks steps without a system failing on its state.
            const worlds = (await (await admin(rt, 'GET', '/api/v1/worlds')).json()) as { worlds: Array<{ id: string; fault: unknown }> };
            expect(worlds.worlds.filter((w) => w.fault !== null)).toEqual([]);
            // Damage elsewhere loses no world.
            if (!touched(done, WORLD_TABLES)) expect(worlds.worlds.map((w) => w.id).sort()).toEqual(['1', 'w2']);
          } finally {
            ctx.at = `round ${round}: ${done.join('; ')}; stop`;
            await rt.stop();
          }
          const crashes = lines.filter((l) => CRASHES.has(String(l.err?.type)));
          expect(crashes.map((l) => `${l.msg}: ${l.err?.message}`)).toEqual([]);
          ctx.at = `round ${round}: ${done.join('; ')}; offline verify`;
          await offlineVerify(storeArgs);
          await remove();
        }
      });
    });
  });
