/**
 * The arena example (examples/arena) played end to end over real WebSockets by the client
 * library: a real runtime from `startServer`, two clients, the custom `shoot` message accepted
 * and applied in the step, bad ones refused with their wire code and a strike, a shot beyond
 * `SHOOT_RANGE` applying nothing, the custom `hp`
 * field replicated (in enter entries and as a changed field); and `examples/arena/main.ts` run
 * as a process that logs its bound ports.
 */
import { childNodeArgs } from '../../helpers/child-node.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorldtickClient, PLAYER_KIND, WireErrorCode, type ServerMsg, type WebSocketCtor } from '../../../src/client/index.js';
import { startServer, type RunningServer } from '../../../src/index.js';
import { arena, CRATE_KIND, SHOOT_RANGE } from '../../../examples/arena/game.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const Ws = WebSocket as unknown as WebSocketCtor;

/** Resolve when `pred` holds after some message (checked on every message, 5 s at most). */
const until = (c: WorldtickClient, pred: () => boolean): Promise<void> =>
  pred() ? Promise.resolve() : c.waitFor(() => pred(), 5000).then(() => undefined);

describe('arena example over real WebSockets', () => {
  let server: RunningServer;
  let a: WorldtickClient, b: WorldtickClient;

  beforeAll(async () => {
    server = await startServer(arena, {
      options: { dataDir: tempDataDir().dir, host: '127.0.0.1', port: 0, adminPort: 0, logLevel: 'silent', statsIntervalSeconds: 0 },
    });
    const url = `ws://127.0.0.1:${server.port}`;
    a = new WorldtickClient({ url, WebSocket: Ws });
    b = new WorldtickClient({ url, WebSocket: Ws });
    await a.connect();
    await b.connect();
  });
  /** Between steps: alice at (5, 5), bob at (x, y) (players spawn anywhere in the 200 × 200 arena; a shot reaches SHOOT_RANGE). */
  const place = (x: number, y: number): void => {
    const p = server.world.stores.Position;
    const shooter = a.welcome!.playerId;
    const target = b.welcome!.playerId;
    p.x[shooter] = 5;
    p.y[shooter] = 5;
    p.x[target] = x;
    p.y[target] = y;
  };
  afterAll(async () => {
    a?.close();
    b?.close();
    await server?.stop();
  });

  it('joins; welcome describes the custom field; players enter with hp, crates without', async () => {
    const wa = await a.join('1', 'alice');
    const wb = await b.join('1', 'bob');
    expect(wa.fields?.get(PLAYER_KIND)).toEqual({ names: ['hp'], scales: [1] });
    expect(wa.fields?.has(CRATE_KIND)).toBe(false);
    await until(a, () => a.view.entities.get(wb.playerId)?.fields?.hp === 100);
    await until(b, () => b.view.entities.get(wb.playerId)?.fields?.hp === 100);
    await until(a, () => [...a.view.entities.values()].filter((e) => e.kind === CRATE_KIND).length === 20);
    const crate = [...a.view.entities.values()].find((e) => e.kind === CRATE_KIND)!;
    expect(crate.fields).toBeUndefined();
  });

  it('shoot is accepted, applied in the step, and the changed hp is replicated to both clients', async () => {
    const target = b.welcome!.playerId;
    place(15, 5);
    await b.waitForStep(b.lastSnapshot!.step + 3); // the move is replicated before the shot's hp change
    const updates: number[][] = [];
    const off = b.on((m: ServerMsg) => {
      if (m.type === 17) for (const u of m.update) if (u[0] === target && (u[1] & 16) !== 0) updates.push(u);
    });
    a.sendMessage('shoot', { target });
    await until(a, () => a.view.entities.get(target)?.fields?.hp === 90);
    await until(b, () => b.view.entities.get(target)?.fields?.hp === 90);
    off();
    // A changing entry carries only the changed custom field: [id, mask=16, hp] (position unchanged).
    expect(updates.some((u) => u.length === 3 && u[1] === 16 && u[2] === 90)).toBe(true);
    expect(server.world.game?.counters.accepted).toBe(1);
    expect(a.errors).toHaveLength(0);
  });

  it('a bad shoot is refused with BAD_FIELD and a strike; an unknown message with UNKNOWN_TYPE; nothing changes', async () => {
    const target = b.welcome!.playerId;
    const strikes = server.runtime.gameServer.stats().strikes;
    a.sendMessage('shoot', { target: 'bob' });
    const e1 = await a.waitFor((m) => m.type === 20);
    expect(e1).toMatchObject({ type: 20, code: WireErrorCode.BAD_FIELD });
    expect((e1 as { message: string }).message).toMatch(/^shoot: \/target /);
    a.sendMessage('shoot', { target, extra: 1 });
    expect(await a.waitFor((m) => m.type === 20)).toMatchObject({ code: WireErrorCode.BAD_FIELD });
    a.sendMessage('teleport', { x: 1 });
    expect(await a.waitFor((m) => m.type === 20)).toMatchObject({ code: WireErrorCode.UNKNOWN_TYPE });
    expect(server.runtime.gameServer.stats().strikes).toBe(strikes + 3);
    expect(server.world.game?.counters).toMatchObject({ accepted: 1, refused: 3 });
    const step = a.lastSnapshot!.step;
    await a.waitForStep(step + 5);
    expect(a.view.entities.get(target)?.fields?.hp).toBe(90);
    expect(a.open).toBe(true);
  });

  it('a shot at a target beyond SHOOT_RANGE changes nothing (no error, no strike); the same shot in range hits', async () => {
    const target = b.welcome!.playerId;
    const strikes = server.runtime.gameServer.stats().strikes;
    const errors = a.errors.length;
    const accepted = server.world.game?.counters.accepted ?? 0;
    place(5 + SHOOT_RANGE + 1, 5); // between steps: the players stand where the shot is decided
    a.sendMessage('shoot', { target });
    await until(a, () => server.world.game?.counters.accepted === accepted + 1);
    place(5 + SHOOT_RANGE + 1, 5); // still out of range when the step applies it
    await a.waitForStep(a.lastSnapshot!.step + 5);
    expect(a.view.entities.get(target)?.fields?.hp).toBe(90);
    expect(server.runtime.gameServer.stats().strikes).toBe(strikes);
    expect(a.errors).toHaveLength(errors);
    place(5 + SHOOT_RANGE - 1, 5);
    a.sendMessage('shoot', { target });
    await until(a, () => a.view.entities.get(target)?.fields?.hp === 80);
    expect(a.open).toBe(true);
  });
});

describe('examples/arena/main.ts', () => {
  it('starts a server, logs its bound ports as JSON, serves the arena, stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        ...(await childNodeArgs('examples/arena/main.ts')),
        '--data-dir',
        tempDataDir().dir,
        '--port',
        '0',
        '--admin-port',
        '0',
        '--stats-interval',
        '0',
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, WORLDTICK_ADMIN_TOKEN: 'test-token' },
      },
    );
    child.stdout.setEncoding('utf8');
    const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => reject(new Error(`no "server ready" line: ${buf}`)), 20_000);
      child.stdout.on('data', (d: string) => {
        buf += d;
        for (const line of buf.split('\n')) {
          if (!line.startsWith('{')) continue;
          try {
            const j = JSON.parse(line) as Record<string, unknown>;
            if (j.msg === 'server ready') {
              clearTimeout(timer);
              resolve(j);
            }
          } catch {
            /* a partial line */
          }
        }
      });
    });
    expect(ready).toMatchObject({ game: 'arena', world: '1' });
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${ready.port as number}`, WebSocket: Ws });
    await c.connect();
    const w = await c.join('1', 'carol');
    expect(w.fields?.get(PLAYER_KIND)?.names).toEqual(['hp']);
    c.close();
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  }, 30_000);
});
