/**
 * The bitecs side of a world checkpoint: the entity index (alive ids AND the recycle order of
 * dead ids), each component's members, and each query's member order.
 *
 * Why all three: bitecs 0.4 recycles ids immediately, from the dead tail of the entity index's
 * `dense` array, so the next spawned id depends on that order; and a query's member order is
 * its history of adds and swap-removes, which systems iterate (grid build order, movement). A
 * restored world that only had "the same live ids" would diverge at the next spawn or the next
 * tiering pass. bitecs has no public API for these, so this module reads and writes the world's
 * internals through the exported `$internal` symbol — kept here, in one place. (`getAllEntities`
 * order, the insertion order of the per-entity component map, is history too: it is kept.)
 *
 * Components are the world's own stores (`world.stores[name]`, STORE_NAMES) and, since checkpoint
 * schema 2, a game's component stores (`world.game.stores`, src/game): their members and the
 * queries over them are kept in header fields of their own (`gameComponents`, `gameQueries`), so a
 * build that does not know them still reads the rest. Queries over other components, or with
 * Not/Or terms, are not restored in order (they are rebuilt on first use, in entity order).
 */
import { $internal, addComponent, commitRemovals, query, type WorldContext } from 'bitecs';
import { STORE_NAMES, type Stores } from '../../components/index.js';
import type { SectionWriter } from './snapshot-format.js';
import { checkpointCorrupt } from './snapshot-format.js';
import type { FieldArray, Store } from '../../components/alloc.js';

type StoreName = (typeof STORE_NAMES)[number];

/** What the header records of the entity state (the arrays are sections). */
export interface EntityHeader {
  aliveCount: number;
  maxId: number;
  /** Component (store) names with a member section `members.<name>`. */
  components: StoreName[];
  /** Queries with an order section `query.<i>`: their component names. */
  queries: StoreName[][];
  /**
   * Game components (by name in `world.game.stores`) with a member section `gmembers.<name>`.
   * Absent in schema-1 checkpoints (written before game stores were checkpointed).
   */
  gameComponents?: string[];
  /**
   * Queries with at least one game component, each with an order section `gquery.<i>`: their
   * components as `b:<store>` (built-in) or `g:<name>` (game). Absent in schema-1 checkpoints.
   */
  gameQueries?: string[][];
}

/** What entity capture and restore read of a world: its stores and, for a game world, the game's stores. */
export interface EntityWorld {
  stores: Stores;
  game?: { readonly stores: ReadonlyMap<string, Store> } | null;
}

/** An i32 section holding a copy of `a` (an indexed loop: `set` from a plain array iterates generically, ~3× slower). */
const copySection = (name: string, a: ArrayLike<number>): SectionWriter => ({
  name,
  type: 'i32',
  length: a.length,
  write: (out) => {
    for (let i = 0; i < a.length; i++) out[i] = a[i];
  },
});

const contextOf = (world: object): WorldContext => {
  const ctx: WorldContext | undefined = Reflect.get(world, $internal);
  if (!ctx) throw new TypeError('not a bitecs world');
  return ctx;
};

/**
 * Member sections of the registered components among `comps` (null for one the world never
 * registered), named by `nameOf`: their sizes counted by one pass over the entity index per mask
 * generation (every component of it at once), each written by its own pass, in entity-index
 * order, into the packed bytes.
 */
