/**
 * Typed-array allocation on SharedArrayBuffer.
 *
 * Every component field is its own typed array over its own SharedArrayBuffer, indexed by
 * entity id. Worker threads receive the same views through `workerData` and read/write them
 * without copying (piscina: a SharedArrayBuffer must not go in a transferList).
 */

/** Constructors a component field may use. */
export type FieldArray = Float64Array | Float32Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

type FieldCtor<T extends FieldArray> = { new (buffer: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number };

const shared = <T extends FieldArray>(Ctor: FieldCtor<T>, length: number, fill = 0): T => {
  const arr = new Ctor(new SharedArrayBuffer(length * Ctor.BYTES_PER_ELEMENT));
  if (fill !== 0) arr.fill(fill);
  return arr;
};

/** Float64 field (world-time stamps: they must not lose precision over long runs). */
export const f64 = (n: number, fill = 0): Float64Array => shared(Float64Array, n, fill);
/** Float32 field (positions, velocities, needs). */
export const f32 = (n: number, fill = 0): Float32Array => shared(Float32Array, n, fill);
export const i32 = (n: number, fill = 0): Int32Array => shared(Int32Array, n, fill);
export const u32 = (n: number, fill = 0): Uint32Array => shared(Uint32Array, n, fill);
export const i16 = (n: number, fill = 0): Int16Array => shared(Int16Array, n, fill);
export const u16 = (n: number, fill = 0): Uint16Array => shared(Uint16Array, n, fill);
export const u8 = (n: number, fill = 0): Uint8Array => shared(Uint8Array, n, fill);

/** A component store: an object whose own values are all typed-array fields. */
export type Store = Record<string, FieldArray>;
