/**
 * A game that treats spectators apart in `onPlayerJoined` (by `info.sessionClass`) replays: the
 * join fact in the input log carries the session's class, so the replay hands the hook the same
 * class and every state hash matches. (Without it the replay told the hook `player` and the
 * spectator got the players' component: a mismatch at the join's step.)
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WS from 'ws';
import { WorldtickClient } from '../../../src/client/index.js';
import { addComponent, defineComponent, defineGame, startServer } from '../../../src/index.js';
import { readLog } from '../../../src/replay/log-format.js';
import { replayLog } from '../../../src/replay/replayer.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const Health = defineComponent('Health', { hp: 'u16' }); // default 0: what a spectator's field reads
const game = defineGame({
  name: 'royale-replay',
  world: { size: 200, npcs: 0, physics: 'off', config: { simulation: { timeScale: 1 } } },
  components: [Health],
  replicate: { player: { hp: { component: Health, field: 'hp' } } },
  hooks: {
    onPlayerJoined: (world, player, { resumed, sessionClass }) => {
      if (!resumed && sessionClass === 'player') addComponent(world, player, Health, { hp: 100 }); // spectators stay out of play
    },
  },
});

const dataDir = tempDataDir('wt-class-replay-');
afterAll(() => dataDir.remove());

describe('session class in the input log', () => {
  it('a spectator joins, the replay gives the hook the same class: every hash matches', async () => {
    const logPath = join(dataDir.dir, 'royale.wtlog');
    const server = await startServer(game, {
      options: { port: 0, adminPort: 0, logLevel: 'silent', dataDir: join(dataDir.dir, 'data'), record: logPath, recordHashEvery: 2 },
    });
    try {
      const join1 = async (token: string) => {
        const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: WS });
        await c.connect();
        return { c, w: await c.join('1', token.slice(0, 8), token) };
      };
      const p = await join1('alice');
      const s = await join1('spectator:1');
      await p.c.waitFor(() => p.c.view.entities.get(p.w.playerId)?.fields?.hp === 100);
      await s.c.waitForStep(s.w.step + 6);
      expect(s.c.view.entities.get(s.w.playerId)?.fields?.hp).toBe(0); // no Health: the field's default
      p.c.close();
      s.c.close();
    } finally {
      await server.stop();
    }
    const res = await replayLog(readLog(logPath), undefined, { game });
    expect(res.failure).toBeNull();
    expect(res.checks.length).toBeGreaterThan(2);
    expect(res.checks.every((c) => c.ok)).toBe(true);
  }, 30_000);
});
