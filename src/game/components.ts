/**
 * Game components: a name and typed fields with defaults. A world built from a game allocates
 * one SoA store per component (one typed array per field over its own SharedArrayBuffer,
 * `capacity + 1` rows indexed by entity id), like the built-in stores in `components/`.
 */
import { checkWorld } from '../core/check-world.js';
import { shown } from '../core/shown.js';
import {
  addComponent as bitecsAddComponent,
  entityExists,
  hasComponent as bitecsHasComponent,
  query as bitecsQuery,
  removeComponent as bitecsRemoveComponent,
} from 'bitecs';
import type { FieldArray, Store } from '../../components/alloc.js';
import { ErrorCode, optionInvalid, WorldtickError } from '../errors.js';
import type { SimWorld } from '../world/sim-world.js';

/** Field types of a component (the typed array each field is stored in). */
export type FieldType = 'f64' | 'f32' | 'i32' | 'u32' | 'i16' | 'u16' | 'i8' | 'u8';

/** The typed array of a field type. */
export interface FieldArrayOf {
  f64: Float64Array;
  f32: Float32Array;
  i32: Int32Array;
  u32: Uint32Array;
  i16: Int16Array;
  u16: Uint16Array;
  i8: Int8Array;
  u8: Uint8Array;
}

/** One field: its type, and the value a new row starts with (default 0). */
export interface FieldSpec<T extends FieldType = FieldType> {
  type: T;
  default?: number;
}

/** A component's fields: a type name (`'f32'`) or `{ type, default }`. */
export type ComponentFields = Record<string, FieldType | FieldSpec>;

type TypeOf<F> = F extends FieldType ? F : F extends FieldSpec<infer T> ? T : never;

/** The store of a component with fields `F`: one typed array per field, indexed by entity id. */
export type StoreOf<F extends ComponentFields> = { readonly [K in keyof F]: FieldArrayOf[TypeOf<F[K]>] };

/** A component definition (made by {@link defineComponent}; its store exists per world). */
export interface ComponentDef<F extends ComponentFields = ComponentFields> {
  readonly name: string;
  readonly fields: Readonly<Record<string, { type: FieldType; default: number }>>;
  /** Type marker only (never set). */
  readonly __fields?: F;
}

const CTORS: { [K in FieldType]: new (b: SharedArrayBuffer) => FieldArrayOf[K] } = {
  f64: Float64Array,
  f32: Float32Array,
  i32: Int32Array,
  u32: Uint32Array,
  i16: Int16Array,
  u16: Uint16Array,
  i8: Int8Array,
  u8: Uint8Array,
};
const BYTES: Record<FieldType, number> = { f64: 8, f32: 4, i32: 4, u32: 4, i16: 2, u16: 2, i8: 1, u8: 1 };
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** The checked fields of a component named `name` (`{ type, default }` each); problems pushed. */
const checkedFields = (given: unknown, fields: unknown, problems: string[]): Record<string, { type: FieldType; default: number }> => {
  const name = typeof given === 'string' ? given : `(${typeof given})`; // a name that is no string is not printed: any object may come here
  if (typeof given !== 'string' || !NAME_RE.test(given))
    problems.push(`component name ${typeof given === 'string' ? JSON.stringify(given) : name} must match ${NAME_RE}`);
  const out: Record<string, { type: FieldType; default: number }> = {};
  if (typeof fields !== 'object' || fields === null || Object.keys(fields).length === 0)
    problems.push(`component ${name}: fields must be a non-empty object`);
  else
    for (const [key, raw] of Object.entries(fields)) {
      const spec = (typeof raw === 'string' ? { type: raw } : raw) as FieldSpec | null;
      if (!NAME_RE.test(key)) problems.push(`component ${name}: field name ${JSON.stringify(key)} must match ${NAME_RE}`);
      // An own key `__proto__` (from JSON.parse, or `{ ['__proto__']: ... }`) assigned below set the fields' prototype instead.
      else if (key === '__proto__') problems.push(`component ${name}: field name "__proto__" is reserved`);
      if (typeof spec !== 'object' || spec === null || typeof spec.type !== 'string' || !Object.hasOwn(CTORS, spec.type)) {
        problems.push(`component ${name}.${key}: type must be one of ${Object.keys(CTORS).join(', ')}`);
        continue;
      }
      const d = spec.default ?? 0;
      if (typeof d !== 'number' || !Number.isFinite(d)) problems.push(`component ${name}.${key}: default must be a finite number`);
      out[key] = { type: spec.type, default: d };
    }
  return out;
};

