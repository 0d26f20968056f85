/**
 * A spectator's entity is a camera: replicated to no other session. A player and a spectator (and
 * an observer) stand next to each other: the player's snapshots never carry the spectator's or the
 * observer's entity, while the spectator's own view holds itself and the player. A player the game
 * turns into a spectator (`setSpectator`) leaves the other clients' views; turned back, it enters
 * again. Real server (startServer), real WebSocket clients.
 */
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/index.js';
import type { SnapshotMsg } from '../../../src/net/protocol.js';
import { defineGame, defineMessage, isSpectator, setSpectator, startServer, Type, type RunningServer } from '../../../src/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const watch = defineMessage({
  name: 'watch',
  schema: Type.Object({ on: Type.Boolean() }),
  // Sent by a camera too (to become a body again): a camera's messages are refused unless opened to it.
  spectators: true,
  apply: (world, sender, { on }) => setSpectator(world, sender, on),
});
const game = defineGame({
  name: 'watchers',
  world: { size: 200, npcs: 0, physics: 'off' },
  messages: [watch],
  hooks: {
    // Every session stands within a few units of (100, 100): well inside each other's interest radius.
    onPlayerJoined: (world, player) => {
      const n = world.stores.Position;
      n.x[player] = 100 + (player % 5);
      n.y[player] = 100;
    },
  },
});

interface Joined {
  c: WorldtickClient;
  id: number;
  /** Every entity id that entered this client's view, in order. */
  entered: number[];
  left: number[];
}

describe('spectators are not replicated to other sessions', () => {
  let server: RunningServer | undefined;
  const data = tempDataDir('wt-spect-view-');
  afterAll(async () => {
    await server?.stop();
    data.remove();
  });

  it("the player never sees the spectator's or observer's entity; the spectator sees itself and the player", async () => {
    server = await startServer(game, {
      options: { dataDir: data.dir, host: '127.0.0.1', port: 0, adminPort: 0, logLevel: 'silent', statsIntervalSeconds: 0 },
    });
    const join = async (token: string): Promise<Joined> => {
      const c = new WorldtickClient({ url: `ws://127.0.0.1:${server?.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
      await c.connect();
      const j: Joined = { c, id: -1, entered: [], left: [] };
      c.on((m) => {
        if (m.type !== 17) return;
        const s = m as SnapshotMsg;
        for (const e of s.enter) j.entered.push(e[0]);
        j.left.push(...s.leave);
      });
      const w = await c.join('1', token.replace(/[^a-z]/g, '') || 'x', token);
      j.id = w.playerId;
      return j;
    };
    const alice = await join('alice');
    const spec = await join('spectator:1');
    const obs = await join('observer');
    const world = server.world;
    expect(isSpectator(world, spec.id)).toBe(true);
    expect(isSpectator(world, obs.id)).toBe(true);
    expect(isSpectator(world, alice.id)).toBe(false);
    // The spectator's own view: itself (the own entity is in every snapshot) and the player.
    await spec.c.waitFor(() => spec.c.view.entities.has(spec.id) && spec.c.view.entities.has(alice.id));
    await obs.c.waitFor(() => obs.c.view.entities.has(obs.id) && obs.c.view.entities.has(alice.id));
    // Neither camera sees the other camera.
    expect(spec.c.view.entities.has(obs.id)).toBe(false);
    expect(obs.c.view.entities.has(spec.id)).toBe(false);
    // Ten more steps of the player's snapshots: never the spectator, never the observer.
    const step = world.clock.step;
    await alice.c.waitForStep(step + 10);
    expect(alice.c.view.entities.has(alice.id)).toBe(true);
    expect(alice.entered).not.toContain(spec.id);
    expect(alice.entered).not.toContain(obs.id);
    expect(spec.entered).not.toContain(obs.id);

    // A player the game turns into a spectator leaves the others' views, and its own view keeps it.
    const bob = await join('bob');
    await alice.c.waitFor(() => alice.c.view.entities.has(bob.id));
    await spec.c.waitFor(() => spec.c.view.entities.has(bob.id));
    bob.c.sendMessage('watch', { on: true });
    await alice.c.waitFor(() => !alice.c.view.entities.has(bob.id));
    await spec.c.waitFor(() => !spec.c.view.entities.has(bob.id));
    expect(isSpectator(world, bob.id)).toBe(true);
    const at = world.clock.step;
    await bob.c.waitForStep(at + 3);
    expect(bob.c.view.entities.has(bob.id)).toBe(true);
    expect(bob.c.view.entities.has(alice.id)).toBe(true);
    // And back: a body again, seen again.
    bob.c.sendMessage('watch', { on: false });
    await alice.c.waitFor(() => alice.c.view.entities.has(bob.id));
    expect(alice.c.view.inconsistencies).toBe(0);
    expect(bob.c.view.inconsistencies).toBe(0);
    for (const x of [alice, spec, obs, bob]) x.c.close();
  }, 15_000);
});
