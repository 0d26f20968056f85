/**
 * Session-write batches on PostgreSQL (`Store.writeSessions`; docs/DURABILITY.md "Players and
 * sessions"): the write-behind queue commits each event-loop turn's joins, parks, drops and position
 * saves as one transaction, and every live player's position is saved every 2 s. This times one
 * such transaction, in a throwaway PostgreSQL 15 on this machine (loopback, so a round trip is the
 * cheapest it can be), two ways on the same connection, alternating in each round:
 * - `per-write`: one statement per write, in order (how src/store/postgres-sessions.ts applied a
 *   batch before 2026-12-04: PUT_PLAYER / PUT_SESSION / DELETE);
 * - `batched`: `writeSessionOps` as it is now (at most three statements a batch).
 * and the whole `store.writeSessions` call (pool, transaction and all) for the current code.
 *
 * Workloads: `save-N` (the periodic position save of N live players: N player upserts), `joins-N`
 * (N new identities joining in one turn: player then session record each, alternating), `park-N`
 * (N sessions parked then half of them dropped).
 *
 * SQLite (`--sqlite`, also run by default after PostgreSQL): better-sqlite3 commits on the event loop,
 * so what matters is how long one save transaction holds it. Timed, alternating in each round, in a
 * real SqliteStore file: the synchronous part of `writeSessions` of 5,000 players' positions (how
 * the game server saved every live player each 8th sweep until 2026-12-04) and of 625 (one slot of
 * eight: what one sweep saves now when all 5,000 move; players that stood still are not written);
 * and, on a bare better-sqlite3 file with the same table, the upsert with `RETURNING *` read by
 * `.get()` (the statement writeSessions used) against `.run()` without it (the one it uses now).
 *
 *   npm run bench -- session-writes [--rounds R]
 * Writes bench/results/session-writes.json (the harness's file).
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { PUT_PLAYER, PUT_SESSION, writeSessionOps } from '../src/store/postgres-sessions.js';
import Database from 'better-sqlite3';
import { PostgresStore } from '../src/store/postgres-store.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { toJsonText } from '../src/store/rows.js';
import type { SessionWrite } from '../src/store/types.js';
import { tempDataDir } from '../test/helpers/data-dir.js';
import { startPostgres } from '../test/helpers/postgres-server.js';
import { runSuite, type Suite } from './harness.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1] ?? dflt) : dflt;
};

/** The old path: one statement per write, in order. */
const perWrite = async (c: pg.Client, ops: readonly SessionWrite[]): Promise<void> => {
  const now = Date.now();
  for (const o of ops)
    if (o.kind === 'player') await c.query(PUT_PLAYER, [o.id, o.name, toJsonText(o.data ?? {}, 'player data'), now]);
    else if (o.kind === 'session') {
      const s = o.record;
      await c.query(PUT_SESSION, [s.token, s.playerId, s.worldId, s.expiresAt, toJsonText(s.data, 'session data')]);
    } else await c.query('DELETE FROM sessions WHERE token = $1', [o.token]);
};

const workloads = (round: number): Array<[string, SessionWrite[]]> => {
  const save = (n: number): SessionWrite[] =>
    Array.from({ length: n }, (_, i) => ({
      kind: 'player',
      id: `g:p${i}`,
      name: `player${i}`,
      data: { worldId: 'default', x: (i * 7 + round) % 1000, y: (i * 13 + round) % 1000 },
    }));
  const joins = (n: number): SessionWrite[] =>
    Array.from({ length: n }, (_, i): SessionWrite[] => [
      { kind: 'player', id: `g:j${round}-${i}`, name: `joiner${i}`, data: { worldId: 'default', x: 500, y: 500 } },
      {
        kind: 'session',
        record: { token: `tj${round}-${i}`, playerId: `g:j${round}-${i}`, worldId: 'default', expiresAt: 2e12, data: { live: true } },
      },
    ]).flat();
  const park = (n: number): SessionWrite[] => [
    ...Array.from(
      { length: n },
      (_, i): SessionWrite => ({
        kind: 'session',
        record: { token: `tp${i}`, playerId: `g:p${i}`, worldId: 'default', expiresAt: 1e12 + round, data: { live: false } },
      }),
    ),
    ...Array.from({ length: n / 2 }, (_, i): SessionWrite => ({ kind: 'dropSession', token: `tp${2 * i}` })),
  ];
  return [
    ['save-1000', save(1000)],
    ['save-5000', save(5000)],
    ['joins-100', joins(100)],
    ['park-1000', park(1000)],
  ];
};

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const r2 = (n: number): number => Math.round(n * 100) / 100;

/** Player-position writes of `n` players (ids g:p0..), positions varied by `round`. */
const positions = (n: number, round: number, from = 0): SessionWrite[] =>
  Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return {
      kind: 'player',
      id: `g:p${i}`,
      name: `player${i}`,
      data: { worldId: 'default', x: ((i * 7 + round) % 1000) + 0.25, y: i % 1000 },
    };
  });

