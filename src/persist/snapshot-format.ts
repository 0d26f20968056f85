/**
 * The checkpoint container: a JSON header and raw typed-array sections in one buffer, deflated.
 *
 *   offset 0   "WTCK" (4 bytes) | format version u32 | header length u32 | header JSON (UTF-8)
 *   then       section bytes, each starting at a multiple of 8, in header order
 *
 * `packSections` is the synchronous copy (memcpy of every section into one ArrayBuffer: this
 * is the part that runs inside the step boundary); `deflateSnapshot` compresses on libuv's
 * thread pool (zlib async), off the event loop.
 */
import * as zlib from 'node:zlib';
import { deflateRaw, inflateRaw, constants } from 'node:zlib';
import { promisify } from 'node:util';
import { WorldtickError, ErrorCode, checkpointTooNew } from '../errors.js';
import type { FieldArray } from '../../components/alloc.js';

const deflateRawAsync = promisify(deflateRaw);
const inflateRawAsync = promisify(inflateRaw);

/**
 * Container format version (bumped on an incompatible change): an older one is refused as corrupt,
 * a newer one as `WT_ERR_CHECKPOINT_TOO_NEW` (written by a newer build: never read, never fallen back from).
 * 2: per-NPC world times are Uint32 ticks from a time base (components/world-time.ts); the wallet is a per-player table. */
export const SNAPSHOT_FORMAT_VERSION = 2;
const MAGIC = 0x4b435457; // "WTCK" little-endian

/** Typed-array kinds a section may hold. */
export const SECTION_TYPES = {
  f64: Float64Array,
  f32: Float32Array,
  i32: Int32Array,
  u32: Uint32Array,
  i16: Int16Array,
  u16: Uint16Array,
  i8: Int8Array,
  u8: Uint8Array,
} as const;
export type SectionType = keyof typeof SECTION_TYPES;

/** A section to write: a name and a typed array (its bytes are copied at pack time). */
export interface SectionIn {
  name: string;
  data: FieldArray;
}

/**
 * A section the packer has written in place: `length` elements of `type`, which `write` puts
 * straight into the packed bytes (every element: a reused buffer holds old bytes). It has no array
 * of its own — a 1,000,000-NPC world's entity lists were ~40 MiB of new arrays, page-faulted and
 * then copied, at every checkpoint. `write` reads live state when the packer calls it, so pack in
 * the same synchronous turn as the capture.
 */
export interface SectionWriter {
  name: string;
  type: SectionType;
  length: number;
  write: (out: FieldArray) => void;
}

const isWriter = (s: SectionIn | SectionWriter): s is SectionWriter => 'write' in s;

interface SectionMeta {
  name: string;
  type: SectionType;
  offset: number;
  length: number;
}

const typeOf = (a: FieldArray): SectionType => {
  if (a instanceof Float64Array) return 'f64';
  if (a instanceof Float32Array) return 'f32';
  if (a instanceof Int32Array) return 'i32';
  if (a instanceof Uint32Array) return 'u32';
  if (a instanceof Int16Array) return 'i16';
  if (a instanceof Uint16Array) return 'u16';
  if (a instanceof Int8Array) return 'i8';
  return 'u8';
};

/**
 * Largest JSON header a checkpoint may have, bytes (written and read). A world's header holds its
 * config, entity/query lists, counters and the game's timer declarations — kilobytes; everything
 * that grows with the world's contents is a body section. Guards the reader's `JSON.parse` against
 * a corrupt or hostile length.
 */
export const MAX_SNAPSHOT_HEADER_BYTES = 16 << 20;
/** Default bound of a checkpoint's inflated size, bytes (1 GiB; ~3.4M NPCs at ~290 B each): a deflate bomb stops there. */
export const MAX_SNAPSHOT_RAW_BYTES = 1 << 30;

/** A checkpoint that could not be read (corrupt, truncated or of another format version). */
export const checkpointCorrupt = (reason: string): WorldtickError =>
  new WorldtickError(ErrorCode.CHECKPOINT_CORRUPT, `checkpoint unreadable: ${reason}`, { details: { reason } });

