/**
 * A game's checkpointed data read by a (possibly newer) version of the game: the component fields
 * copied into the game's stores by the rules of docs/GAME-API.md "Shipping a new version of your
 * game", and what differs between the checkpoint and the game's definition, reported.
 *
 * Rules: a component or field the game no longer declares is dropped; one it declares that the
 * checkpoint lacks starts at its default; a field whose type changed is converted when every member
 * entity's value (player entities excepted: the restore drops them) is representable in the new type (an integer type: an integer in its range; `f32`:
 * rounded to the nearest f32, not overflowing; `f64`: always), else the checkpoint is refused with
 * `WT_ERR_CHECKPOINT_INCOMPATIBLE` (a typed-array copy would wrap 300 into a u8 as 44, or cut 0.5
 * to 0, silently). Row 0 of a store (the defaults `addComponent` copies) is never taken from the
 * checkpoint: a default changed in the new version applies.
 */
import type { FieldArray, Store } from '../../components/alloc.js';
import { checkpointIncompatible } from '../errors.js';
import type { FieldType } from '../game/components.js';
import type { TimerEntry } from '../game/timer-state.js';
import type { SavedFact } from '../game/facts.js';
import { checkpointCorrupt } from './snapshot-format.js';

/** What differs between a checkpoint's game data and the game restoring it (reported when any). */
export interface GameChanges {
  /** Components in the checkpoint the game no longer declares, with how many entities had them (dropped). */
  droppedComponents: { name: string; members: number }[];
  /** Fields (`Component.field`) of declared components the game no longer declares (dropped). */
  droppedFields: string[];
  /** Components the checkpoint lacks (no member; defaults). */
  addedComponents: string[];
  /** Fields of checkpointed components the checkpoint lacks (`Component.field`: every member at the default). */
  addedFields: string[];
  /** Fields whose type changed, converted (every member's value fitted). */
  convertedFields: { field: string; from: FieldType; to: FieldType }[];
  /** Pending one-shot timers dropped, by name (not declared as a one-shot handler any more). */
  droppedTimers: Record<string, number>;
  /** Waiting facts dropped, by name (not declared any more). */
  droppedFacts: Record<string, number>;
}

const TYPE_OF = new Map<unknown, FieldType>([
  [Float64Array, 'f64'],
  [Float32Array, 'f32'],
  [Int32Array, 'i32'],
  [Uint32Array, 'u32'],
  [Int16Array, 'i16'],
  [Uint16Array, 'u16'],
  [Int8Array, 'i8'],
  [Uint8Array, 'u8'],
]);
const RANGE: Partial<Record<FieldType, readonly [number, number]>> = {
  i32: [-2147483648, 2147483647],
  u32: [0, 4294967295],
  i16: [-32768, 32767],
  u16: [0, 65535],
  i8: [-128, 127],
  u8: [0, 255],
};

const typeOf = (a: FieldArray): FieldType => TYPE_OF.get(a.constructor) ?? 'f64';

/** Whether `v` survives a store of type `to` as the same number (f32: rounding accepted, overflow not). */
const fits = (v: number, to: FieldType): boolean => {
  if (to === 'f64') return true;
  if (to === 'f32') return !Number.isFinite(v) || Number.isFinite(Math.fround(v));
  const r = RANGE[to];
  return r !== undefined && Number.isInteger(v) && v >= r[0] && v <= r[1];
};

const empty = (): GameChanges => ({
  droppedComponents: [],
  droppedFields: [],
  addedComponents: [],
  addedFields: [],
  convertedFields: [],
  // Keyed by the game's names, which may be `constructor` or `__proto__` (a plain object summed the
  // Object function's text, and lost `__proto__`): objects without a prototype.
  droppedTimers: Object.create(null) as Record<string, number>,
  droppedFacts: Object.create(null) as Record<string, number>,
});

/**
 * Refuse (`WT_ERR_CHECKPOINT_INCOMPATIBLE`) the checkpoint of another game's world, or of a higher
 * version of the game: `saved` is the header's `game` (absent in checkpoints of a world without a
 * game, or written before it was stored: not checked), `installed` the game restoring it (absent: a
 * world without a game).
 */
export const checkGame = (saved: unknown, installed: { name: string; version: number } | null | undefined): void => {
  if (typeof saved !== 'object' || saved === null || !installed) return;
  const name: unknown = Reflect.get(saved, 'name');
  const version: unknown = Reflect.get(saved, 'version');
  if (typeof name === 'string' && name !== installed.name)
    throw checkpointIncompatible([
      `it is a world of game ${JSON.stringify(name.slice(0, 64))}, this is game ${JSON.stringify(installed.name)} ` +
        '(a game keeps its name across versions; another game starts on a data dir of its own)',
    ]);
  if (Number.isSafeInteger(version) && (version as number) > installed.version)
    throw checkpointIncompatible([
      `it was checkpointed by version ${version as number} of game ${JSON.stringify(installed.name)}, this is version ${installed.version} ` +
        `(a world a newer version ran may hold data this one would drop: run version ${version as number} or newer, or restore a backup taken before it)`,
    ]);
};

