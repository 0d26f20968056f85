/**
 * examples/player-stats recorded and replayed (docs/GAME-API.md "Record and replay of a parametrized
 * game", "Results of promises back into the step"): the stored numbers a join's save answers come
 * back into the step as a `stats-loaded` fact, so the input log holds them and a replay without a
 * store reaches the same state hashes. Before, the example wrote the component from the promise
 * callback directly: the replay (where the save answers PD_UNAVAILABLE) mismatched.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WS from 'ws';
import { WorldtickClient } from '../../../src/client/index.js';
import { startServer } from '../../../src/index.js';
import { readLog } from '../../../src/replay/log-format.js';
import { replayLog } from '../../../src/replay/replayer.js';
import { playerStats } from '../../../examples/player-stats/game.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const dataDir = tempDataDir('wt-stats-replay-');
afterAll(() => dataDir.remove());

describe('examples/player-stats record and replay', () => {
  it('replays a session without a store: every state hash matches', async () => {
    const logPath = join(dataDir.dir, 'stats.wtlog');
    const server = await startServer(playerStats, {
      options: { port: 0, adminPort: 0, logLevel: 'silent', dataDir: join(dataDir.dir, 'data'), record: logPath, recordHashEvery: 5 },
    });
    try {
      const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: WS });
      await c.connect();
      const w = await c.join('1', 'walker', 'walker-token');
      await c.waitFor(() => c.view.entities.get(w.playerId)?.fields?.visits === 1);
      const at = c.lastSnapshot?.step ?? 0;
      await c.waitForStep(at + 12); // a few hashes after the stored numbers arrived
      c.close();
    } finally {
      await server.stop();
    }
    const log = readLog(logPath);
    const res = await replayLog(log, undefined, { game: playerStats });
    expect(res.failure).toBeNull();
    expect(res.checks.length).toBeGreaterThan(2);
    expect(res.checks.every((c) => c.ok)).toBe(true);
  }, 30_000);
});
