/**
 * Player stats: lifetime numbers that follow a player across sessions, restarts and instances,
 * kept in player data (docs/GAME-API.md "Player data") and shown to clients as replicated fields.
 * Built on the public API only.
 * - `Stats` on players: `visits` (this session included) and `distance` (world units, lifetime);
 * - `onPlayerJoined`: one read-modify-write of the player's `stats` value (visits + 1); the stored
 *   numbers come back into the step as a `stats-loaded` fact (`deliverToWorld`: the promise settles
 *   between steps, and a fact is in the input log a replay reads) and go into the component if the
 *   player is still there;
 * - `walk` (after `movement`): adds the distance moved this step to the component — no store call
 *   per step;
 * - `onPlayerLeft`: the distance walked since the join is added to the stored value.
 */
import {
  addComponent,
  defineComponent,
  defineFact,
  defineGame,
  deliverToWorld,
  getStore,
  hasComponent,
  playerEntityOf,
  playerIdOf,
  query,
  updatePlayerData,
} from '../../src/index.js';

/** What the game stores per player under the key `stats`. */
export interface StoredStats {
  visits: number;
  distance: number;
}

export const Stats = defineComponent('Stats', {
  visits: 'u32',
  /** Lifetime distance as stored at the join (world units). */
  base: 'f64',
  /** Walked since the join (world units). */
  walked: 'f64',
  /** base + walked, whole units (replicated). */
  distance: 'u32',
});

const stored = (v: unknown): StoredStats => {
  const s = (v ?? {}) as Partial<StoredStats>;
  return { visits: s.visits ?? 0, distance: s.distance ?? 0 };
};

/** The stored numbers of a player, brought into the step after the join's save. */
const statsLoaded = defineFact<{ pid: string } & StoredStats>({
  name: 'stats-loaded',
  apply: (world, { pid, visits, distance }) => {
    const player = playerEntityOf(world, pid);
    if (player === null || !hasComponent(world, player, Stats)) return; // the player left meanwhile
    const s = getStore(world, Stats);
    s.visits[player] = visits;
    s.base[player] = distance;
  },
});

export const playerStats = defineGame({
  name: 'player-stats',
  world: { size: 200, npcs: 0 },
  components: [Stats],
  facts: [statsLoaded],
  replicate: { player: { visits: { component: Stats, field: 'visits' }, distance: { component: Stats, field: 'distance' } } },
  systems: [
    {
      name: 'walk',
      after: 'movement',
      run: (world, ctx) => {
        const s = getStore(world, Stats);
        const v = world.stores.Velocity;
        const list = query(world, [Stats]);
        for (let i = 0; i < list.length; i++) {
          const e = list[i];
          s.walked[e] += Math.hypot(v.x[e], v.y[e]) * ctx.stepSeconds;
          s.distance[e] = Math.floor(s.base[e] + s.walked[e]);
        }
      },
    },
  ],
  hooks: {
    onPlayerJoined: (world, player, { resumed }) => {
      if (resumed) return; // the same entity, its Stats kept: the visit was counted at the join
      addComponent(world, player, Stats);
      const id = playerIdOf(world, player);
      if (id === null) return; // no store (a world outside a server): stats stay at 0
      void updatePlayerData(world, id, 'stats', (cur) => ({ ...stored(cur), visits: stored(cur).visits + 1 })).then((r) => {
        if (r.status === 'ok') deliverToWorld(world, statsLoaded, { pid: id, ...stored(r.value) });
      });
    },
    onPlayerLeft: (world, player) => {
      const id = playerIdOf(world, player);
      const s = getStore(world, Stats);
      const walked = s.walked[player];
      s.walked[player] = 0;
      s.base[player] += walked;
      if (id === null || walked <= 0) return;
      void updatePlayerData(world, id, 'stats', (cur) => ({ ...stored(cur), distance: stored(cur).distance + walked }));
    },
  },
});
