/**
 * NPCs do not perceive a spectator as a player: an NPC offering an interaction (the `greet` chain
 * of its `socialize` activity) with only a spectator 5 units away keeps it `active` — ticked, for
 * the camera to watch — but never `detailed`, and starts no interaction with it (no `event` frame,
 * no target). A player joining at the same spot pulls it into `detailed` and is greeted at once
 * (the control: the setup does start interactions). Real server (startServer, life simulation),
 * real WebSocket clients.
 */
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { TICK_INFINITE } from '../../../components/world-time.js';
import { TierCode } from '../../../components/tier.js';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/index.js';
import type { EventMsg } from '../../../src/net/protocol.js';
import { defineGame, lifeSim, query, startServer, type GameWorld } from '../../../src/index.js';
import type { SimWorld } from '../../../src/world/sim-world.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const NPC_AT = { x: 200, y: 200 };
const npcOf = (world: GameWorld): number => {
  const npcs = query(world, [world.stores.Npc]);
  expect(npcs.length).toBe(1);
  return npcs[0] ?? -1;
};

const game = defineGame({
  name: 'greeter',
  modules: [lifeSim({ movingFraction: 0, scenes: false })],
  // The life simulation's time scale (a game's default is 1): the active tier is ticked on world time.
  world: { size: 400, npcs: 1, physics: 'off', config: { simulation: { timeScale: 60 } } },
  hooks: {
    // One NPC at (200, 200), socializing for good: its activity offers the `greet` chain (range 40).
    populate: (world) => {
      const e = npcOf(world);
      const s = (world as unknown as SimWorld).npcSim;
      const { Position, Velocity, Npc, Behavior } = world.stores;
      Position.x[e] = Npc.homeX[e] = NPC_AT.x;
      Position.y[e] = Npc.homeY[e] = NPC_AT.y;
      Velocity.x[e] = Velocity.y[e] = 0;
      Behavior.activity[e] = s.activities.names.indexOf('socialize');
      Behavior.nextDecisionAt[e] = TICK_INFINITE;
    },
    // Every session joins 5 units east of the NPC.
    onPlayerJoined: (world, player) => {
      world.stores.Position.x[player] = NPC_AT.x + 5;
      world.stores.Position.y[player] = NPC_AT.y;
    },
  },
});

describe('NPCs do not perceive spectators', () => {
  const data = tempDataDir('wt-spect-npc-');
  afterAll(() => data.remove());

  it('an NPC near only a spectator stays active and greets nobody; a player there is greeted', async () => {
    const server = await startServer(game, {
      options: { port: 0, adminPort: 0, logLevel: 'silent', dataDir: data.dir, statsIntervalSeconds: 0 },
    });
    try {
      const world = server.world as unknown as SimWorld;
      const npc = npcOf(server.world);
      const { Tier, Interaction } = world.stores;
      const connect = async (token: string) => {
        const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
        const events: EventMsg[] = [];
        c.on((m) => {
          if (m.type === 18) events.push(m as EventMsg);
        });
        await c.connect();
        return { c, events, id: (await c.join('1', token.slice(0, 8), token)).playerId };
      };
      const spec = await connect('spectator:cam');
      const joinedAt = world.clock.now;
      // The NPC is ticked (its interaction considered) twice after the spectator came, anchored by it.
      let ticks = 0,
        last = Tier.lastTickedAt[npc] ?? 0;
      for (let i = 0; i < 300 && ticks < 2; i++) {
        await spec.c.waitForStep(world.clock.step + 1);
        const t = Tier.lastTickedAt[npc] ?? 0;
        if (t > joinedAt && t !== last) ticks++;
        last = t;
        expect(Tier.tier[npc]).not.toBe(TierCode.detailed);
        expect(Interaction.target[npc]).toBe(-1);
      }
      expect(ticks).toBe(2);
      expect(Tier.tier[npc]).toBe(TierCode.active); // kept animated for the camera
      expect(Tier.nearest[npc]).toBe(spec.id);
      expect(Interaction.chain[npc]).toBe(-1);
      expect(spec.events).toEqual([]);

      // The control: a player at the same spot is greeted (the NPC goes detailed, the chain starts).
      const alice = await connect('alice');
      await alice.c.waitFor(() => alice.events.some((e) => e.npc === npc), 4000);
      expect(Interaction.target[npc]).toBe(alice.id);
      expect(Tier.tier[npc]).toBe(TierCode.detailed);
      expect(spec.events).toEqual([]);
      spec.c.close();
      alice.c.close();
    } finally {
      await server.stop();
    }
  }, 20_000);
});
