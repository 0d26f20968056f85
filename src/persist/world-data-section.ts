/**
 * A game world's data (`setWorldData`, src/game/world-data.ts) in a checkpoint (schema 8): its JSON
 * text, as validated when it was set, in one body section — a UTF-8 copy, nothing serialized on the
 * loop — with its length in the header.
 *
 *   header gameData       { bytes }   absent when the data is null (and in checkpoints before schema 8)
 *   section gameData.json u8          the JSON text
 *
 * Reading checks it as `setWorldData` would — at most `MAX_WORLD_DATA_BYTES`, UTF-8, JSON, plain data
 * — so a corrupt or forged file gives `WT_ERR_CHECKPOINT_CORRUPT` and no game code sees its value.
 */
import type { FieldArray } from '../../components/alloc.js';
import { plainJsonText } from '../game/plain-json.js';
import { MAX_WORLD_DATA_BYTES, type WorldDataState } from '../game/world-data.js';
import { checkpointCorrupt, type SectionIn } from './snapshot-format.js';

/** The header part of a checkpoint's world data (`gameData`). */
export interface SavedWorldDataHeader {
  /** UTF-8 bytes of the `gameData.json` section. */
  bytes: number;
}

/** The header part and the section of a world's data (undefined header: the data is null). */
export const captureWorldData = (state: WorldDataState): { header: SavedWorldDataHeader | undefined; sections: SectionIn[] } => {
  if (state.json === 'null') return { header: undefined, sections: [] };
  const data = new TextEncoder().encode(state.json);
  return { header: { bytes: data.length }, sections: [{ name: 'gameData.json', data }] };
};

/**
 * The world data's JSON text of a checkpoint (`saved` is its header's `gameData`), checked; null when
 * the checkpoint has none (its data was null, or it predates schema 8). Throws `WT_ERR_CHECKPOINT_CORRUPT`.
 */
export const readWorldDataSection = (saved: unknown, sections: Map<string, FieldArray>): string | null => {
  if (saved === undefined) return null;
  const bytes: unknown = typeof saved === 'object' && saved !== null ? Reflect.get(saved, 'bytes') : undefined;
  if (!Number.isSafeInteger(bytes) || (bytes as number) < 1 || (bytes as number) > MAX_WORLD_DATA_BYTES)
    throw checkpointCorrupt('bad gameData');
  const data = sections.get('gameData.json');
  if (!(data instanceof Uint8Array) || data.length !== bytes) throw checkpointCorrupt('bad world data section gameData.json');
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch {
    throw checkpointCorrupt('world data is not JSON');
  }
  // What setWorldData accepts only (depth, no "__proto__" key); the text kept is the one it would make.
  const text = plainJsonText(value, MAX_WORLD_DATA_BYTES);
  if (!text.ok) throw checkpointCorrupt('world data is not plain JSON data');
  return text.json;
};
