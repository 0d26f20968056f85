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
 *   npm run bench -- session-writes [--rounds R]
 * Writes bench/results/session-writes.json (the harness's file).
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { PUT_PLAYER, PUT_SESSION, writeSessionOps } from '../src/store/postgres-sessions.js';
import { PostgresStore } from '../src/store/postgres-store.js';
import { toJsonText } from '../src/store/rows.js';
import type { SessionWrite } from '../src/store/types.js';
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

const sessionWritesSuite: Suite = {
  name: 'session-writes',
  async run(ctx) {
    const rounds = arg('rounds', ctx.quick ? 2 : 7);
    const server = await startPostgres();
    if ('skip' in server) {
      ctx.log(`skipped: ${server.skip}`);
      return;
    }
    const store = await PostgresStore.open({ url: server.url });
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      ctx.record(
        'uptimeStart',
        os.loadavg().map((l) => r2(l)),
      );
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
