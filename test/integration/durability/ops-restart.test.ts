/**
 * Operator state survives restarts (docs/ADMIN.md, "Durable"): a real server (`src/cli/main.ts`)
 * in a child process on a temporary SQLite data dir. Maintenance of a world, a controller
 * override and a task declared through the API are set; SIGINT; a new process on the same data
 * dir has them back before it takes sessions — a new session is refused with close 4013
 * (MAINTENANCE) — while an override whose time ran out is not put back. Then the runtime-wide
 * flag: set, restart, still on (and holds every world); a deleted world's state goes with it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { CloseCode } from '../../../src/errors.js';
import { childNodeArgs } from '../../helpers/child-node.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { collectJsonLines } from '../../helpers/log-lines.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const TOKEN = 'ops-restart-token';

interface Server {
  child: ChildProcessWithoutNullStreams;
  lines: Array<Record<string, unknown>>;
  base: string;
  gamePort: number;
}

const start = async (dataDir: string): Promise<Server> => {
  const child = spawn(
    process.execPath,
    [...(await childNodeArgs('src/cli/main.ts')), '--npcs', '20', '--port', '0', '--admin-port', '0', '--stats-interval', '0'],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, WORLDTICK_ADMIN_TOKEN: TOKEN, WORLDTICK_DATA_DIR: dataDir } },
  );
  const lines = collectJsonLines(child.stdout);
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const deadline = Date.now() + 30_000;
  let url: string | undefined;
  let gamePort: number | undefined;
  while ((!url || !gamePort) && Date.now() < deadline && child.exitCode === null) {
    url = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('admin listening'))?.url as string | undefined;
    gamePort = lines.find((l) => l.msg === 'game server listening')?.port as number | undefined;
    if (!url || !gamePort) await new Promise((r) => setTimeout(r, 50));
  }
  if (!url || !gamePort) {
    child.kill('SIGKILL'); // not left running after the test
    throw new Error(`server did not start: ${err.slice(-2000)}`);
  }
  return { child, lines, base: url.replace(/\/$/, ''), gamePort };
};

const api = async (s: Server, method: string, path: string, body?: unknown) => {
  const res = await fetch(`${s.base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
};

const stop = async (s: Server): Promise<number | null> => {
  s.child.kill('SIGINT');
  const [code] = await once(s.child, 'exit');
  return code as number | null;
};

const client = (s: Server): WorldtickClient =>
  new WorldtickClient({ url: `ws://127.0.0.1:${s.gamePort}`, WebSocket: WebSocket as unknown as WebSocketCtor });

/** A new session to `world` is refused with close 4013 (MAINTENANCE). */
const expectRefused = async (s: Server, world: string): Promise<void> => {
  const c = client(s);
  await c.connect();
  await expect(c.join(world, 'newcomer')).rejects.toThrow(/maintenance/);
  await c.closed();
  expect(c.closeCode).toBe(CloseCode.MAINTENANCE);
};

const data = tempDataDir('wt-ops-restart-');
afterAll(() => data.remove());