/**
 * Copy `header` and every section into one new buffer (synchronous: one memcpy per section, or
 * the writer's own fill for a {@link SectionWriter}). The sections' arrays may be views of live
 * stores: after this returns they may change.
 * `into(bytes)`: where to write instead of a new buffer — a view of exactly `bytes` bytes (a buffer
 * reused from the last checkpoint, its pages already in memory: a fresh 130 MiB one cost ~0.2 s of
 * page faults on the event loop); every byte of it is written, the padding zeroed, so the result is
 * the same bytes as in a new buffer.
 */
export const packSections = (
  header: Record<string, unknown>,
  sections: readonly (SectionIn | SectionWriter)[],
  into?: (bytes: number) => Uint8Array,
): Uint8Array => {
  const metas: SectionMeta[] = [];
  const sizes: number[] = [];
  let off = 0;
  for (const s of sections) {
    const type = isWriter(s) ? s.type : typeOf(s.data);
    const length = isWriter(s) ? s.length : s.data.length;
    const bytes = isWriter(s) ? length * SECTION_TYPES[type].BYTES_PER_ELEMENT : s.data.byteLength;
    metas.push({ name: s.name, type, offset: off, length });
    sizes.push(bytes);
    off += (bytes + 7) & ~7;
  }
  const json = new TextEncoder().encode(JSON.stringify({ ...header, sections: metas }));
  if (json.byteLength > MAX_SNAPSHOT_HEADER_BYTES)
    throw new WorldtickError(
      ErrorCode.CHECKPOINT_TOO_LARGE,
      `checkpoint header is ${json.byteLength} bytes, over ${MAX_SNAPSHOT_HEADER_BYTES}: it would not be readable`,
      { details: { bytes: json.byteLength, max: MAX_SNAPSHOT_HEADER_BYTES } },
    );
  const start = (12 + json.byteLength + 7) & ~7;
  const out = into ? into(start + off) : new Uint8Array(start + off);
  if (out.byteLength !== start + off) throw new RangeError(`packSections: into gave ${out.byteLength} bytes, not ${start + off}`);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, SNAPSHOT_FORMAT_VERSION, true);
  dv.setUint32(8, json.byteLength, true);
  out.set(json, 12);
  out.fill(0, 12 + json.byteLength, start);
  for (let i = 0; i < sections.length; i++) {
    const s = sections[i];
    const at = start + metas[i].offset;
    const bytes = sizes[i];
    if (isWriter(s)) writeSection(s, out, at);
    else out.set(new Uint8Array(s.data.buffer, s.data.byteOffset, bytes), at);
    out.fill(0, at + bytes, at + ((bytes + 7) & ~7)); // alignment padding (a reused buffer holds old bytes)
  }
  return out;
};

/** Run `s.write` on its place in `out` (through a copy where `out` itself is not aligned for the type). */
const writeSection = (s: SectionWriter, out: Uint8Array, at: number): void => {
  const Ctor = SECTION_TYPES[s.type];
  const abs = out.byteOffset + at;
  // (A SharedArrayBuffer too: the typed-array constructors take either; the cast only picks an overload.)
  if (abs % Ctor.BYTES_PER_ELEMENT === 0) return s.write(new Ctor(out.buffer as ArrayBuffer, abs, s.length));
  const tmp = new Ctor(s.length);
  s.write(tmp);
  out.set(new Uint8Array(tmp.buffer), at);
};

/** What {@link unpackSections} gives: the header and the sections by name (copies, own buffers). */
export interface Unpacked<H> {
  /** The header as written (JSON; the caller checks what it reads). */
  header: H & { sections?: unknown };
  sections: Map<string, FieldArray>;
}

/**
 * Read a buffer written by {@link packSections}. Throws `WT_ERR_CHECKPOINT_CORRUPT`, or
 * `WT_ERR_CHECKPOINT_TOO_NEW` for a container format newer than this build's (before its header is read).
 */