/** SQLite: how long one position-save transaction holds the event loop (median ms of the synchronous call). */
const sqliteSection = async (rounds: number): Promise<Record<string, unknown>> => {
  const dir = tempDataDir('wt-bench-sw-');
  const store = new SqliteStore({ dataDir: dir.dir });
  const raw = new Database(`${dir.dir}/bare.sqlite`);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  raw.exec(
    'CREATE TABLE players (id TEXT PRIMARY KEY, name TEXT NOT NULL, data TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)',
  );
  const upsert = `INSERT INTO players (id, name, data, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET name = excluded.name, data = excluded.data, updated_at = excluded.updated_at`;
  const withReturning = raw.prepare(`${upsert} RETURNING *`);
  const without = raw.prepare(upsert);
  const bare = (ops: SessionWrite[], returning: boolean): number => {
    const now = Date.now();
    const t0 = performance.now();
    raw.transaction(() => {
      for (const o of ops)
        if (o.kind === 'player') {
          const args = [o.id, o.name, JSON.stringify(o.data), now, now];
          if (returning) withReturning.get(...args);
          else without.run(...args);
        }
    })();
    return performance.now() - t0;
  };
  let pending: Promise<void> = Promise.resolve();
  const held = (ops: SessionWrite[]): number => {
    const t0 = performance.now();
    pending = store.writeSessions(ops);
    return performance.now() - t0;
  };
  const times = new Map<string, number[]>();
  const note = (key: string, ms: number) => times.set(key, [...(times.get(key) ?? []), ms]);
  try {
    for (let round = 0; round < rounds + 1; round++) {
      const all = positions(5000, round);
      const tasks: Array<[string, () => number]> = [
        ['store: 5,000 players in one transaction (the old shape)', () => held(all)],
        ['store: 625 players, one slot of 8 (now, all moving)', () => held(positions(625, round, (round % 8) * 625))],
        ['bare: 5,000 upserts RETURNING * .get() (before)', () => bare(all, true)],
        ['bare: 5,000 upserts .run() (now)', () => bare(all, false)],
      ];
      for (const [name, run] of round % 2 ? [...tasks].reverse() : tasks) {
        const ms = run();
        await pending;
        if (round > 0) note(name, ms);
      }
    }
    const out: Record<string, unknown> = {};
    for (const [name, ms] of times) out[name] = { medianMs: r2(median(ms)), maxMs: r2(Math.max(...ms)) };
    return out;
  } finally {
    raw.close();
    await store.close();
    dir.remove();
  }
};

const sessionWritesSuite: Suite = {
  name: 'session-writes',
  async run(ctx) {
    const rounds = arg('rounds', ctx.quick ? 2 : 7);
    ctx.record(
      'uptimeStart',
      os.loadavg().map((l) => r2(l)),
    );
    const sqlite = await sqliteSection(rounds);
    console.table(Object.entries(sqlite).map(([task, f]) => ({ task, ...(f as object) })));
    ctx.record('sqlite: event loop held by one position-save transaction (ms)', sqlite);
    const server = await startPostgres();
    if ('skip' in server) {
      ctx.log(`skipped: ${server.skip}`);
      return;
    }
    const store = await PostgresStore.open({ url: server.url });
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      const times = new Map<string, number[]>();
      const note = (key: string, ms: number) => times.set(key, [...(times.get(key) ?? []), ms]);
      const inTx = async (fn: () => Promise<void>): Promise<number> => {
        const t0 = performance.now();
        await client.query('BEGIN');
        await fn();
        await client.query('COMMIT');
        return performance.now() - t0;
      };
      const methods: Array<[string, (ops: SessionWrite[]) => Promise<number>]> = [
        ['per-write', (ops) => inTx(() => perWrite(client, ops))],
        ['batched', (ops) => inTx(() => writeSessionOps(client as pg.PoolClient, ops))],
        [
          'store.writeSessions',
          async (ops) => {
            const t0 = performance.now();
            await store.writeSessions(ops);
            return performance.now() - t0;
          },
        ],
      ];
      for (let round = 0; round < rounds + 1; round++)
        for (const [work, ops] of workloads(round)) {
          const order = round % 2 ? [...methods].reverse() : methods;
          for (const [method, run] of order) {
            const ms = await run(ops);
            if (round > 0) note(`${work} ${method}`, ms); // round 0 warms up (and creates the rows)
          }
        }
      const rows: Record<string, unknown>[] = [];
      for (const [work, ops] of workloads(0)) {
        const per = median(times.get(`${work} per-write`) ?? []);
        const bat = median(times.get(`${work} batched`) ?? []);
        const sto = median(times.get(`${work} store.writeSessions`) ?? []);
        rows.push({
          workload: work,
          writes: ops.length,
          'per-write ms': r2(per),
          'batched ms': r2(bat),
          'store.writeSessions ms': r2(sto),
          'per-write µs/write': r2((per * 1000) / ops.length),
          'batched µs/write': r2((bat * 1000) / ops.length),
          'ratio per-write/batched': r2(per / bat),
        });
      }
      console.table(rows);
      ctx.record('rounds', rounds);
      ctx.record('figures (median ms per transaction)', rows);
      ctx.record(
        'uptimeEnd',
        os.loadavg().map((l) => r2(l)),
      );
    } finally {
      await client.end();
      await store.close();
      await server.destroy();
    }
  },
};

export default sessionWritesSuite;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runSuite(sessionWritesSuite, args.includes('--quick'));
  process.exit(0);
}
