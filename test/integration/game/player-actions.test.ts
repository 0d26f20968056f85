/**
 * `input.actions` reaches the game: `playerActions(world, player)` is the bit set of the player's
 * newest applied input (held buttons: a battle-royale "fire" held down). Before, the server
 * validated the field and dropped it (docs/PROTOCOL.md said "passed to gameplay"). Real server
 * (startServer), real clients; the value a system read is replicated back as a field.
 */
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/index.js';
import {
  addComponent,
  defineComponent,
  defineGame,
  getStore,
  playerActions,
  query,
  spawn,
  startServer,
  type RunningServer,
} from '../../../src/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const FIRE = 1,
  SPRINT = 2;
const Held = defineComponent('Held', { bits: 'u32' });
let npc = 0;
const game = defineGame({
  name: 'held',
  world: { size: 100, npcs: 0, physics: 'off' },
  components: [Held],
  replicate: { player: { held: { component: Held, field: 'bits' } } },
  systems: [
    {
      name: 'read-actions',
      after: 'ingest',
      run: (world) => {
        const bits = getStore(world, Held).bits;
        for (const p of query(world, [Held])) bits[p] = playerActions(world, p);
      },
    },
  ],
  hooks: {
    populate: (world) => {
      npc = spawn(world, { kind: 1, x: 10, y: 10 });
    },
    onPlayerJoined: (world, player) => {
      addComponent(world, player, Held);
    },
  },
});

describe('playerActions', () => {
  let server: RunningServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it("reads the newest input's actions; 0 for a new session, an NPC and a dead id", async () => {
    server = await startServer(game, {
      options: { dataDir: tempDataDir().dir, host: '127.0.0.1', port: 0, adminPort: 0, logLevel: 'silent', statsIntervalSeconds: 0 },
    });
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
    await c.connect();
    const w = await c.join('1', 'gunner', 'gunner');
    const held = (): number | undefined => c.view.entities.get(w.playerId)?.fields?.held;
    await c.waitFor(() => held() === 0, 5000);
    const seq = c.sendInput(0, 0, FIRE | SPRINT);
    await c.waitFor(() => (c.lastSnapshot?.ack ?? 0) >= seq && held() === (FIRE | SPRINT), 5000);
    c.sendInput(1, 0, SPRINT); // fire released
    await c.waitFor(() => held() === SPRINT, 5000);
    const world = server.world;
    expect(playerActions(world, w.playerId)).toBe(SPRINT);
    expect(playerActions(world, npc)).toBe(0);
    expect(playerActions(world, 65_000)).toBe(0);
    c.close();
  });
});