export const unpackSections = <H>(bytes: Uint8Array): Unpacked<H> => {
  if (bytes.byteLength < 12) throw checkpointCorrupt('too short');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) throw checkpointCorrupt('bad magic');
  const version = dv.getUint32(4, true);
  if (version > SNAPSHOT_FORMAT_VERSION) throw checkpointTooNew('format', version, SNAPSHOT_FORMAT_VERSION);
  if (version !== SNAPSHOT_FORMAT_VERSION)
    throw checkpointCorrupt(`format version ${version}, this build reads ${SNAPSHOT_FORMAT_VERSION}`);
  const len = dv.getUint32(8, true);
  if (len > MAX_SNAPSHOT_HEADER_BYTES) throw checkpointCorrupt(`header length ${len} over ${MAX_SNAPSHOT_HEADER_BYTES}`);
  if (12 + len > bytes.byteLength) throw checkpointCorrupt('truncated header');
  let header: H & { sections?: unknown };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + len)));
  } catch {
    throw checkpointCorrupt('header is not JSON');
  }
  if (typeof header !== 'object' || header === null) throw checkpointCorrupt('header is not an object');
  const start = (12 + len + 7) & ~7;
  const sections = new Map<string, FieldArray>();
  const metas: unknown[] = Array.isArray(header.sections) ? header.sections : [];
  // Sections lie one after another, in header order: what is copied out is at most the body's size,
  // however the header is forged (no two sections over the same bytes, no negative offset).
  let end = 0;
  for (const raw of metas) {
    const m = (typeof raw === 'object' && raw !== null ? raw : {}) as Partial<SectionMeta>;
    const Ctor = typeof m.type === 'string' && Object.hasOwn(SECTION_TYPES, m.type) ? SECTION_TYPES[m.type] : undefined;
    if (!Ctor || typeof m.name !== 'string' || !Number.isSafeInteger(m.offset) || !Number.isSafeInteger(m.length))
      throw checkpointCorrupt(`bad section ${String(m.name).slice(0, 80)}`);
    const offset = m.offset as number;
    const length = m.length as number;
    if (length < 0 || offset < end || offset % 8 !== 0 || sections.has(m.name))
      throw checkpointCorrupt(`bad section ${m.name.slice(0, 80)}`);
    const from = start + offset;
    const nbytes = length * Ctor.BYTES_PER_ELEMENT;
    if (from + nbytes > bytes.byteLength) throw checkpointCorrupt(`truncated section ${m.name.slice(0, 80)}`);
    end = offset + nbytes;
    const copy = new Uint8Array(nbytes);
    copy.set(bytes.subarray(from, from + nbytes));
    sections.set(m.name, new Ctor(copy.buffer));
  }
  return { header, sections };
};

/** Compress on the thread pool (deflate level 1: fast; stores are mostly zeros and small floats). */
export const deflateSnapshot = async (packed: Uint8Array): Promise<Uint8Array> =>
  new Uint8Array(await deflateRawAsync(packed, { level: 1, strategy: constants.Z_DEFAULT_STRATEGY }));

/**
 * Decompress a stored checkpoint, to at most `maxBytes` (default {@link MAX_SNAPSHOT_RAW_BYTES}).
 * Throws `WT_ERR_CHECKPOINT_CORRUPT` (not deflate data, or it inflates past the bound).
 */
export const inflateSnapshot = async (stored: Uint8Array, maxBytes = MAX_SNAPSHOT_RAW_BYTES): Promise<Uint8Array> => {
  try {
    return new Uint8Array(await inflateRawAsync(stored, { maxOutputLength: maxBytes }));
  } catch (err) {
    throw checkpointCorrupt(`inflate failed: ${(err as Error).message.slice(0, 100)}`);
  }
};

/**
 * CRC-32 of a packed (uncompressed) checkpoint, or undefined on a Node without `zlib.crc32` (< 20.15).
 * The writer stores it in the checkpoint row's `meta.crc32`; the reader compares it after inflating,
 * so a bit flipped in the stored bytes (raw deflate carries no checksum of its own) is refused, not loaded.
 */
export const snapshotChecksum = (packed: Uint8Array): number | undefined => {
  const crc: unknown = Reflect.get(zlib, 'crc32');
  return typeof crc === 'function' ? zlib.crc32(packed) >>> 0 : undefined;
};
