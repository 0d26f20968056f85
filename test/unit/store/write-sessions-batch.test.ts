/**
 * `Store.writeSessions` applies its writes as if one by one, in order (docs/DURABILITY.md "Players and
 * sessions"), on both stores. PostgreSQL applies a batch in at most three statements (one upsert of
 * the players, one deletion and one upsert of the sessions; src/store/postgres-sessions.ts), so this
 * checks the reduction against a model that applies the writes in order: seeded batches over a
 * few keys, with repeated keys, a deletion between two upserts of a token, and keys and values that
 * need quoting in a PostgreSQL array literal.
 */
import { describe, expect, it } from 'vitest';
import type { SessionWrite } from '../../../src/store/types.js';
import { createRng, fuzzSeed, withSeed, type Rng } from '../../fuzz-helpers/rng.js';
import { freshStoreEach, sqliteAndPostgres } from '../../helpers/store-factories.js';

const factories = await sqliteAndPostgres('writeSessions batches');

/** Keys that a PostgreSQL array literal must quote or escape, and ordinary ones. */
const KEYS = ['a', 'b', 'NULL', 'x,y', '{z}', 'q"uote', 'back\\slash', 'sp ace', 'é', 'g:1', ''];

interface Model {
  players: Map<string, { name: string; data: string }>;
  sessions: Map<string, { playerId: string; worldId: string; expiresAt: number; data: string }>;
}

const randomOp = (rng: Rng): SessionWrite => {
  const key = rng.pick(KEYS.slice(0, -1)); // '' is a valid key only as a name/value below
  const r = rng.next();
  if (r < 0.4) return { kind: 'player', id: key, name: rng.pick(KEYS), data: { x: rng.int(-5, 5), s: rng.pick(KEYS) } };
  if (r < 0.8)
    return {
      kind: 'session',
      record: {
        token: key,
        playerId: rng.pick(KEYS),
        worldId: rng.pick(KEYS),
        expiresAt: rng.int(0, 4e12),
        data: { live: rng.chance(0.5) },
      },
    };
  return { kind: 'dropSession', token: key };
};

const apply = (m: Model, ops: readonly SessionWrite[]): void => {
  for (const o of ops)
    if (o.kind === 'player') m.players.set(o.id, { name: o.name, data: JSON.stringify(o.data ?? {}) });
    else if (o.kind === 'session') {
      const { token, playerId, worldId, expiresAt, data } = o.record;
      m.sessions.set(token, { playerId, worldId, expiresAt, data: JSON.stringify(data) });
    } else m.sessions.delete(o.token);
};

const sorted = <T>(m: Map<string, T>): Array<[string, T]> => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

for (const { factory, name } of factories) {
  describe.skipIf(!factory)(`writeSessions batches: ${name}`, () => {
    const fresh = freshStoreEach(factory);

    const tables = async () => {
      const players = await fresh.handle.query('SELECT id, name, data, created_at FROM players');
      const sessions = await fresh.handle.query('SELECT token, player_id, world_id, expires_at, data FROM sessions');
      const byKey = <T>(rows: Array<Record<string, unknown>>, key: string, value: (r: Record<string, unknown>) => T) =>
        sorted(new Map(rows.map((r) => [String(r[key]), value(r)])));
      return {
        players: byKey(players, 'id', (r) => ({ name: String(r.name), data: String(r.data) })),
        createdAt: new Map(players.map((r) => [String(r.id), Number(r.created_at)])),
        sessions: byKey(sessions, 'token', (r) => ({
          playerId: String(r.player_id),
          worldId: String(r.world_id),
          expiresAt: Number(r.expires_at),
          data: String(r.data),
        })),
      };
    };

    it('seeded batches with repeated keys end as the same writes applied one by one; a player keeps its createdAt', async () => {
      await withSeed('writeSessions batches', fuzzSeed(8117), async (rng, ctx) => {
        const model: Model = { players: new Map(), sessions: new Map() };
        for (let round = 0; round < 25; round++) {
          ctx.at = `round ${round}`;
          const ops = Array.from({ length: rng.int(1, 40) }, () => randomOp(rng));
          const before = (await tables()).createdAt;
          await fresh.store.writeSessions(ops);
          apply(model, ops);
          const after = await tables();
          expect(after.players).toEqual(sorted(model.players));
          expect(after.sessions).toEqual(sorted(model.sessions));
          for (const [id, at] of before) expect(after.createdAt.get(id), id).toBe(at);
        }
      });
    });

    it('a batch with one write that cannot be stored fails whole: nothing of it is written, the store goes on', async () => {
      await fresh.store.writeSessions([{ kind: 'player', id: 'p', name: 'kept', data: { v: 1 } }]);
      const bad: SessionWrite[] = [
        { kind: 'player', id: 'p', name: 'changed', data: { v: 2 } },
        { kind: 'session', record: { token: 't', playerId: 'p', worldId: 'w', expiresAt: 1, data: { n: 10n } } },
        // A later write of the same token does not excuse the earlier one, as when they ran one by one.
        { kind: 'session', record: { token: 't', playerId: 'p', worldId: 'w', expiresAt: 1, data: {} } },
      ];
      await expect(fresh.store.writeSessions(bad)).rejects.toMatchObject({ code: 'WT_ERR_OPTION_INVALID' });
      expect(await fresh.store.getPlayer('p')).toMatchObject({ name: 'kept', data: { v: 1 } });
      expect(await fresh.store.getSession('t', 0)).toBeUndefined();
      await fresh.store.writeSessions([{ kind: 'session', record: { token: 't', playerId: 'p', worldId: 'w', expiresAt: 2, data: {} } }]);
      expect((await fresh.store.getSession('t', 0))?.expiresAt).toBe(2);
    });

    it('a large batch (a periodic position save of 3,000 players, then their sessions parked and half dropped)', async () => {
      const rng = createRng(5);
      const n = 3000;
      const model: Model = { players: new Map(), sessions: new Map() };
      const saves: SessionWrite[] = Array.from({ length: n }, (_, i) => ({
        kind: 'player',
        id: `g:${i}`,
        name: `p${i}`,
        data: { worldId: 'w', x: rng.int(0, 999), y: rng.int(0, 999) },
      }));
      const parks: SessionWrite[] = Array.from({ length: n }, (_, i) => ({
        kind: 'session',
        record: { token: `t${i}`, playerId: `g:${i}`, worldId: 'w', expiresAt: 1e12 + i, data: { live: false } },
      }));
      const drops: SessionWrite[] = Array.from({ length: n / 2 }, (_, i) => ({ kind: 'dropSession', token: `t${2 * i}` }));
      for (const batch of [saves, [...parks, ...drops]]) {
        await fresh.store.writeSessions(batch);
        apply(model, batch);
      }
      const after = await tables();
      expect(after.players.length).toBe(n);
      expect(after.players).toEqual(sorted(model.players));
      expect(after.sessions.length).toBe(n / 2);
      expect(after.sessions).toEqual(sorted(model.sessions));
    });
  });
}
