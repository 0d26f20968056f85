import { playerRow } from '../../../components/player-table.js';
import { query } from 'bitecs';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { runFleet } from '../../../src/bots/bot-fleet.js';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import { LoopRunner } from '../../../src/loop/loop-runner.js';
import { GameServer } from '../../../src/net/game-server.js';
import { CROWD_NET, createCrowdWorld, crowdBotMove, isCrowdWorld } from '../../../src/scenarios/crowd.js';
import { createRuntime } from '../../../src/server/runtime.js';
import { tempDataDir } from '../../helpers/data-dir.js';

describe('crowd scenario end to end', () => {
  it('npm start -- --scenario crowd serves the crowd world (its pipeline, N NPCs, interest radius 100)', async () => {
    const rt = createRuntime(
      parseOptions(
        [
          '--scenario',
          'crowd',
          '--crowd-npcs',
          '300',
          '--port',
          '0',
          '--admin-port',
          '0',
          '--stats-interval',
          '0',
          '--data-dir',
          tempDataDir().dir,
        ],
        {},
      ),
      createLogger('silent'),
    );
    await rt.start();
    try {
      const w = rt.defaultWorld;
      expect(isCrowdWorld(w)).toBe(true);
      expect(w.pipeline.map((s) => s.name)).toEqual(['ingest', 'time', 'crowd-movement', 'replicate', 'control']);
      expect(query(w, [w.stores.Npc]).length).toBe(300);
      const c = new WorldtickClient({ url: `ws://127.0.0.1:${rt.gameServer.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
      await c.connect();
      const welcome = await c.join('1', 'crowd');
      expect(welcome.interestRadius).toBe(100);
      expect(welcome.stepRate).toBe(20);
      await c.waitFor((m) => m.type === 17);
      c.close();
    } finally {
      await rt.stop();
    }
  });

  it('crowd bots move their players by at most ±20 units per axis, with one seeded input per second', async () => {
    const seed = 9;
    const clients = 4;
    const world = createCrowdWorld({ id: '1', npcs: 200, seed: 1, playerCapacity: 20 });
    const { Position, Velocity, Player } = world.stores;
    // Positions of every player at every step (world time advances 0.05 s per step).
    const track = new Map<number, Array<{ step: number; x: number; y: number; seq: number }>>();
    const runner = new LoopRunner({
      onStep: (w) => {
        for (const e of query(w, [Player])) {
          let t = track.get(e);
          if (!t) track.set(e, (t = []));
          t.push({ step: w.clock.step, x: Position.x[e], y: Position.y[e], seq: Player.lastInputSeq[playerRow(w.stores, e)] });
        }
      },
    });
    runner.add(world);
    const server = new GameServer({
      host: '127.0.0.1',
      port: 0,
      logger: createLogger('silent'),
      resolveWorld: (id) => (id === '1' ? world : undefined),
      net: { ...CROWD_NET, resumeGraceSeconds: 0 },
    });
    await server.start();
    runner.start();
    let finalVel: Array<[number, number, number]> = [];
    try {
      const r = await runFleet({
        url: `ws://127.0.0.1:${server.port}`,
        worldId: '1',
        scenario: 'crowd',
        clients,
        seed,
        durationSeconds: 2.6,
        warmupSeconds: 0.2,
        fullDecodeEvery: 2,
        ramped: async () => {},
        onProgress: (phase, done, total) => {
          if (phase === 'measure' && done >= total)
            finalVel = Array.from(query(world, [Player]), (e): [number, number, number] => [
              Player.lastInputSeq[playerRow(world.stores, e)],
              Velocity.x[e],
              Velocity.y[e],
            ]);
        },
      });
      expect(r.connected).toBe(clients);
      // One input per bot per second: ≤ ceil(2.8 s) + 1 each over warm-up + window.
      expect(r.inputsSent).toBeLessThanOrEqual(clients * 3);
      expect(r.inputsSent).toBeGreaterThanOrEqual(clients * 2);
    } finally {
      runner.stop();
      await server.stop();
    }
    expect(track.size).toBe(clients);
    for (const [e, t] of track) {
      for (let i = 0; i + 20 < t.length; i++) {
        const a = t[i],
          b = t[i + 20];
        if (b.step - a.step !== 20) continue;
        // Over any second of world time a player moves by at most 20 units per axis.
        expect(Math.abs(b.x - a.x), `player ${e} x over steps ${a.step}..${b.step}`).toBeLessThanOrEqual(20 + 1e-3);
        expect(Math.abs(b.y - a.y), `player ${e} y`).toBeLessThanOrEqual(20 + 1e-3);
        // ...and sends at most one input per second (two acks in one 20-step window only across a boundary).
        expect(b.seq - a.seq, `player ${e} inputs in one second`).toBeLessThanOrEqual(2);
      }
      expect(t.at(-1)!.seq, `player ${e} inputs`).toBeGreaterThanOrEqual(2);
    }
    // Each player's velocity is its bot's latest seeded move × 20 (clamped to length 1; a
    // reflection at the edge may have flipped a sign).
    expect(finalVel.length).toBe(clients);
    const m = { x: 0, y: 0 };
    for (const [seq, vx, vy] of finalVel) {
      const ok = Array.from({ length: clients }, (_, bot) => {
        crowdBotMove(seed, bot, seq - 1, m);
        const len = Math.max(1, Math.hypot(m.x, m.y));
        return Math.abs(Math.abs(vx) - Math.abs((m.x / len) * 20)) < 1e-3 && Math.abs(Math.abs(vy) - Math.abs((m.y / len) * 20)) < 1e-3;
      }).some(Boolean);
      expect(ok, `velocity ${vx},${vy} after input ${seq}`).toBe(true);
      expect(Math.abs(vx)).toBeLessThanOrEqual(20);
      expect(Math.abs(vy)).toBeLessThanOrEqual(20);
    }
  });
});
