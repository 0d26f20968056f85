/**
 * A game learns the class of a joining session: `onPlayerJoined`'s info carries `sessionClass`
 * (the game's `sessionClass` hook, `authenticate`'s `cls`, or the hello token's prefix), so a
 * battle-royale game can keep spectators out of play (no health, no score) although they are
 * player entities too. Real server (startServer), real clients; the class the hook saw is
 * replicated as a field and read off the wire.
 */
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { PLAYER_KIND, WorldtickClient, type WebSocketCtor } from '../../../src/client/index.js';
import {
  addComponent,
  defineComponent,
  defineGame,
  startServer,
  type HelloMsg,
  type RunningServer,
  type SessionClassName,
} from '../../../src/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const CODES = { player: 1, spectator: 2, bot: 3, observer: 4 } as const;
const Role = defineComponent('Role', { cls: 'u8' });
const game = defineGame({
  name: 'roles',
  world: { size: 200, npcs: 0, physics: 'off' },
  components: [Role],
  replicate: { player: { role: { component: Role, field: 'cls' } } },
  hooks: {
    onPlayerJoined: (world, player, info) => {
      // What the hook was told; 0 (the field's default) when it was told nothing.
      addComponent(world, player, Role, { cls: CODES[info.sessionClass] ?? 0 });
    },
  },
});

/** A hook written as its own typed function (`HelloMsg` is exported for it). */
const classOf = (hello: HelloMsg): SessionClassName =>
  hello.token.startsWith('watch:') ? 'spectator' : hello.token === 'obs' ? 'observer' : 'player';

describe('onPlayerJoined tells the session class', () => {
  let server: RunningServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it('from the game sessionClass hook and from the token prefix', async () => {
    server = await startServer(game, {
      options: { dataDir: tempDataDir().dir, host: '127.0.0.1', port: 0, adminPort: 0, logLevel: 'silent', statsIntervalSeconds: 0 },
      sessionClass: classOf,
    });
    const join = async (token: string): Promise<{ c: WorldtickClient; id: number }> => {
      const c = new WorldtickClient({ url: `ws://127.0.0.1:${server?.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
      await c.connect();
      const w = await c.join('1', token.replace(/[^a-z]/g, '') || 'x', token);
      expect(w.fields?.get(PLAYER_KIND)?.names).toEqual(['role']);
      return { c, id: w.playerId };
    };
    const role = async (x: { c: WorldtickClient; id: number }): Promise<number> => {
      await x.c.waitFor(() => (x.c.view.entities.get(x.id)?.fields?.role ?? 0) > 0, 5000);
      return x.c.view.entities.get(x.id)?.fields?.role ?? 0;
    };
    const alice = await join('alice');
    const watcher = await join('watch:1');
    const observer = await join('obs');
    expect(await role(alice)).toBe(CODES.player);
    expect(await role(watcher)).toBe(CODES.spectator);
    expect(await role(observer)).toBe(CODES.observer);
    // The class is the server's: the spectator's class is what the server counts too.
    expect(server.runtime.gameServer.stats().byClass.spectator?.sessions).toBe(1);
    for (const x of [alice, watcher, observer]) x.c.close();
  });
});
