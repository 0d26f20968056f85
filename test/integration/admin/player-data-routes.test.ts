/**
 * The player-data admin routes on a real runtime (admin server on 127.0.0.1, port 0), over SQLite
 * and a real PostgreSQL started here: a player's keys are listed with versions and sizes, one value
 * is read, "forget player" deletes every live key in one transaction leaving tombstones (a stale
 * writer is then refused, as after a single delete); bad input is refused with coded 400s, counted,
 * and changes nothing; the token is required. On PostgreSQL, a forget sent while the server is
 * stopped is answered once it is back (the same retries as the game's calls), counted in /metrics.
 * A stored value that is not JSON (a damaged row) is answered 409 `WT_ERR_PLAYER_DATA_UNREADABLE`.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PlayerDataService } from '../../../src/player-data/player-data-service.js';
import { startPostgres } from '../../helpers/postgres-server.js';
import { withPgClient } from '../../helpers/shared-postgres.js';
import { call, startRuntime } from './harness.js';

const pgServer = await startPostgres();
if ('skip' in pgServer) console.warn(`[player data routes] PostgreSQL tests skipped: ${pgServer.skip}`);
afterAll(async () => {
  if (!('skip' in pgServer)) await pgServer.destroy();
});

const save = (svc: PlayerDataService, p: string, key: string, value: unknown, version: number | null) =>
  svc.save(p, key, value, JSON.stringify(value), version);

const metric = (text: string, line: string): number => {
  const m = text.split('\n').find((l) => l.startsWith(line));
  return m ? Number(m.slice(line.length).trim()) : 0;
};

for (const { name, flags, skip } of [
  { name: 'sqlite', flags: [] as string[], skip: false },
  { name: 'postgres', flags: ['skip' in pgServer ? '' : ['--store', pgServer.url]].flat(), skip: 'skip' in pgServer },
]) {
  describe.skipIf(skip)(`player data admin routes: ${name}`, () => {
    it('list, read, forget (tombstones refuse a stale writer); bad input 400, counted, nothing changed; 401 without the token', async () => {
      const s = await startRuntime(flags);
      const damage = async (playerId: string, key: string): Promise<void> => {
        const args = ['x{', playerId, key];
        const sql = 'UPDATE player_data SET value = $1 WHERE player_id = $2 AND data_key = $3';
        if (name === 'postgres') await withPgClient((pgServer as { url: string }).url, (c) => c.query(sql, args));
        else {
          const db = new Database(join(s.dataDir, 'worldtick.sqlite'));
          db.prepare(sql.replace(/\$\d/g, '?')).run(...args);
          db.close();
        }
      };
      try {
        const svc = s.runtime.playerData!;
        const p = `t:${name}0123456789abcdef`;
        expect(await save(svc, p, 'settings', { volume: 3 }, 0)).toMatchObject({ status: 'ok', version: 1 });
        expect(await save(svc, p, 'stats', { wins: 1 }, 0)).toMatchObject({ status: 'ok', version: 1 });
        expect(await save(svc, p, 'stats', { wins: 2 }, 1)).toMatchObject({ status: 'ok', version: 2 });
        expect(await save(svc, p, 'old', 1, 0)).toMatchObject({ status: 'ok', version: 1 });
        expect(await svc.delete(p, 'old', 1)).toMatchObject({ status: 'ok', version: 2 });
        expect(await save(svc, 't:other', 'stats', 7, 0)).toMatchObject({ status: 'ok' });

        const base = `/api/v1/players/${encodeURIComponent(p)}/data`;
        const list = await call(s.base, 'GET', base);
        expect(list.status).toBe(200);
        expect(list.json).toMatchObject({
          playerId: p,
          keys: [
            { key: 'old', version: 2, bytes: 0, deleted: true },
            { key: 'settings', version: 1, bytes: 12, deleted: false },
            { key: 'stats', version: 2, bytes: 10, deleted: false },
          ],
          liveKeys: 2,
          deletedKeys: 1,
          bytes: 22,
          limits: { maxBytesPerPlayer: 262_144, maxKeysPerPlayer: 100 },
        });
        expect(typeof list.json.keys[0].updatedAt).toBe('number');
        expect(await call(s.base, 'GET', `${base}/stats`)).toMatchObject({
          status: 200,
          json: { playerId: p, key: 'stats', version: 2, value: { wins: 2 } },
        });
        // The raw id in the path works too (':' needs no encoding).
        expect((await call(s.base, 'GET', `/api/v1/players/${p}/data/settings`)).json).toMatchObject({ value: { volume: 3 } });
        expect(await call(s.base, 'GET', `${base}/old`)).toMatchObject({
          status: 404,
          json: { code: 'WT_ERR_PLAYER_DATA_NOT_FOUND', details: { version: 2 } },
        });
        expect(await call(s.base, 'GET', `${base}/never`)).toMatchObject({
          status: 404,
          json: { code: 'WT_ERR_PLAYER_DATA_NOT_FOUND', details: { version: 0 } },
        });

        // A stored value that is not JSON (a damaged row): its load and GET say so with the stored version, calls
        // committed with it are not affected (before, its SyntaxError failed the whole batch as store-error), and a
        // save over it with that version makes the key work again.
        expect(await save(svc, 't:damaged', 'stats', { wins: 5 }, 0)).toMatchObject({ status: 'ok', version: 1 });
        await damage('t:damaged', 'stats');
        const [unreadable, other] = await Promise.all([svc.load('t:damaged', 'stats'), svc.load(p, 'settings')]);
        expect(unreadable).toEqual({ status: 'rejected', key: 'stats', code: 'PD_VALUE_UNREADABLE', version: 1 });
        expect(other).toMatchObject({ status: 'ok', value: { volume: 3 } });
        expect(await call(s.base, 'GET', '/api/v1/players/t:damaged/data/stats')).toMatchObject({
          status: 409,
          json: { code: 'WT_ERR_PLAYER_DATA_UNREADABLE', details: { playerId: 't:damaged', key: 'stats', version: 1 } },
        });
        expect(await save(svc, 't:damaged', 'stats', { wins: 6 }, 1)).toMatchObject({ status: 'ok', version: 2 });
        expect((await call(s.base, 'GET', '/api/v1/players/t:damaged/data/stats')).json).toMatchObject({ value: { wins: 6 } });

        // Bad input: coded 400 listing every problem, counted, nothing queued or changed.
        const metricsBefore = (await call(s.base, 'GET', '/metrics')).text;
        const callsBefore = svc.stats();
        const bad = [
          await call(s.base, 'GET', `/api/v1/players/${'x'.repeat(129)}/data`),
          await call(s.base, 'GET', `/api/v1/players/bad%20id/data/${'k'.repeat(65)}`),
          await call(s.base, 'GET', `${base}/bad%20key`),
          await call(s.base, 'DELETE', `${base}?confirm=1`),
          await call(s.base, 'GET', `/api/v1/players/%E2%9C%93/data`),
        ];
        for (const r of bad) expect(r).toMatchObject({ status: 400, json: { code: 'WT_ERR_ADMIN_BAD_REQUEST' } });
        expect(bad[1]?.json.details.problems).toHaveLength(2);
        expect(bad[3]?.json.details.problems).toEqual(['query parameter confirm is not taken']);
        const metricsAfter = (await call(s.base, 'GET', '/metrics')).text;
        const line = 'worldtick_admin_requests_total{status="400"}';
        expect(metric(metricsAfter, line) - metric(metricsBefore, line)).toBe(5);
        expect(svc.stats()).toMatchObject({ loads: callsBefore.loads, lists: callsBefore.lists, forgets: callsBefore.forgets });
        expect((await call(s.base, 'GET', base, { token: null })).status).toBe(401);
        expect((await call(s.base, 'DELETE', base, { token: 'wrong' })).status).toBe(401);
        expect((await call(s.base, 'GET', base)).json.liveKeys).toBe(2);

        // A game instance still holds version 2 of stats while the operator forgets the player.
        const forget = await call(s.base, 'DELETE', base);
        expect(forget).toMatchObject({
          status: 200,
          json: {
            playerId: p,
            deleted: 2,
            keys: [
              { key: 'settings', version: 2 },
              { key: 'stats', version: 3 },
            ],
          },
        });
        expect(await save(svc, p, 'stats', { wins: 3 }, 2)).toMatchObject({ status: 'rejected', code: 'PD_VERSION_STALE', version: 3 });
        const after = await call(s.base, 'GET', base);
        expect(after.json).toMatchObject({ liveKeys: 0, deletedKeys: 3, bytes: 0 });
        expect(after.json.keys.every((k: { deleted: boolean }) => k.deleted)).toBe(true);
        expect((await call(s.base, 'GET', `${base}/stats`)).json).toMatchObject({
          code: 'WT_ERR_PLAYER_DATA_NOT_FOUND',
          details: { version: 3 },
        });
        expect((await call(s.base, 'DELETE', base)).json).toEqual({ playerId: p, deleted: 0, keys: [] });
        // Another player is untouched; an unknown player lists nothing.
        expect((await call(s.base, 'GET', '/api/v1/players/t:other/data/stats')).json).toMatchObject({ value: 7, version: 1 });
        expect((await call(s.base, 'GET', '/api/v1/players/t:nobody/data')).json).toMatchObject({ keys: [], liveKeys: 0, bytes: 0 });
        const m = (await call(s.base, 'GET', '/metrics')).text;
        expect(metric(m, 'worldtick_player_data_calls_total{op="forget"}')).toBe(2);
        expect(metric(m, 'worldtick_player_data_retrying')).toBe(0);
      } finally {
        await s.stop();
      }
    }, 60_000);
  });
}

describe.skipIf('skip' in pgServer)('player data admin routes through a PostgreSQL outage', () => {
  it('a forget sent while PostgreSQL is stopped is answered 200 once it is back; the retries are in /metrics', async () => {
    const pgs = pgServer as Exclude<typeof pgServer, { skip: string }>;
    const s = await startRuntime(['--store', pgs.url]);
    try {
      const svc = s.runtime.playerData!;
      expect(await save(svc, 't:outage', 'a', 1, 0)).toMatchObject({ status: 'ok' });
      await pgs.stop();
      const forget = call(s.base, 'DELETE', '/api/v1/players/t:outage/data');
      for (let i = 0; svc.stats().retries < 2; i++) {
        if (i > 2000) throw new Error('no retry seen');
        await new Promise((r) => setTimeout(r, 5));
      }
      await pgs.start();
      expect(await forget).toMatchObject({ status: 200, json: { deleted: 1, keys: [{ key: 'a', version: 2 }] } });
      const m = (await call(s.base, 'GET', '/metrics')).text;
      expect(metric(m, 'worldtick_player_data_retries_total')).toBeGreaterThanOrEqual(2);
      expect(metric(m, 'worldtick_player_data_recovered_batches_total')).toBeGreaterThanOrEqual(1);
      expect(metric(m, 'worldtick_player_data_store_failures_total')).toBeGreaterThanOrEqual(3);
    } finally {
      await s.stop();
    }
  }, 60_000);
});