/**
 * Define a component: `defineComponent('Health', { hp: { type: 'u16', default: 100 }, regen: 'f32' })`.
 * Throws `WT_ERR_OPTION_INVALID` listing every problem (bad name, unknown type, non-finite default).
 */
export const defineComponent = <F extends ComponentFields>(name: string, fields: F): ComponentDef<F> => {
  const problems: string[] = [];
  const out = checkedFields(name, fields, problems);
  if (problems.length) throw optionInvalid(problems);
  return { name, fields: Object.freeze(out) };
};

/**
 * Problems of a value given where a component is expected (a game's `components`, a replicated
 * field's `component`): what {@link defineComponent} would refuse of its name and fields. Empty
 * for a component it made.
 */
export const componentProblems = (c: unknown): string[] => {
  if (typeof c !== 'object' || c === null) return ['not a component of defineComponent'];
  const problems: string[] = [];
  const fields: unknown = Reflect.get(c, 'fields');
  checkedFields(Reflect.get(c, 'name'), fields, problems);
  // As defineComponent makes them: each field `{ type, default }` (the short form `'u8'` is defineComponent's input only).
  if (problems.length === 0)
    for (const [key, f] of Object.entries(fields as object))
      if (typeof f !== 'object' || typeof Reflect.get(f, 'default') !== 'number')
        problems.push(`field ${key} is not as defineComponent makes it ({ type, default }): pass the component defineComponent returned`);
  return problems;
};

/** Allocate a component's store for `rows` rows; row 0 (never a live entity) holds the defaults. */
export const allocateStore = (def: ComponentDef, rows: number): Store => {
  const store: Store = {};
  for (const [key, f] of Object.entries(def.fields)) {
    const arr: FieldArray = new CTORS[f.type](new SharedArrayBuffer(rows * BYTES[f.type]));
    if (f.default !== 0) arr.fill(f.default);
    store[key] = arr;
  }
  return store;
};

/** Bytes per entity row of a component (all its fields). */
export const rowBytes = (def: ComponentDef): number => Object.values(def.fields).reduce((n, f) => n + BYTES[f.type], 0);

/**
 * The store of component `def` in `world` (fetch it once per system run, then index it by entity id
 * in the loop). Throws `WT_ERR_OPTION_INVALID` when the world's game did not declare the component.
 */
export const getStore = <F extends ComponentFields>(world: SimWorld, def: ComponentDef<F>): StoreOf<F> => {
  checkWorld(world, 'getStore');
  const store = world.game?.stores.get(nameOf(def, 'getStore'));
  if (store === undefined)
    throw optionInvalid([`component ${def.name} is not part of world ${world.id}'s game (list it in defineGame({ components }))`]);
  // Built by allocateStore from this very definition: one typed array per declared field.
  return store as StoreOf<F>;
};

/**
 * Add component `def` to entity `eid`: its row is reset to the defaults (ids are recycled), then
 * `values` are written. Returns the store. Throws `WT_ERR_ENTITY_NOT_FOUND` for a dead or invalid id.
 */
export const addComponent = <F extends ComponentFields>(
  world: SimWorld,
  eid: number,
  def: ComponentDef<F>,
  values?: { [K in keyof F]?: number },
): StoreOf<F> => {
  checkWorld(world, 'addComponent');
  nameOf(def, 'addComponent');
  const store = getStore(world, def);
  // Check before the row is reset: a dead id's row must stay untouched, and an id past the
  // capacity would be written nowhere (typed arrays ignore it) before bitecs threw a plain Error.
  if (!isLiveEntity(world, eid))
    throw new WorldtickError(ErrorCode.ENTITY_NOT_FOUND, `addComponent ${def.name}: entity ${shown(eid)} does not exist`, {
      details: { eid },
    });
  const raw = store as Store; // the world's store of `def`, as getStore found it
  // Own keys of both only: `raw[key]` for a key `constructor` (values built from JSON, a client's payload) was Object
  // itself, and `Object[eid] = v` was written. A JavaScript caller's value that is no number was stored coerced
  // (`'abc'` as NaN, `{}` as 0): refused before the row is reset, nothing written.
  const keys = values ? Object.keys(values).filter((k) => Object.hasOwn(raw, k)) : [];
  for (const k of keys) {
    const t = typeof Reflect.get(values as object, k);
    if (t !== 'number' && t !== 'undefined') throw optionInvalid([`addComponent ${def.name}: ${k} must be a number (got ${t})`]);
  }
  for (const key in raw) {
    const arr = raw[key];
    arr[eid] = arr[0];
  }
  for (const k of keys) {
    const v = Reflect.get(values as object, k) as number | undefined;
    if (v !== undefined) raw[k][eid] = v;
  }
  bitecsAddComponent(world, eid, raw);
  return store;
};

