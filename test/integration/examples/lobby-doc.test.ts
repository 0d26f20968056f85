/**
 * docs/GAME-API.md "Creating and ending worlds" works as written: its `lobby/game.ts` module is
 * extracted from the page (imports of `worldtick` pointed at src/index.ts), started with
 * `startServer`, and played by two clients over real WebSockets: both `queue` in the lobby, both are
 * told the same match id, join it with their tokens, are closed 4012 when the match's timer deletes
 * the world (its 60 world seconds — wall seconds at a game's default timeScale 1 — run forward by
 * pausing and stepping the match world), and join the lobby again. With `--max-worlds 1` the lobby answers `{ id: null }`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/index.js';
import { CloseCode, type WorldtickError } from '../../../src/errors.js';
import { pauseWorld, startServer, stepWorld, type GameDefinition, type RunningServer } from '../../../src/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const Ws = WebSocket as unknown as WebSocketCtor;

const lobbyModule = (): string => {
  const md = readFileSync(join(ROOT, 'docs/GAME-API.md'), 'utf8');
  const block = /```ts\n(\/\/ lobby\/game\.ts\n[\s\S]*?)```/.exec(md);
  if (!block?.[1]) throw new Error('lobby game block not found in docs/GAME-API.md');
  return block[1].replace(/from 'worldtick'/g, `from '${join(ROOT, 'src/index.js')}'`);
};

const told = (c: WorldtickClient): Promise<string | null> =>
  new Promise((resolve) => {
    const off = c.onMessage<{ id: string | null }>('match', ({ id }) => {
      off();
      resolve(id);
    });
  });

describe('GAME-API.md lobby example', () => {
  const servers: RunningServer[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'wt-lobby-doc-'));
  afterAll(async () => {
    for (const s of servers) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const load = async (): Promise<GameDefinition> => {
    const file = join(dir, 'game.ts');
    writeFileSync(file, lobbyModule());
    return ((await import(file)) as { game: GameDefinition }).game;
  };
  const start = async (game: GameDefinition, maxWorlds: number): Promise<RunningServer> => {
    const s = await startServer(game, {
      options: {
        dataDir: tempDataDir().dir,
        host: '127.0.0.1',
        port: 0,
        adminPort: 0,
        logLevel: 'silent',
        statsIntervalSeconds: 0,
        maxWorlds,
      },
    });
    servers.push(s);
    return s;
  };
  const lobbyPair = async (s: RunningServer): Promise<Array<{ c: WorldtickClient; name: string }>> => {
    const out = [];
    for (const name of ['ann', 'bob']) {
      const c = new WorldtickClient({ url: `ws://127.0.0.1:${s.port}`, WebSocket: Ws });
      await c.connect();
      await c.join('1', name, `${name}-token`);
      out.push({ c, name });
    }
    return out;
  };

  it('queue → match id → join → closed 4012 by the match end → lobby again', async () => {
    const game = await load();
    const s = await start(game, 32);
    const players = await lobbyPair(s);
    const ids = players.map(({ c }) => told(c));
    for (const { c } of players) c.sendMessage('queue', {});
    const [a, b] = await Promise.all(ids);
    expect(a).toMatch(/^m-[0-9a-f-]{36}$/);
    expect(b).toBe(a);
    for (const { c, name } of players) {
      c.close();
      await c.closed();
      await c.connect();
      await c.join(a ?? '', name, `${name}-token`);
    }
    // The match lasts 60 world seconds: a wall minute at a game's default timeScale 1. The test runs its
    // clock forward instead: paused, stepped 1,150 steps (57.5 world s), then one step at a time until
    // the timer's delete has removed it (due at 60 world s after the join: about 50 more steps).
    const match = s.runtime.runner.get(a ?? '');
    pauseWorld(match);
    stepWorld(match, 1150);
    for (let i = 0; i < 400 && s.runtime.runner.has(a ?? ''); i++) {
      stepWorld(match, 1);
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(match.clock.now).toBeGreaterThanOrEqual(60);
    const ends = await Promise.all(
      players.map(({ c }) =>
        c
          .waitFor(() => false, 20_000)
          .then(
            () => null,
            (e: WorldtickError) => e,
          ),
      ),
    );
    for (const e of ends) expect(e?.details).toMatchObject({ closeCode: CloseCode.WORLD_CLOSED });
    expect((await s.worlds.list()).map((w) => w.id)).toEqual(['1']);
    for (const { c, name } of players) {
      await c.connect();
      expect((await c.join('1', name, `${name}-token`)).playerId).toBeGreaterThan(0);
      c.close();
    }
  });

  it('no room for a match (--max-worlds 1): both are told null', async () => {
    const s = await start(await load(), 1);
    const players = await lobbyPair(s);
    const ids = players.map(({ c }) => told(c));
    for (const { c } of players) c.sendMessage('queue', {});
    expect(await Promise.all(ids)).toEqual([null, null]);
    for (const { c } of players) c.close();
  });
});
