/**
 * Hostile probe: class escalation through the hello token. Without a `sessionClass` hook the class
 * comes from the token a client chooses (`spectator`, `spectator:…`, `observer`): any client can be
 * a camera — replicated to no other session, no physics body, not perceived by NPCs — and its
 * game messages were applied as a player's. Against the arena example (real server from
 * `startServer`, real sockets), a client joining with the token `spectator` shot another player
 * while that player never saw it: an invisible attacker. The shipped examples (arena `shoot`, ctf
 * `pickup`, market `buy`) do not test `isSpectator`, and no game has to know about classes to be
 * safe from this.
 *
 * Asserted: a camera's game message is refused `SPECTATOR_REFUSED` (no strike; counted in
 * `errorsByCode` and the game's `refused`) and changes nothing, unless the message is declared
 * with `spectators: true`; a schema error is still `BAD_FIELD`; a game that makes a spectator
 * session a body (`setSpectator(world, player, false)` in `onPlayerJoined`) gets its messages.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { arena } from '../../../examples/arena/game.js';
import { defineGame, defineMessage, setSpectator, startServer, Type, type RunningServer } from '../../../src/index.js';
import { openRaw, type RawWs } from '../../fuzz-helpers/raw-ws.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const PLAYER_KIND = 65535;
const HP_BIT = 16;

let server: RunningServer | null = null;
const sockets: RawWs[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.ws.terminate();
  await server?.stop();
  server = null;
});

const start = async (game: Parameters<typeof startServer>[0]): Promise<string> => {
  server = await startServer(game, {
    options: { dataDir: tempDataDir().dir, host: '127.0.0.1', port: 0, adminPort: 0, logLevel: 'silent', statsIntervalSeconds: 0 },
  });
  return `ws://127.0.0.1:${server.port}`;
};

const join = async (url: string, name: string, token: string): Promise<{ c: RawWs; player: number }> => {
  const c = await openRaw(url);
  sockets.push(c);
  c.send([1, 1, '1', name, token, null]);
  return { c, player: (await c.waitFor(16))[2] as number };
};

/** Every entity id `c` was sent in an enter entry. */
const seen = (c: RawWs): Set<number> => {
  const ids = new Set<number>();
  for (const m of c.msgs) if (m[0] === 17) for (const e of m[5] as number[][]) ids.add(e[0] ?? -1);
  return ids;
};

/** The newest hp of `player` in `c`'s snapshots (enter element 5, or an update with the hp bit). */
const hpOf = (c: RawWs, player: number): number | undefined => {
  let hp: number | undefined;
  for (const m of c.msgs) {
    if (m[0] !== 17) continue;
    for (const e of m[5] as number[][]) if (e[0] === player && e[3] === PLAYER_KIND) hp = e[5];
    for (const u of m[6] as number[][]) if (u[0] === player && ((u[1] ?? 0) & HP_BIT) !== 0) hp = u[u.length - 1];
  }
  return hp;
};

const snapshots = (c: RawWs): number => c.msgs.filter((m) => m[0] === 17).length;
const waitSnapshots = async (c: RawWs, n: number): Promise<void> => {
  const target = snapshots(c) + n;
  await c.waitFor(17, () => snapshots(c) >= target);
};

describe('hostile: a client-chosen spectator token does not make an invisible actor', () => {
  it('arena: a `spectator` session cannot shoot; its shots are refused SPECTATOR_REFUSED, counted, and change nothing', async () => {
    const url = await start(arena);
    const alice = await join(url, 'alice', '');
    const spy = await join(url, 'spy', 'spectator');
    await spy.c.waitFor(17, () => seen(spy.c).has(alice.player));
    await waitSnapshots(alice.c, 3);
    expect(hpOf(alice.c, alice.player)).toBe(100);
    const before = server?.runtime.gameServer.stats().strikes ?? 0;
    for (let i = 0; i < 3; i++) spy.c.send([5, 'shoot', { target: alice.player }]);
    await spy.c.waitFor(20, () => spy.c.errors().length >= 3);
    await waitSnapshots(alice.c, 5);
    expect(spy.c.errors()).toEqual(['SPECTATOR_REFUSED', 'SPECTATOR_REFUSED', 'SPECTATOR_REFUSED']);
    expect(hpOf(alice.c, alice.player)).toBe(100);
    expect(seen(alice.c).has(spy.player)).toBe(false); // the camera stays invisible, as documented
    const st = server?.runtime.gameServer.stats();
    expect(st?.errorsByCode.SPECTATOR_REFUSED).toBe(3);
    expect(st?.strikes).toBe(before); // no strike: the socket stays open
    expect(spy.c.code()).toBe(0);
    expect(server?.world.game?.counters.refused).toBe(3);
    // A player's shot still lands.
    const bob = await join(url, 'bob', '');
    const pos = server?.world.stores.Position;
    if (pos) {
      pos.x[bob.player] = pos.x[alice.player]; // within the arena's SHOOT_RANGE (players spawn anywhere)
      pos.y[bob.player] = pos.y[alice.player] + 1;
    }
    bob.c.send([5, 'shoot', { target: alice.player }]);
    await alice.c.waitFor(17, () => hpOf(alice.c, alice.player) === 90);
    expect(bob.c.errors()).toEqual([]);
    expect(server?.runtime.gameServer.stats().internalErrors).toBe(0);
  });

  it('a message declared `spectators: true` is taken from a camera; a schema error stays BAD_FIELD; a camera made a body acts', async () => {
    const applied: Array<[string, number]> = [];
    const hit = defineMessage({ name: 'hit', schema: Type.Object({ n: Type.Integer() }), apply: (_w, p) => void applied.push(['hit', p]) });
    const cheer = defineMessage({
      name: 'cheer',
      schema: Type.Object({ n: Type.Integer() }),
      spectators: true,
      apply: (_w, p) => void applied.push(['cheer', p]),
    });
    const game = defineGame({
      name: 'cams',
      world: { size: 100, npcs: 0, physics: 'off' },
      messages: [hit, cheer],
      hooks: {
        // A game may keep `bot-cam:` sessions spectators and turn `referee` ones back into bodies.
        onPlayerJoined: (world, player, { sessionClass }) => {
          if (sessionClass === 'observer') setSpectator(world, player, false);
        },
      },
    });
    const url = await start(game);
    const cam = await join(url, 'cam', 'spectator:x');
    const ref = await join(url, 'ref', 'observer:y');
    cam.c.send([5, 'hit', { n: 'nope' }]);
    cam.c.send([5, 'hit', { n: 1 }]);
    cam.c.send([5, 'cheer', { n: 2 }]);
    ref.c.send([5, 'hit', { n: 3 }]);
    await cam.c.waitFor(20, () => cam.c.errors().length >= 2);
    await waitSnapshots(cam.c, 3);
    expect(cam.c.errors()).toEqual(['BAD_FIELD', 'SPECTATOR_REFUSED']);
    expect(ref.c.errors()).toEqual([]);
    expect(applied.sort()).toEqual([
      ['cheer', cam.player],
      ['hit', ref.player],
    ]);
  });
});
