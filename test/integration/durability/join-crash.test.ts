/**
 * A welcome's resume token survives a crash: joins are group-committed (the session records of one
 * event-loop turn's hellos are one store transaction, src/net/durable-sessions.ts) and each welcome
 * is sent only once that transaction is committed. A game server process (SQLite store) receives
 * hellos from several sockets at once, is killed with SIGKILL as soon as the clients hold their
 * welcomes, and is started again on the same data dir: every one of those sessions resumes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openRaw, type RawWs } from '../../fuzz-helpers/raw-ws.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { type GameProcess, killHard, startGameProcess } from '../../helpers/game-process.js';

const TOKEN = 'join-crash-token';
const WELCOME = 16;
const N = 8;

const start = (dataDir: string): Promise<GameProcess> =>
  startGameProcess({
    main: 'test/helpers/counter-game-main.ts',
    args: ['--npcs', '4', '--port', '0', '--admin-port', '0', '--stats-interval', '0'],
    dataDir,
    token: TOKEN,
  });

const gameUrl = (p: GameProcess): string => `ws://127.0.0.1:${p.lines.find((l) => l.msg === 'server ready')?.port}`;

const data = tempDataDir('wt-join-crash-');
afterAll(() => data.remove());

describe('joins after SIGKILL', () => {
  it('every session a client was welcomed into resumes after a kill -9 right after the welcomes', async () => {
    const a = await start(data.dir);
    const welcomes: unknown[][] = [];
    let clients: RawWs[] = [];
    try {
      const url = gameUrl(a);
      clients = await Promise.all(Array.from({ length: N }, () => openRaw(url)));
      for (const [i, c] of clients.entries()) c.send([1, 1, '1', `p${i}`, i % 2 ? `crash-join-${i}` : '', null]);
      for (const c of clients) welcomes.push(await c.waitFor(WELCOME, undefined, 20_000));
    } finally {
      await killHard(a);
    }
    await Promise.all(clients.map((c) => c.closed));
    const b = await start(data.dir);
    try {
      const url = gameUrl(b);
      for (const [i, w] of welcomes.entries()) {
        const c = await openRaw(url);
        c.send([1, 1, '1', `p${i}`, i % 2 ? `crash-join-${i}` : '', w[6]]);
        const back = await c.waitFor(WELCOME, undefined, 20_000);
        expect(c.errors(), `p${i}`).toEqual([]);
        expect(back[9], `p${i} resumed`).toBe(true);
        expect(back[6]).toBe(w[6]);
        c.ws.close();
      }
    } finally {
      await killHard(b);
    }
  }, 60_000);
});