/** The game version a checkpoint's header records, or null (no game, or written before it was stored). */
export const savedGameVersion = (saved: unknown): number | null => {
  const v: unknown = typeof saved === 'object' && saved !== null ? Reflect.get(saved, 'version') : undefined;
  return Number.isSafeInteger(v) && (v as number) >= 1 ? (v as number) : null;
};

/** True when `c` holds any difference. */
export const hasGameChanges = (c: GameChanges): boolean =>
  c.droppedComponents.length + c.droppedFields.length + c.addedComponents.length + c.addedFields.length + c.convertedFields.length > 0 ||
  Object.keys(c.droppedTimers).length + Object.keys(c.droppedFacts).length > 0;

/**
 * Copy the checkpoint's game fields (`saved`: the header's `gameFields`; `rows(name)` a checked
 * section) into `stores` by the module's rules, after the members were restored (`members(name)`:
 * the `gmembers.<name>` section, absent when none; `players`: the player entities, not checked — the
 * restore drops them, src/server/runtime-persist.ts and cluster-migration.ts). `schema2`: the checkpoint is of schema 2 or
 * newer (an older one holds no game data, so nothing is reported as added). Throws
 * `WT_ERR_CHECKPOINT_INCOMPATIBLE` (nothing copied) when a changed type cannot hold a member's value.
 */
export const restoreGameFields = (
  stores: ReadonlyMap<string, Store> | undefined,
  saved: readonly string[],
  rows: (section: string) => FieldArray,
  members: (component: string) => FieldArray | undefined,
  schema2: boolean,
  players?: FieldArray,
): GameChanges => {
  const changes = empty();
  // Player entities are not checked: a restored world drops them (their sessions ended with the process).
  const player = new Set(players ?? []);
  const problems: string[] = [];
  const copies: [FieldArray, FieldArray][] = [];
  const seen = new Set<string>();
  for (const f of saved) {
    const dot = f.indexOf('.');
    if (dot < 1) throw checkpointCorrupt(`bad game field ${f.slice(0, 80)}`);
    const name = f.slice(0, dot);
    const key = f.slice(dot + 1);
    const src = rows(`gfield.${f}`);
    seen.add(f);
    const store = stores?.get(name);
    if (!store) {
      if (!changes.droppedComponents.some((c) => c.name === name))
        changes.droppedComponents.push({ name, members: members(name)?.length ?? 0 });
      continue;
    }
    const arr = store[key];
    if (!arr) {
      changes.droppedFields.push(f);
      continue;
    }
    const from = typeOf(src);
    const to = typeOf(arr);
    if (from !== to) {
      const m = members(name) ?? new Int32Array(0);
      let bad = 0;
      let first = -1;
      for (let i = 0; i < m.length; i++) {
        const e = m[i];
        if (e < src.length && !player.has(e) && !fits(src[e], to)) {
          if (bad++ === 0) first = e;
        }
      }
      if (bad > 0)
        problems.push(
          `${f}: type ${from} → ${to}, but ${bad} ${bad === 1 ? 'entity holds a value' : 'entities hold values'} ${to} cannot hold (entity ${first}: ${src[first]})`,
        );
      else changes.convertedFields.push({ field: f, from, to });
    }
    copies.push([arr, src]);
  }
  if (problems.length) throw checkpointIncompatible(problems);
  for (const [arr, src] of copies) {
    const d = arr[0]; // the definition's default (allocateStore): kept, not the checkpoint's
    arr.set(src.length > arr.length ? src.subarray(0, arr.length) : src);
    arr[0] = d;
  }
  if (schema2)
    for (const [name, store] of stores ?? []) {
      const keys = Object.keys(store);
      const had = keys.filter((k) => seen.has(`${name}.${k}`));
      if (had.length === 0) changes.addedComponents.push(name);
      else for (const k of keys) if (!had.includes(k)) changes.addedFields.push(`${name}.${k}`);
    }
  return changes;
};

/**
 * Count into `changes` what `game` drops of the checkpoint's pending one-shots (`entries`, and a
 * schema-3 header's `pending` rows in `savedTimers`) and waiting `facts`: names it does not declare.
 */
export const countDropped = (
  changes: GameChanges,
  savedTimers: unknown,
  entries: readonly Pick<TimerEntry, 'name'>[],
  game: { timers: { oneShot: ReadonlySet<string> }; facts: { byName: ReadonlyMap<string, unknown> } | null } | null | undefined,
  facts: readonly SavedFact[],
): void => {
  const rows: unknown = typeof savedTimers === 'object' && savedTimers !== null ? Reflect.get(savedTimers, 'pending') : undefined;
  const names = entries.map((t) => t.name);
  for (const r of Array.isArray(rows) ? rows : []) if (Array.isArray(r) && typeof r[1] === 'string') names.push(r[1]);
  for (const n of names) if (!game?.timers.oneShot.has(n)) changes.droppedTimers[n] = (changes.droppedTimers[n] ?? 0) + 1;
  for (const f of facts) if (!game?.facts?.byName.has(f.name)) changes.droppedFacts[f.name] = (changes.droppedFacts[f.name] ?? 0) + 1;
};
