/**
 * `isPlayerConnected(world, eid)` (docs/GAME-API.md `kickPlayer`): is this player's session live —
 * what `kickPlayer` accepts? A parked player (its socket dropped, waiting for a resume) is still a
 * live player entity with its components, and `kickPlayer` on it throws `WT_ERR_PLAYER_LEAVING`: a
 * rule that kicks from a system (examples/royale's idle rule) faulted the world on one. Through a real
 * server and a real client: joined → true; socket closed, parked → false (and kickPlayer refuses);
 * resumed → true; kicked → false at once; an NPC, a dead id, a non-integer → false.
 */
import WS from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { type WebSocketCtor, WorldtickClient } from '../../../src/client/index.js';
import {
  defineGame,
  isPlayerConnected,
  isWorldtickError,
  kickPlayer,
  pauseWorld,
  type RunningServer,
  spawn,
  startServer,
  stepWorld,
} from '../../../src/index.js';
import { testServerOptions } from '../../helpers/game-server-options.js';

const Ws = WS as unknown as WebSocketCtor;
const macrotask = (): Promise<void> => new Promise((r) => setTimeout(r, 1));
const left: Array<{ player: number; parked: boolean }> = [];
const game = defineGame({
  name: 'connected',
  world: { size: 100, npcs: 0, physics: 'off' },
  hooks: { onPlayerLeft: (_w, player, { parked }) => void left.push({ player, parked }) },
});

describe('isPlayerConnected', () => {
  let server: RunningServer;
  afterAll(async () => {
    await server?.stop();
  });
  /** Step the paused world until `done()` (joins, parks and resumes are applied by a step). */
  const stepUntil = async (done: () => boolean): Promise<void> => {
    for (let i = 0; i < 2000 && !done(); i++) {
      stepWorld(server.world, 1);
      await macrotask();
    }
    expect(done()).toBe(true);
  };

  it('is true for a live session, false for a parked or kicked player and for anything else', async () => {
    server = await startServer(game, { options: testServerOptions('wt-connected-') });
    pauseWorld(server.world);
    const w = server.world;
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: Ws });
    await c.connect();
    let joined = false;
    const p = c.join('1', 'ann', 'ann').then(() => void (joined = true));
    await stepUntil(() => joined);
    await p;
    const ann = c.welcome?.playerId ?? 0;
    expect(isPlayerConnected(w, ann)).toBe(true);

    // The socket drops: parked at the next step, still a live player entity.
    const token = c.welcome?.resumeToken ?? null;
    c.close();
    await stepUntil(() => left.length > 0);
    expect(left).toEqual([{ player: ann, parked: true }]);
    expect(isPlayerConnected(w, ann)).toBe(false);
    let code = '';
    try {
      kickPlayer(w, ann);
    } catch (err) {
      code = isWorldtickError(err) ? err.code : 'uncoded';
    }
    expect(code).toBe('WT_ERR_PLAYER_LEAVING'); // what the answer saves a game from

    // Resumed into the same entity: live again. Kicked: not live from the call on.
    const c2 = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: Ws });
    await c2.connect();
    let resumed = false;
    const p2 = c2.join('1', 'ann', 'ann', token).then(() => void (resumed = true));
    await stepUntil(() => resumed);
    await p2;
    expect(c2.welcome?.playerId).toBe(ann);
    expect(isPlayerConnected(w, ann)).toBe(true);
    kickPlayer(w, ann, { reason: 'bye' });
    expect(isPlayerConnected(w, ann)).toBe(false);
    await stepUntil(() => c2.closeCode !== 0);
    expect(c2.kicked).toBe(true);

    const npc = spawn(w, { kind: 1, x: 1, y: 1 });
    for (const eid of [npc, 0, -1, 1.5, w.capacity + 1, Number.NaN]) expect(isPlayerConnected(w, eid)).toBe(false);
  }, 20_000);
});
