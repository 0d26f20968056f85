/**
 * `GET /api/v1/worlds/{id}/ledger/players/{playerId}` validates what it is given, as the
 * player-data routes do: a bad `limit` / `afterSeq`, an unknown or repeated query parameter, a
 * player id that is no durable id (over 128 characters, not printable ASCII) is 400
 * `WT_ERR_ADMIN_BAD_REQUEST` listing every problem. Before, `limit=0` read 1,000 entries,
 * `afterSeq=x` read from the start, an unknown parameter was ignored, and a 129-character id was
 * cut to 128 — answering with the entries of another player (the one whose id is the first 128).
 * An entry whose amounts a hand edit or a damaged file made no integers is marked `damaged: true` (its amount null);
 * before, it came as `coinsDelta: null` with nothing to say why (NaN written as JSON).
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, useRuntime } from './harness.js';

const LONG = `t:${'a'.repeat(126)}`; // 128 characters: a valid durable id
const path = (playerId: string, query = ''): string => `/api/v1/worlds/1/ledger/players/${encodeURIComponent(playerId)}${query}`;

describe('ledger player route: parameters validated', () => {
  const s = useRuntime(['--npcs', '10'], 60_000);
  beforeAll(async () => {
    for (let i = 0; i < 3; i++) {
      const r = await call(s.base, 'POST', '/api/v1/worlds/1/ledger/rewards', { body: { playerId: LONG, key: `k${i}`, coins: 5 } });
      expect(r.status).toBe(200);
    }
  }, 60_000);

  it('good parameters: the entries asked for', async () => {
    const all = await call(s.base, 'GET', path(LONG));
    expect(all.status).toBe(200);
    expect(all.json.entries).toHaveLength(3);
    const page = await call(s.base, 'GET', path(LONG, `?limit=2&afterSeq=${all.json.entries[0].seq}`));
    expect(page.status).toBe(200);
    expect(page.json.entries.map((e: { key: string }) => e.key)).toEqual(['k1', 'k2']);
  });

  it.each([
    ['?limit=0', 'limit must be an integer between 1 and 10000'],
    ['?limit=10001', 'limit must be an integer between 1 and 10000'],
    ['?limit=2.5', 'limit must be an integer between 1 and 10000'],
    ['?limit=1&limit=2', 'limit must be an integer between 1 and 10000'],
    ['?afterSeq=-1', 'afterSeq must be an integer >= 0'],
    ['?afterSeq=x', 'afterSeq must be an integer >= 0'],
    ['?afterseq=5', 'query parameter afterseq is not taken'],
  ])('%s is 400 naming the problem', async (query, problem) => {
    const r = await call(s.base, 'GET', path(LONG, query));
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('WT_ERR_ADMIN_BAD_REQUEST');
    expect(r.json.details.problems.join('\n')).toContain(problem);
  });

  it('an entry whose amount is damaged in the store is marked damaged; the others are as they were', async () => {
    const db = new Database(join(s.dataDir, 'worldtick.sqlite'));
    try {
      db.prepare("UPDATE ledger SET coins_delta = 'five' WHERE player_id = ? AND idem_key = 'k1'").run(LONG);
    } finally {
      db.close();
    }
    const r = await call(s.base, 'GET', path(LONG));
    expect(r.status).toBe(200);
    const byKey = Object.fromEntries(r.json.entries.map((e: { key: string }) => [e.key, e]));
    expect(byKey.k1.damaged).toBe(true);
    expect(byKey.k1.coinsDelta).toBeNull();
    expect(byKey.k0.damaged).toBeUndefined();
    expect(byKey.k0.coinsDelta).toBe(5);
  });

  it('every problem at once', async () => {
    const r = await call(s.base, 'GET', path(LONG, '?limit=0&afterSeq=x&bogus=1'));
    expect(r.status).toBe(400);
    expect(r.json.details.problems).toHaveLength(3);
    // The message says them all, worded as every admin query's (strictQuery).
    expect(r.json.message).toBe(
      'invalid player ledger request: limit must be an integer between 1 and 10000, given once (got "0"); ' +
        'afterSeq must be an integer >= 0 (the last seq of the previous page), given once (got "x"); ' +
        'query parameter bogus is not taken (limit, afterSeq)',
    );
  });

  it('a player id over 128 characters is refused, not cut to another player', async () => {
    const r = await call(s.base, 'GET', path(`${LONG}X`));
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('WT_ERR_ADMIN_BAD_REQUEST');
    expect(r.json.details.problems.join('\n')).toContain('playerId must be 1-128 printable ASCII characters');
  });

  it('a player id with a space is refused', async () => {
    const r = await call(s.base, 'GET', path('t:a b'));
    expect(r.status).toBe(400);
  });
});