/**
 * Does entity `eid` exist and have component `def`? A game component (definition) or a built-in
 * store (`world.stores.Player`: is it a player?), as `query` takes them. Safe on any number: dead
 * or invalid ids answer false.
 */
export const hasComponent = (world: SimWorld, eid: number, def: ComponentDef | Store): boolean => {
  checkWorld(world, 'hasComponent');
  const raw = isDef(def, 'hasComponent') ? world.game?.stores.get(def.name) : def;
  return raw !== undefined && isLiveEntity(world, eid) && bitecsHasComponent(world, eid, raw);
};

/** Remove component `def` from entity `eid` (its row keeps its values until the next add); `WT_ERR_ENTITY_NOT_FOUND` for an id that is no live entity. */
export const removeComponent = (world: SimWorld, eid: number, def: ComponentDef): void => {
  checkWorld(world, 'removeComponent');
  const raw = world.game?.stores.get(nameOf(def, 'removeComponent'));
  if (raw === undefined) return;
  // As addComponent: bitecs threw a plain Error for a dead id (and for null, a fraction, a string).
  if (!isLiveEntity(world, eid))
    throw new WorldtickError(ErrorCode.ENTITY_NOT_FOUND, `removeComponent ${def.name}: entity ${shown(eid)} does not exist`, {
      details: { eid },
    });
  bitecsRemoveComponent(world, eid, raw);
};

/**
 * Entities that have every listed component: game components (definitions) and built-in stores
 * (`world.stores.Position`, `.Velocity`, `.Player`, `.Npc`). The array is live and reused by
 * bitecs: read it in the system run that asked, do not keep it across spawns or despawns. Indexable
 * and iterable (`for (const e of query(...))`, as docs/GAME-API.md writes it).
 */
export const query = (world: SimWorld, components: readonly (ComponentDef | Store)[]): ArrayLike<number> & Iterable<number> => {
  checkWorld(world, 'query');
  if (!Array.isArray(components)) throw optionInvalid([`query: components must be an array (got ${typeof components})`]);
  const list: Store[] = [];
  for (const c of components) {
    if (isDef(c, 'query')) {
      const raw = world.game?.stores.get(c.name);
      if (raw === undefined)
        throw optionInvalid([`component ${c.name} is not part of world ${world.id}'s game (list it in defineGame({ components }))`]);
      list.push(raw);
    } else list.push(c);
  }
  return bitecsQuery(world, list);
};

/**
 * Whether `c` is a component definition (else a built-in store); a value that is neither (a JavaScript caller's
 * null, a number) is refused, `WT_ERR_OPTION_INVALID`, where it was a TypeError.
 */
/**
 * Whether `eid` is a live entity of `world`: a positive integer bitecs knows. Checked before bitecs sees an id
 * a JavaScript caller passed: bitecs threw plain Errors (a dead id) or TypeErrors (a BigInt) for the others.
 */
export const isLiveEntity = (world: SimWorld, eid: unknown): eid is number =>
  Number.isInteger(eid) && (eid as number) > 0 && entityExists(world, eid as number);

const isDef = (c: ComponentDef | Store, what: string): c is ComponentDef => {
  if (typeof c !== 'object' || c === null) throw optionInvalid([`${what}: not a component (got ${shown(c)})`]);
  return typeof c.name === 'string' && typeof (c as { fields?: unknown }).fields === 'object';
};

/** The name of component definition `def`; `WT_ERR_OPTION_INVALID` when it is none. */
const nameOf = (def: ComponentDef, what: string): string => {
  if (!isDef(def, what)) throw optionInvalid([`${what}: not a component of defineComponent (got ${typeof def})`]);
  return def.name;
};
