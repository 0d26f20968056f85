/**
 * The game servers the store-copy tests run on either side of a copy (test/integration/durability/
 * store-copy*.test.ts): the player-data game as a real process, its admin API, a client joined as bob,
 * a clean stop. `procs` are SIGKILLed by `killAll` (the file's afterAll) if a test left one running.
 */
import { once } from 'node:events';
import { expect } from 'vitest';
import WS from 'ws';
import { WorldtickClient } from '../../src/client/index.js';
import { type GameProcess, startGameProcess } from './game-process.js';

const TOKEN = 'store-copy-test-token';
const MAIN = 'test/helpers/player-data-game-main.ts';

/** Servers started in `cwd` (a temporary directory of the test's); `args` choose the store. */
export const copyTestServers = (cwd: string) => {
  const procs: GameProcess[] = [];
  return {
    serve: async (args: string[]): Promise<GameProcess> => {
      const p = await startGameProcess({
        main: MAIN,
        args: ['--port', '0', '--admin-port', '0', '--checkpoint-interval', '0', '--npcs', '20', ...args],
        dataDir: cwd,
        token: TOKEN,
      });
      procs.push(p);
      return p;
    },
    /** SIGTERM, and the exit is clean. */
    stop: async (p: GameProcess): Promise<void> => {
      p.child.kill('SIGTERM');
      await once(p.child, 'exit');
      expect(p.child.exitCode).toBe(0);
    },
    api: async (p: GameProcess, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
      const r = await fetch(`${p.admin}${path}`, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: r.status, json: await r.json() };
    },
    /** A client joined to world 1 as bob. */
    client: async (p: GameProcess): Promise<WorldtickClient> => {
      const c = new WorldtickClient({ url: `ws://127.0.0.1:${p.port}`, WebSocket: WS as never });
      await c.connect();
      await c.join('1', 'bob', 'bob-token');
      return c;
    },
    killAll: (): void => {
      for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    },
  };
};
