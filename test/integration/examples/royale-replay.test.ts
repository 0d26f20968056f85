/**
 * examples/royale recorded and replayed (docs/GAME-API.md "Record and replay of a parametrized
 * game"): a round with two real clients — crates from the world's PRNG, the roster of durable ids in
 * the world data (hashed), an elimination made a camera, rewards granted by durable id — recorded with
 * `--record`, then replayed without a store (the rewards answer TX_UNAVAILABLE there, and nothing of
 * theirs comes back into the world): every state hash matches.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WS from 'ws';
import { WorldtickClient } from '../../../src/client/index.js';
import { startServer } from '../../../src/index.js';
import { readLog } from '../../../src/replay/log-format.js';
import { replayLog } from '../../../src/replay/replayer.js';
import { createRoyale, ROUND_RESULT, type RoundResultPayload } from '../../../examples/royale/game.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const dataDir = tempDataDir('wt-royale-replay-');
afterAll(() => dataDir.remove());
const options = { countdownSeconds: 1, playSeconds: 10, resultSeconds: 1 };

describe('examples/royale record and replay', () => {
  it('replays a round without a store: every state hash matches', async () => {
    const logPath = join(dataDir.dir, 'royale.wtlog');
    const server = await startServer(createRoyale(options), {
      options: {
        port: 0,
        adminPort: 0,
        logLevel: 'silent',
        statsIntervalSeconds: 0,
        dataDir: join(dataDir.dir, 'data'),
        record: logPath,
        recordHashEvery: 2,
        timeScale: 10, // 10 world seconds per wall second: the round takes about a wall second
      },
    });
    let result: RoundResultPayload | null = null;
    try {
      const a = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: WS });
      const b = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: WS });
      await a.connect();
      await b.connect();
      const done = new Promise<void>((r) =>
        a.onMessage<RoundResultPayload>(ROUND_RESULT, (p) => {
          result = p;
          r();
        }),
      );
      await a.join('1', 'alice', 'alice');
      await b.join('1', 'bob', 'bob');
      await done;
      await a.waitForStep((a.lastSnapshot?.step ?? 0) + 12); // a few hashes after the round's end
      a.close();
      b.close();
    } finally {
      await server.stop();
    }
    expect(result).toMatchObject({ round: 1, fighters: 2 });
    const res = await replayLog(readLog(logPath), undefined, { game: createRoyale(options) });
    expect(res.failure).toBeNull();
    expect(res.checks.length).toBeGreaterThan(5);
    expect(res.checks.every((c) => c.ok)).toBe(true);
  }, 30_000);
});