const memberSections = (ctx: WorldContext, comps: readonly unknown[], nameOf: (k: number) => string): (SectionWriter | null)[] => {
  const idx = ctx.entityIndex;
  const masks: number[][] = [];
  const flags: number[] = [];
  const gens: number[] = [];
  const at: number[] = [];
  const out: (SectionWriter | null)[] = comps.map(() => null);
  for (let k = 0; k < comps.length; k++) {
    const data = ctx.componentMap.get(comps[k]);
    if (!data) continue;
    at.push(k);
    gens.push(data.generationId);
    masks.push(ctx.entityMasks[data.generationId]);
    flags.push(data.bitflag);
  }
  const counts = new Array<number>(at.length).fill(0);
  for (const gen of new Set(gens)) {
    // Entities in a row mostly share one mask (an NPC's components): count runs, add a run to the
    // components in its mask — ~25 ns an entity for ten components tested one by one at 1,000,000.
    const m = ctx.entityMasks[gen];
    const flush = (mask: number, run: number): void => {
      for (let j = 0; j < at.length; j++) if (gens[j] === gen && (mask & flags[j]) !== 0) counts[j] += run;
    };
    let prev = 0,
      run = 0;
    for (let i = 0; i < idx.aliveCount; i++) {
      const mask = m[idx.dense[i]] ?? 0;
      if (mask === prev) run++;
      else {
        flush(prev, run);
        prev = mask;
        run = 1;
      }
    }
    flush(prev, run);
  }
  for (let j = 0; j < at.length; j++) {
    const m = masks[j],
      flag = flags[j],
      length = counts[j],
      name = nameOf(at[j]);
    const write = (w: FieldArray): void => {
      let n = 0;
      for (let i = 0; i < idx.aliveCount && n < length; i++) {
        const e = idx.dense[i];
        if ((m[e] & flag) !== 0) w[n++] = e;
      }
      if (n !== length) throw new Error(`${name}: ${n} members written, ${length} counted (the world changed between capture and pack)`);
    };
    out[at[j]] = { name, type: 'i32', length, write };
  }
  return out;
};

/** Put the live query over `comps` in the captured member `order` (`what` names it in errors). */
const orderQuery = (world: object, ctx: WorldContext, comps: unknown[], order: FieldArray, what: string): void => {
  const live = query(world, comps);
  let q = null;
  for (const cand of ctx.queries) if (cand.dense === live) q = cand;
  if (!q || live.length !== order.length) throw checkpointCorrupt(`${what} has ${live.length} members, checkpoint ${order.length}`);
  const rank = new Map<number, number>();
  for (let i = 0; i < order.length; i++) rank.set(order[i], i);
  q.sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0));
};

/** Highest entity id ever allocated (stores hold rows up to it). */
export const maxEntityId = (world: object): number => contextOf(world).entityIndex.maxId;

/**
 * Capture the entity state of `world`. Pending query removals are committed first (what the next
 * `query()` call would do anyway). The sections are writers ({@link SectionWriter}): they read the
 * world when packed, so pack them before the world changes (captureWorld does, in the same call).
 */
export const captureEntities = (world: EntityWorld): { header: EntityHeader; sections: SectionWriter[] } => {
  commitRemovals(world);
  const ctx = contextOf(world);
  const idx = ctx.entityIndex;
  const entityMap = ctx.entityComponents;
  const sections: SectionWriter[] = [
    copySection('entities.dense', idx.dense),
    {
      // `getAllEntities` is the insertion order of `entityComponents` (a recycled id goes last), not `dense`.
      name: 'entities.all',
      type: 'i32',
      length: entityMap.size,
      write: (out) => {
        let k = 0;
        for (const e of entityMap.keys()) out[k++] = e;
      },
    },
  ];
  const nameOf = new Map<unknown, StoreName>();
  for (const name of STORE_NAMES) nameOf.set(world.stores[name], name);
  const gameStores = [...(world.game?.stores ?? [])];
  // Every component's members counted in one pass: the built-in ones, then the game's.
  const members = memberSections(ctx, [...STORE_NAMES.map((n) => world.stores[n]), ...gameStores.map(([, c]) => c)], (k) =>
    k < STORE_NAMES.length ? `members.${STORE_NAMES[k]}` : `gmembers.${gameStores[k - STORE_NAMES.length][0]}`,
  );
  const components: StoreName[] = [];
  const gameComponents: string[] = [];
  for (let k = 0; k < members.length; k++) {
    const m = members[k];
    if (!m) continue;
    if (k < STORE_NAMES.length) components.push(STORE_NAMES[k]);
    else gameComponents.push(gameStores[k - STORE_NAMES.length][0]);
    sections.push(m);
  }
  // A game's components: refs `b:<store>` / `g:<name>` tell them apart (a game may reuse a built-in name).
  const refOf = new Map<unknown, string>();
  for (const [comp, name] of nameOf) refOf.set(comp, `b:${name}`);
  for (const [name, comp] of gameStores) refOf.set(comp, `g:${name}`);
  const queries: StoreName[][] = [];
  const gameQueries: string[][] = [];
  for (const q of ctx.queries) {
    if (q.notComponents.length || q.orComponents.length) continue;
    const names = q.allComponents.map((c) => nameOf.get(c));
    if (names.every((n) => n !== undefined)) {
      sections.push(copySection(`query.${queries.length}`, q.dense));
      queries.push(names as StoreName[]);
      continue;
    }
    const refs = q.allComponents.map((c) => refOf.get(c));
    if (refs.some((r) => r === undefined)) continue;
    sections.push(copySection(`gquery.${gameQueries.length}`, q.dense));
    gameQueries.push(refs as string[]);
  }
  const header: EntityHeader = { aliveCount: idx.aliveCount, maxId: idx.maxId, components, queries };
  if (gameComponents.length || gameQueries.length) {
    header.gameComponents = gameComponents;
    header.gameQueries = gameQueries;
  }
  return { header, sections };
};

