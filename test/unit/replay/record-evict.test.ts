/**
 * A live join into a full world that evicts the oldest parked player (src/net/player-facts.ts
 * `evictParked`, session-parking.ts `evictParkedForJoin`) in an input log: the recorded join names
 * the player it evicted, so the replay removes the same player (its hooks run, its binding goes)
 * and spawns the joining one, and every hash matches. Without that (the join recorded as a plain
 * join) the replayed join finds the world full and spawns nobody: the replay diverged.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { addComponent, defineComponent, defineGame, getStore, hasComponent, playerIdOf, type GameWorld } from '../../../src/index.js';
import { readLog } from '../../../src/replay/log-format.js';
import { Recorder } from '../../../src/replay/recorder.js';
import { replayLog } from '../../../src/replay/replayer.js';
import type { SimWorld } from '../../../src/world/sim-world.js';
import { ledgeredSessions } from '../../helpers/ledgered-sessions.js';
import { recipeOfTestWorld } from '../../helpers/world-recipe.js';

const dir = mkdtempSync(join(tmpdir(), 'wt-rec-evict-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const Seen = defineComponent('Seen', { idh: 'u32', left: 'u32' });
const strHash = (s: string | null): number => {
  if (s === null) return 0;
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
};
/** Players that fold in the id of every player removed (still bound while its hook runs): set by the test, replay included. */
const witnesses: number[] = [];
const game = defineGame({
  name: 'evict',
  components: [Seen],
  hooks: {
    onPlayerJoined: (w: GameWorld, player: number) => {
      if (!hasComponent(w, player, Seen)) addComponent(w, player, Seen);
      getStore(w, Seen).idh[player] = strHash(playerIdOf(w, player));
    },
    onPlayerLeft: (w: GameWorld, player: number, info: { parked: boolean }) => {
      if (info.parked) return;
      const s = getStore(w, Seen);
      for (const e of witnesses)
        if (e !== player && hasComponent(w, e, Seen)) s.left[e] = (s.left[e] * 31 + strHash(playerIdOf(w, player)) + 1) >>> 0;
    },
  },
});

const recipeOf = (w: SimWorld) => recipeOfTestWorld(w, { npcs: 0, scenes: false, inputMaxSpeed: 10, game: game.name });

describe('a join that evicts a parked player, in the input log', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('replays the eviction: the same player removed, the joining player spawned and bound, every hash equal', async () => {
    const { world: w, joinAs: join2, leave, steps } = await ledgeredSessions(game, { id: 'ev', seed: 9, capacity: 2 }, cleanup);
    const parked: number[] = [];
    // As session-parking.ts evictParkedForJoin: the oldest parked player, if it still is.
    const joinAs = (pid: string): Promise<number> =>
      join2(pid, (isParked) => {
        const i = parked.findIndex((e) => isParked(e));
        if (i < 0) return null;
        const [player] = parked.splice(i, 1);
        return player === undefined ? null : { player, removed: [] };
      });

    const path = join(dir, 'evict.wtlog');
    const rec = new Recorder(w, { path, recipe: recipeOf, hashEvery: 1 });
    await rec.start();
    const alice = joinAs('alice');
    const bob = joinAs('bob');
    await steps(1);
    const [ae, be] = [await alice, await bob];
    witnesses.push(be);
    // Alice's session drops: parked (her entity stays, reattachable).
    leave('park', ae);
    parked.push(ae);
    await steps(2);
    // The world is full (capacity 2): carol's live join evicts parked alice.
    const carol = joinAs('carol');
    await steps(1);
    const ce = await carol;
    expect(ce).toBeGreaterThanOrEqual(0);
    expect(playerIdOf(w, ce)).toBe('carol');
    expect(playerIdOf(w, ae === ce ? -1 : ae)).toBeNull();
    expect(getStore(w, Seen).left[be]).toBe((strHash('alice') + 1) >>> 0);
    await steps(2);
    await rec.stop();

    const log = readLog(path);
    const res = await replayLog(log, undefined, { game });
    expect(res.failure).toBeNull();
    expect(res.checks.length).toBeGreaterThanOrEqual(5);
    expect(res.checks.every((c) => c.ok)).toBe(true);
  }, 30_000);
});
