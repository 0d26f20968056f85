/**
 * The match pattern (docs/ADMIN.md "Short-lived worlds"): a world per match, created, played and
 * deleted, many times in one process. What a deleted world leaves behind, read from outside: the
 * store (its record and checkpoints), `/api/v1/cluster/load`, `/metrics`, the lists.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { CloseCode } from '../../../src/errors.js';
import { call, sleep, startRuntime, type Started } from './harness.js';

/** Wait until `f` is true (a bounded poll, not a timing assertion). */
const until = async (f: () => Promise<boolean> | boolean, ms = 4000): Promise<void> => {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(25)) if (await f()) return;
  throw new Error('condition not reached');
};

const load = async (s: Started, id: string): Promise<number | undefined> =>
  ((await call(s.base, 'GET', '/api/v1/cluster/load')).json.worlds as Array<{ worldId: string; load: number }>).find((w) => w.worldId === id)
    ?.load;

describe('short-lived worlds: create, play, delete, again', () => {
  let s: Started;
  beforeAll(async () => {
    // Control ticks every 0.5 s: the load meter samples often enough to see a world's load.
    s = await startRuntime(['--npcs', '0', '--lease-ttl', '1.5']);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('deletes the world record and its checkpoints from the store', async () => {
    expect((await call(s.base, 'POST', '/api/v1/worlds', { body: { id: 'match-a', npcs: 10, capacity: 100 } })).status).toBe(201);
    await until(async () => (await s.runtime.store.loadCheckpoint('match-a')) !== undefined);
    expect((await call(s.base, 'DELETE', '/api/v1/worlds/match-a')).status).toBe(200);
    await until(async () => (await s.runtime.store.getWorldConfig('match-a')) === undefined);
    expect(await s.runtime.store.loadCheckpoint('match-a')).toBeUndefined();
  });

  it('measures a world created again under a deleted id afresh (no load of the deleted one)', async () => {
    expect((await call(s.base, 'POST', '/api/v1/worlds', { body: { id: 'match-b', npcs: 300, capacity: 400 } })).status).toBe(201);
    await until(async () => ((await load(s, 'match-b')) ?? 0) > 0, 8000);
    expect((await call(s.base, 'DELETE', '/api/v1/worlds/match-b')).status).toBe(200);
    // Paused: the new world never steps, so nothing of its own is ever measured.
    const body = { id: 'match-b', npcs: 0, capacity: 100, config: { simulation: { pauseSimulation: true } } };
    expect((await call(s.base, 'POST', '/api/v1/worlds', { body })).status).toBe(201);
    expect(await load(s, 'match-b')).toBe(0);
    expect((await call(s.base, 'DELETE', '/api/v1/worlds/match-b')).status).toBe(200);
  });
});