/**
 * Load captured entity state into a FRESH world (no entity spawned yet): same entity index
 * (alive ids, recycle order, next id), same component members, same query orders.
 */
export const restoreEntities = (world: EntityWorld, header: EntityHeader, sections: Map<string, FieldArray>): void => {
  const ctx = contextOf(world);
  const idx = ctx.entityIndex;
  if (idx.aliveCount !== 0 || idx.maxId !== 0) throw new TypeError('restoreEntities needs a fresh world');
  const dense = sections.get('entities.dense');
  if (!dense || header.aliveCount > dense.length || header.maxId < dense.length) throw checkpointCorrupt('bad entity index');
  // Ids index every store: each must be one the world can hold (1..maxId, maxId within the capacity).
  for (let i = 0; i < dense.length; i++) if (!(dense[i] >= 1 && dense[i] <= header.maxId)) throw checkpointCorrupt('bad entity id');
  idx.dense = Array.from(dense);
  idx.sparse = [];
  for (let i = 0; i < idx.dense.length; i++) idx.sparse[idx.dense[i]] = i;
  idx.aliveCount = header.aliveCount;
  idx.maxId = header.maxId;
  const all = sections.get('entities.all');
  if (!all || all.length !== header.aliveCount) throw checkpointCorrupt('bad entity list');
  for (let i = 0; i < all.length; i++) ctx.entityComponents.set(all[i], new Set());
  for (const name of header.components) {
    const members = sections.get(`members.${name}`);
    const comp = world.stores[name];
    if (!members || !comp) throw checkpointCorrupt(`missing members of ${name}`);
    for (let i = 0; i < members.length; i++) addComponent(world, members[i], comp);
  }
  for (let qi = 0; qi < header.queries.length; qi++) {
    const order = sections.get(`query.${qi}`);
    if (!order) throw checkpointCorrupt(`missing order of query ${qi}`);
    orderQuery(
      world,
      ctx,
      header.queries[qi].map((n) => world.stores[n]),
      order,
      `query ${qi}`,
    );
  }
  restoreGameEntities(world, ctx, header, sections);
};

/**
 * The game part (schema 2): members of the game's components, then the order of queries over
 * them. A component the world's game no longer declares is skipped (its members and the queries
 * naming it); a game component the checkpoint does not name (schema 1, or added to the game
 * since) has no members.
 */
const restoreGameEntities = (world: EntityWorld, ctx: WorldContext, header: EntityHeader, sections: Map<string, FieldArray>): void => {
  const stores = world.game?.stores;
  if (!stores) return;
  for (const name of header.gameComponents ?? []) {
    const comp = stores.get(name);
    if (!comp) continue;
    const members = sections.get(`gmembers.${name}`);
    if (!members) throw checkpointCorrupt(`missing members of game component ${name}`);
    for (let i = 0; i < members.length; i++) addComponent(world, members[i], comp);
  }
  const gq = header.gameQueries ?? [];
  for (let qi = 0; qi < gq.length; qi++) {
    const comps: unknown[] = [];
    for (const ref of gq[qi]) {
      const c = ref.startsWith('b:') ? (world.stores as Record<string, unknown>)[ref.slice(2)] : stores.get(ref.slice(2));
      if (c !== undefined) comps.push(c);
    }
    if (comps.length !== gq[qi].length) continue; // names a component this world does not have
    const order = sections.get(`gquery.${qi}`);
    if (!order) throw checkpointCorrupt(`missing order of game query ${qi}`);
    orderQuery(world, ctx, comps, order, `game query ${qi}`);
  }
};
