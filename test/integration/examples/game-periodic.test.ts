/**
 * A game on the engine's base pipeline (examples/arena: no NPC simulation) runs its world's
 * periodic tasks: the built-in heartbeat beats, so `/readyz` stays 200 while the server runs. (Found
 * by the soak bench, bench/soak.ts: every game world but the life simulation never ticked its
 * periodic scheduler, so `/readyz` answered 503 "heartbeat lost" five seconds after the start, for
 * good, and API-declared tasks never ran.) Real runtime from `startServer`, real admin HTTP.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { arena } from '../../../examples/arena/game.js';
import { startServer, type RunningServer } from '../../../src/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const dir = tempDataDir('wt-game-periodic-');
let server: RunningServer;
let base = '';
const get = async (path: string): Promise<{ status: number; json: Record<string, unknown> }> => {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${server.adminToken}` } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  server = await startServer(arena, {
    options: { dataDir: dir.dir, host: '127.0.0.1', port: 0, adminPort: 0, logLevel: 'silent', statsIntervalSeconds: 0 },
  });
  base = `http://127.0.0.1:${server.adminPort}`;
});
afterAll(async () => {
  await server?.stop();
  dir.remove();
});

it('the heartbeat of a game world beats (periodic history), and /readyz is 200 after it', async () => {
  // The heartbeat runs every wall second from the periodic phase; wait for the first (at most 8 s).
  let beats: unknown[] = [];
  for (let i = 0; i < 80 && beats.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    beats = (await get('/api/v1/worlds/1/periodic/history?topic=heartbeat')).json.events as unknown[];
  }
  expect(beats.length).toBeGreaterThan(0);
  const ready = await get('/readyz');
  expect(ready.status).toBe(200);
  expect(ready.json).toEqual({ ready: true });
});
