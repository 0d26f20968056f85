/**
 * Game-defined replicated fields (docs/PROTOCOL.md "Custom replicated fields"): per wire entity
 * kind, a list of component fields sent to clients after the built-in `x, y, kind, tier`, each
 * quantized to an integer (`round(value × scale)`).
 *
 * The table is built once per world (src/game/world.ts) and consulted by the snapshot encoder
 * (replication.ts): a kind with no fields — every kind of the default life-sim — costs one
 * `Map` miss per entity per step and changes no byte on the wire.
 *
 *   byKind: wire kind ─► { names, arrays (component fields), scales }
 *   q/n:    per entity, this run's quantized values (stride = most fields of any kind)
 *   known:  per session, the values last sent, one row of `stride` per known-set slot
 */
import type { FieldArray } from '../../components/alloc.js';
import { writeInt, type ByteWriter } from './snapshot-writer.js';

/** Most custom fields per entity kind (update-mask bits 4..11). */
export const MAX_CUSTOM_FIELDS = 8;
/** Update-mask bit of custom field j of the entity's kind. */
export const customFieldBit = (j: number): number => 16 << j;

/** The custom fields of one wire kind. */
export interface KindFields {
  readonly names: readonly string[];
  /** The component field each value is read from (indexed by entity id). */
  readonly arrays: readonly FieldArray[];
  /** Wire units per unit (`wire = round(value × scale)`). */
  readonly scales: readonly number[];
  /**
   * Per field, whether entity e has the field's component now. Without it the field is sent as its
   * default (row 0 of the array): a row keeps what its last owner left — ids are recycled, and a
   * removed component keeps its values — and that must never reach clients as this entity's.
   */
  readonly present?: readonly ((e: number) => boolean)[];
}

/** `[kind, [[name, scale], ...]]` per kind: what `welcome` element 11 carries. */
export type FieldTableDescription = [number, [string, number][]][];

/** A world's table of custom replicated fields and the encoder's scratch for it. */
export interface ReplicationTable {
  readonly byKind: ReadonlyMap<number, KindFields>;
  /** Most fields of any kind: the row width of `q` and of each session's known rows. */
  readonly stride: number;
  /** Sent in `welcome` so a client decodes the fields by name. */
  readonly description: FieldTableDescription;
  /** Quantized values of entity e this run: q[e * stride + j]. */
  readonly q: Int32Array;
  /** Number of custom fields of entity e this run (0 = its kind has none). */
  readonly n: Uint8Array;
  /** Per session (by its known arrays' owner object), the values last sent, row per known slot. */
  readonly known: WeakMap<object, Int32Array>;
}

/** Build a world's table (`capacity` = the world's entity capacity). */
export const createReplicationTable = (capacity: number, kinds: ReadonlyMap<number, KindFields>): ReplicationTable => {
  let stride = 0;
  const description: FieldTableDescription = [];
  for (const [kind, f] of kinds) {
    stride = Math.max(stride, f.names.length);
    description.push([kind, f.names.map((name, j) => [name, f.scales[j]] as [string, number])]);
  }
  return {
    byKind: kinds,
    stride,
    description,
    q: new Int32Array((capacity + 1) * stride),
    n: new Uint8Array(capacity + 1),
    known: new WeakMap(),
  };
};

const quantize = (v: number, scale: number): number => {
  const r = Math.round(v * scale);
  // Why clamp: the snapshot writer encodes int32 / uint32 only.
  if (!(r >= -2147483648)) return Number.isNaN(r) ? 0 : -2147483648;
  return r > 4294967295 ? 4294967295 : r;
};

/** Quantize entity e's fields for this run (once per entity per run). Returns the field count. */
export const cacheEntityFields = (t: ReplicationTable, e: number, kind: number): number => {
  const f = t.byKind.get(kind);
  if (f === undefined) return (t.n[e] = 0);
  const base = e * t.stride;
  const count = f.arrays.length;
  const present = f.present;
  for (let j = 0; j < count; j++) {
    const row = present === undefined || present[j](e) ? e : 0; // row 0 holds the defaults
    t.q[base + j] = quantize(f.arrays[j][row], f.scales[j]);
  }
  return (t.n[e] = count);
};

/** Append entity e's quantized fields (this run's values). */
export const writeEntityFields = (w: ByteWriter, t: ReplicationTable, e: number): void => {
  const base = e * t.stride;
  for (let j = 0, c = t.n[e]; j < c; j++) writeInt(w, t.q[base + j]);
};

/** The session's known rows, with room for `slots` known entities (grown, contents kept). */
export const knownRows = (t: ReplicationTable, owner: object, slots: number): Int32Array => {
  let rows = t.known.get(owner);
  const need = slots * t.stride;
  if (rows === undefined || rows.length < need) {
    const next = new Int32Array(Math.max(need, (rows?.length ?? 0) * 2, 64 * t.stride));
    if (rows) next.set(rows);
    rows = next;
    t.known.set(owner, rows);
  }
  return rows;
};

/** Move known row `from` to `to` (swap-remove of the known set). */
export const moveKnownRow = (rows: Int32Array, stride: number, from: number, to: number): void => {
  const a = from * stride,
    b = to * stride;
  for (let j = 0; j < stride; j++) rows[b + j] = rows[a + j];
};

/** Record that the session now knows entity e's current values in slot k. */
export const storeKnownRow = (t: ReplicationTable, rows: Int32Array, e: number, k: number): void => {
  const a = e * t.stride,
    b = k * t.stride;
  for (let j = 0, c = t.n[e]; j < c; j++) rows[b + j] = t.q[a + j];
};

/**
 * Mask bits (see {@link customFieldBit}) of e's fields that differ from known slot k; with
 * `all`, every field of its kind (the kind changed).
 */
export const changedFieldMask = (t: ReplicationTable, rows: Int32Array, e: number, k: number, all: boolean): number => {
  const c = t.n[e];
  if (c === 0) return 0;
  if (all) return ((1 << c) - 1) << 4;
  const a = e * t.stride,
    b = k * t.stride;
  let mask = 0;
  for (let j = 0; j < c; j++) if (rows[b + j] !== t.q[a + j]) mask |= 16 << j;
  return mask;
};

/** Write the changed fields of `mask` (in field order) and store them as known. */
export const writeChangedFields = (w: ByteWriter, t: ReplicationTable, rows: Int32Array, e: number, k: number, mask: number): void => {
  const a = e * t.stride,
    b = k * t.stride;
  for (let j = 0, c = t.n[e]; j < c; j++) {
    if ((mask & (16 << j)) === 0) continue;
    const v = t.q[a + j];
    writeInt(w, v);
    rows[b + j] = v;
  }
};

/** Number of set bits (fields in an update entry). */
export const bitCount = (m: number): number => {
  let c = 0;
  for (let v = m; v !== 0; v &= v - 1) c++;
  return c;
};