describe('operator state survives a restart (SQLite, real processes)', () => {
  it('maintenance, an override and a declared task come back; an expired override does not; sessions are refused at once', async () => {
    const a = await start(data.dir);
    try {
      expect((await api(a, 'POST', '/worlds', { id: 'w2', npcs: 20, capacity: 100, seed: 2 })).status).toBe(201);
      const m = await api(a, 'PUT', '/worlds/1/maintenance', { on: true, reason: 'upgrade to 1.1' });
      expect(m.json).toMatchObject({ changed: true, durable: true, on: true });
      const o = await api(a, 'PUT', '/worlds/1/controller/override', { mode: 'degraded', seconds: 3600, reason: 'load test' });
      expect(o.json).toMatchObject({ durable: true, mode: 'degraded' });
      const t = await api(a, 'POST', '/worlds/1/periodic', { name: 'market.refresh', intervalSeconds: 60, clock: 'wall', priority: 5 });
      expect(t.status).toBe(201);
      expect(t.json.durable).toBe(true);
      // An override on w2 whose time is up before the restart.
      expect((await api(a, 'PUT', '/worlds/w2/controller/override', { mode: 'emergency', seconds: 0.2 })).json.durable).toBe(true);
      for (let i = 0; i < 200 && (await api(a, 'GET', '/worlds/w2/controller/override')).json.override !== null; i++)
        await new Promise((r) => setTimeout(r, 25));
      expect((await api(a, 'GET', '/worlds/w2/controller/override')).json.override).toBeNull();
    } finally {
      expect(await stop(a)).toBe(0);
    }

    const b = await start(data.dir);
    try {
      // In maintenance from the first moment the game port answers.
      await expectRefused(b, '1');
      const m = (await api(b, 'GET', '/worlds/1/maintenance')).json;
      expect(m).toMatchObject({ on: true, world: { on: true, reason: 'upgrade to 1.1' }, periodicHeld: true, jobsHeld: true });
      expect(typeof m.world.since).toBe('string');
      const o = (await api(b, 'GET', '/worlds/1/controller/override')).json;
      expect(o).toMatchObject({ mode: 'degraded', override: { mode: 'degraded', reason: 'load test' } });
      expect(o.override.remainingSeconds).toBeGreaterThan(3000);
      expect(o.override.remainingSeconds).toBeLessThanOrEqual(3600);
      const tasks = (await api(b, 'GET', '/worlds/1/periodic')).json.tasks as Array<Record<string, unknown>>;
      expect(tasks.find((x) => x.name === 'market.refresh')).toMatchObject({
        declared: true,
        intervalSeconds: 60,
        clock: 'wall',
        priority: 5,
      });
      // w2: not in maintenance, its expired override not put back.
      expect((await api(b, 'GET', '/worlds/w2/maintenance')).json.on).toBe(false);
      expect((await api(b, 'GET', '/worlds/w2/controller/override')).json).toMatchObject({ mode: 'normal', override: null });
      const restored = b.lines.filter((l) => l.msg === 'operator state restored');
      expect(restored.find((l) => l.world === 'w2')).toMatchObject({ override: null, overrideExpired: true });
      expect(restored.find((l) => l.world === '1')).toMatchObject({ tasks: ['market.refresh'] });
      // The restore happened before the loop started and before the game server listened.
      const idx = (msg: string) => b.lines.findIndex((l) => l.msg === msg);
      expect(b.lines.indexOf(restored.find((l) => l.world === '1')!)).toBeLessThan(idx('loop started'));
      expect(idx('loop started')).toBeLessThan(idx('game server listening'));

      // Released, the task removed, the override reset; runtime-wide maintenance on; w2 deleted.
      expect((await api(b, 'PUT', '/worlds/1/maintenance', { on: false })).json).toMatchObject({ changed: true, durable: true });
      expect((await api(b, 'DELETE', '/worlds/1/periodic/market.refresh')).json.durable).toBe(true);
      expect((await api(b, 'DELETE', '/worlds/1/controller/override')).json).toMatchObject({ cleared: true, durable: true });
      expect((await api(b, 'PUT', '/maintenance', { on: true, reason: 'datacenter move' })).json).toMatchObject({ durable: true });
      expect((await api(b, 'PUT', '/worlds/w2/maintenance', { on: true })).json.durable).toBe(true);
      expect((await api(b, 'DELETE', '/worlds/w2')).status).toBe(200);
    } finally {
      expect(await stop(b)).toBe(0);
    }

    const c = await start(data.dir);
    try {
      await expectRefused(c, '1');
      const all = (await api(c, 'GET', '/maintenance')).json;
      expect(all.runtime).toMatchObject({ on: true, reason: 'datacenter move' });
      expect(all.worlds).toEqual([expect.objectContaining({ worldId: '1', on: true, world: expect.objectContaining({ on: false }) })]);
      expect((await api(c, 'GET', '/worlds/1/controller/override')).json.override).toBeNull();
      const tasks = (await api(c, 'GET', '/worlds/1/periodic')).json.tasks as Array<Record<string, unknown>>;
      expect(tasks.some((x) => x.name === 'market.refresh')).toBe(false);
      // A world created again under a deleted id starts clean (its old state was deleted with it).
      expect((await api(c, 'POST', '/worlds', { id: 'w2', npcs: 10, capacity: 50, seed: 4 })).status).toBe(201);
      expect((await api(c, 'GET', '/worlds/w2/maintenance')).json).toMatchObject({ on: true, world: { on: false } }); // the runtime's flag only
      expect((await api(c, 'PUT', '/maintenance', { on: false })).json.durable).toBe(true);
      // Maintenance ended: a new session is welcome again.
      const after = client(c);
      await after.connect();
      expect((await after.join('1', 'back')).sessionId).toBeGreaterThan(0);
      after.close();
    } finally {
      expect(await stop(c)).toBe(0);
    }
  }, 90_000);
});
