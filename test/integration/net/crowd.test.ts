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

  it("crowd bots send each bot's seeded moves one at a time, at most one a second, each moving its player by at most ±20 units per axis per world second", async () => {
    // What is promised, and by whom (docs/BOTS.md, docs/SCENARIOS.md):
    // - the bots: bot b's k-th input is crowdBotMove(seed, b, k), sent on its own 100 ms ticks, one
    //   every 10 of them. Late ticks are skipped, never made up (Node re-arms an interval from its
    //   late run), so a loaded process sends FEWER inputs per wall second, never more, and never two
    //   at once. Wall time therefore bounds the count only from above.
    // - the server: an input sets velocity = move × 20 (length clamped to 1) and each step integrates
    //   it over 0.05 simulation seconds: ≤ 1 unit per axis per step, ≤ 20 per 20 steps (one world
    //   second), however the loop runs its steps (back to back after a stall, some dropped).
    // Nothing promises how many steps lie between two inputs sent 1 s of wall time apart, nor a
    // minimum of inputs in a wall window: a stalled process (a loaded machine) sends fewer (seen: 7
    // of the 8 the old "≥ 2 per client in 2.6 s" asked, under a 1.2 s stall).
    const seed = 9;
    const clients = 4;
    const world = createCrowdWorld({ id: '1', npcs: 200, seed: 1, playerCapacity: 20 });
    const { Position, Velocity, Player } = world.stores;
    const stepSeconds = world.config.simulation.tickIntervalSeconds;
    // Every player's position, velocity and acknowledged input after every step.
    const track = new Map<number, Array<{ step: number; x: number; y: number; vx: number; vy: number; seq: number }>>();
    const runner = new LoopRunner({
      onStep: (w) => {
        for (const e of query(w, [Player])) {
          let t = track.get(e);
          if (!t) track.set(e, (t = []));
          t.push({
            step: w.clock.step,
            x: Position.x[e],
            y: Position.y[e],
            vx: Velocity.x[e],
            vy: Velocity.y[e],
            seq: Player.lastInputSeq[playerRow(w.stores, e)],
          });
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
      });
      expect(r.connected).toBe(clients);
      // Every input was valid (a move outside -1..1 is refused with an error).
      expect(r.errorsReceived).toBe(0);
      // At most one input per bot per second of its schedule: a 2.6 s window holds at most 3 of a
      // bot's 1 s slots (load only removes inputs from it).
      expect(r.inputsSent).toBeLessThanOrEqual(clients * 3);
    } finally {
      runner.stop();
      await server.stop();
    }
    expect(track.size).toBe(clients);
    const m = { x: 0, y: 0 };
    /** |velocity| matches bot `bot`'s k-th move × 20 (a reflection at the edge may flip a sign). */
    const isMove = (bot: number, k: number, vx: number, vy: number): boolean => {
      crowdBotMove(seed, bot, k, m);
      const len = Math.max(1, Math.hypot(m.x, m.y));
      const s = CROWD_NET.maxSpeed / len;
      return Math.abs(Math.abs(vx) - Math.abs(m.x * s)) < 1e-3 && Math.abs(Math.abs(vy) - Math.abs(m.y * s)) < 1e-3;
    };
    const bots = new Set<number>();
    for (const [e, t] of track) {
      const first = t.find((p) => p.seq > 0);
      expect(first, `player ${e} applied no input`).toBeDefined();
      if (!first) continue;
      expect(first.seq, `player ${e}'s first input`).toBe(1);
      // The player is the bot whose first move it got (each bot a player of its own).
      const bot = Array.from({ length: clients }, (_, b) => b).filter((b) => isMove(b, 0, first.vx, first.vy));
      expect(bot, `player ${e}: bots whose first move it got`).toHaveLength(1);
      bots.add(bot[0] ?? -1);
      for (let i = 1; i < t.length; i++) {
        const a = t[i - 1],
          b = t[i];
        if (b.step - a.step !== 1) continue;
        // The server: one step moves a player by at most 20 × 0.05 s per axis (also in catch-up steps).
        expect(Math.abs(b.x - a.x), `player ${e} x at step ${b.step}`).toBeLessThanOrEqual(CROWD_NET.maxSpeed * stepSeconds + 1e-3);
        expect(Math.abs(b.y - a.y), `player ${e} y at step ${b.step}`).toBeLessThanOrEqual(CROWD_NET.maxSpeed * stepSeconds + 1e-3);
        if (b.seq === a.seq) continue;
        // The bots send one input at a time: never two of one bot applied in one step...
        expect(b.seq - a.seq, `player ${e} inputs applied at step ${b.step}`).toBe(1);
        // ...and each is the bot's next seeded move.
        expect(isMove(bot[0] ?? -1, b.seq - 1, b.vx, b.vy), `player ${e} velocity ${b.vx},${b.vy} after input ${b.seq}`).toBe(true);
      }
      // Over any second of world time (20 steps) a player moves by at most 20 units per axis.
      for (let i = 0; i + 20 < t.length; i++) {
        const a = t[i],
          b = t[i + 20];
        if (b.step - a.step !== 20) continue;
        expect(Math.abs(b.x - a.x), `player ${e} x over steps ${a.step}..${b.step}`).toBeLessThanOrEqual(20 + 1e-3);
        expect(Math.abs(b.y - a.y), `player ${e} y over steps ${a.step}..${b.step}`).toBeLessThanOrEqual(20 + 1e-3);
      }
    }
    expect(bots.size).toBe(clients);
  });
});
