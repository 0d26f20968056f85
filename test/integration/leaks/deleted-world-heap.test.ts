/**
 * Nothing a deleted world leaves behind in memory (docs/ADMIN.md "Short-lived worlds"): one real
 * instance (`src/cli/main.ts`, SQLite store) creates worlds with distinctive ids, has a player join
 * each, scrapes `/metrics` and the world's stats while they run, deletes them, and then a V8 heap
 * snapshot of the instance (test/helpers/heap-strings.ts) must hold no string containing any of
 * those ids. A map keyed by world id that a delete does not clear fails it (one string per world).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { startInstance, type TestInstance } from '../../helpers/cluster-instances.js';
import { heapSnapshotEnv, retainedStrings } from '../../helpers/heap-strings.js';

const PREFIX = 'gone-7f3a-';
const WORLDS = 8;

describe('a deleted world leaves nothing in memory (single instance)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-heap-'));
  let inst: TestInstance | undefined;
  beforeAll(async () => {
    inst = await startInstance('leak', ['--npcs', '0', '--stats-interval', '0'], { env: heapSnapshotEnv(dir) });
  });
  afterAll(async () => {
    await inst?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('create, join, scrape, delete: no string of a deleted world id is retained', { timeout: 60_000 }, async () => {
    const i = inst;
    if (!i) throw new Error('instance not started');
    for (let n = 0; n < WORLDS; n++) {
      const id = `${PREFIX}${n}`;
      const made = await i.api('POST', '/api/v1/worlds', { id, capacity: 10, npcs: 0 });
      expect(made.status, made.text).toBe(201);
      const c = new WorldtickClient({ url: i.gameUrl, WebSocket: WebSocket as unknown as WebSocketCtor });
      await c.connect();
      await c.join(id, `p-${n}`);
      // What an operator does with a world: every route keyed by its id answers, and keeps nothing after the delete.
      const w = `/api/v1/worlds/${id}`;
      for (const [method, path, body] of [
        ['GET', `${w}/stats`],
        ['GET', `${w}/ledger`],
        ['GET', `${w}/map?format=json`],
        ['PUT', `${w}/scheduler/config`, { simulation: { timeScale: 30 } }],
        ['PUT', `${w}/maintenance`, { on: true, reason: 'leak test' }],
        ['PUT', `${w}/controller/override`, { mode: 'degraded', seconds: 3600 }],
        ['POST', `${w}/periodic`, { name: 'nightly', intervalSeconds: 86_400, clock: 'wall' }],
        ['POST', `${w}/ledger/rewards`, { playerId: `t:${id}`, key: `k-${id}`, coins: 5 }],
        ['GET', `${w}/periodic/history`],
      ] as const) {
        const r = await i.api(method, path, body);
        expect(r.status, `${method} ${path}: ${r.text}`).toBeLessThan(300);
      }
      expect((await i.api('GET', '/metrics')).text).toContain(id);
      const del = await i.api('DELETE', `/api/v1/worlds/${id}`);
      expect(del.json, del.text).toMatchObject({ deleted: id, durable: true });
      await c.closed();
    }
    // A scrape after the deletes: no series of a deleted world is left.
    expect((await i.api('GET', '/metrics')).text).not.toContain(PREFIX);
    expect(await retainedStrings(i.child, dir, PREFIX)).toEqual([]); // else: each string with the paths that keep it
  });
});
