/**
 * Checkpoint now (docs/ADMIN.md "Checkpoint now"): `POST /api/v1/worlds/{id}/checkpoint` on a real
 * runtime over a real SQLite store. The answer's step is the store's latest checkpoint of the world;
 * a body, an unknown world and a store locked by another process are refused with their codes, and the refusals write
 * nothing; healed, the next request is saved.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { call, useRuntime } from './harness.js';

describe('POST /api/v1/worlds/{id}/checkpoint', () => {
  // No timed checkpoints: every one after the start's is the route's.
  const s = useRuntime(['--npcs', '20', '--checkpoint-interval', '0']);

  const latest = async (id: string) => (await s.runtime.store.loadCheckpoint(id))?.step;

  it('writes a checkpoint of the world now and answers its step, which the store holds', async () => {
    const before = await latest('1');
    // Let the world step past the start's checkpoint.
    const stepped = async (): Promise<number> => (await call(s.base, 'GET', '/api/v1/worlds/1')).json.step as number;
    for (const end = Date.now() + 10_000; (await stepped()) <= (before ?? 0) + 2 && Date.now() < end; )
      await new Promise((r) => setTimeout(r, 20));
    const r = await call(s.base, 'POST', '/api/v1/worlds/1/checkpoint');
    expect(r.status).toBe(200);
    expect(r.json.worldId).toBe('1');
    expect(r.json.bytes).toBeGreaterThan(0);
    expect(r.json.step).toBeGreaterThan(before ?? -1);
    expect(await latest('1')).toBe(r.json.step);
    // An empty {} is accepted, as on every route without a body.
    const again = await call(s.base, 'POST', '/api/v1/worlds/1/checkpoint', { body: {} });
    expect(again.status).toBe(200);
    expect(again.json.step).toBeGreaterThanOrEqual(r.json.step);
  });

  it('refuses a body, an unknown world and another method with their codes, writing nothing', async () => {
    const before = await latest('1');
    const body = await call(s.base, 'POST', '/api/v1/worlds/1/checkpoint', { body: { now: true } });
    expect([body.status, body.json.code]).toEqual([400, 'WT_ERR_ADMIN_BAD_REQUEST']);
    expect(body.json.details.problems).toEqual(['now is not a known field']);
    const unknown = await call(s.base, 'POST', '/api/v1/worlds/nope/checkpoint');
    expect([unknown.status, unknown.json.code]).toEqual([404, 'WT_ERR_WORLD_NOT_FOUND']);
    const get = await call(s.base, 'GET', '/api/v1/worlds/1/checkpoint');
    expect([get.status, get.json.code]).toEqual([405, 'WT_ERR_ADMIN_METHOD_NOT_ALLOWED']);
    expect(await latest('1')).toBe(before);
  });

  it('the store locked by another process: 503 WT_ERR_WORLD_NOT_DURABLE naming the store error, counted failed; released, saved', async () => {
    const failed = async (): Promise<number> =>
      Number(
        /^worldtick_checkpoints_total\{world="1",outcome="failed"\} (\d+)$/m.exec((await call(s.base, 'GET', '/metrics')).text)?.[1] ?? 0,
      );
    const before = await latest('1');
    const failedBefore = await failed();
    // A backup script or a stuck sqlite3 shell holding the write lock (a real second connection).
    const other = new Database(join(s.runtime.options.dataDir, 'worldtick.sqlite'));
    other.exec('BEGIN IMMEDIATE');
    try {
      const r = await call(s.base, 'POST', '/api/v1/worlds/1/checkpoint');
      expect([r.status, r.json.code]).toEqual([503, 'WT_ERR_WORLD_NOT_DURABLE']);
      expect(r.json.message).toMatch(/^the checkpoint of world 1 was not written: store unavailable \(busy\)/);
      expect(await failed()).toBe(failedBefore + 1);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(await latest('1')).toBe(before);
    const healed = await call(s.base, 'POST', '/api/v1/worlds/1/checkpoint');
    expect(healed.status).toBe(200);
    expect(await latest('1')).toBe(healed.json.step);
  });
});
