/**
 * A game's facts waiting for a step (`deliverToWorld`, src/game/facts.ts) in a checkpoint's body
 * (schema 5): three typed-array sections, copied like the timers' (timer-sections.ts).
 *
 *   facts.name u16  index into the header's `gameFacts.names`, one per waiting fact, in delivery order
 *   facts.len  u32  UTF-8 bytes of its payload JSON
 *   facts.json u8   the payload JSON texts, one after another
 *
 * The header keeps `gameFacts = { count, names }`. The texts are the ones validated at `deliverToWorld`
 * (nothing is serialized on the loop but a UTF-8 copy, at most `MAX_PENDING_FACT_BYTES`). Reading
 * checks every value against the header and the limits — count, names, lengths, UTF-8, JSON, plain
 * data — before the world is built: a corrupt or hostile file gives `WT_ERR_CHECKPOINT_CORRUPT` and
 * nothing is built from it.
 */
import type { FieldArray } from '../../components/alloc.js';
import { MAX_PENDING_FACT_BYTES, MAX_PENDING_FACTS, waitingCount, type GameFactState } from '../game/fact-state.js';
import { MAX_FACT_BYTES, type SavedFact } from '../game/facts.js';
import { plainJsonText } from '../game/plain-json.js';
import { packNamedJson, readNamedJson } from './json-sections.js';
import { checkpointCorrupt, type SectionIn } from './snapshot-format.js';

/** The header part of a checkpoint's waiting facts (`gameFacts`). */
export interface SavedFactsHeader {
  /** Facts waiting (rows of the `facts.*` sections). */
  count: number;
  /** The fact names `facts.name` indexes. */
  names: string[];
}

const NAME_RE = /^[A-Za-z0-9_.:-]{1,64}$/;

/** The header part and the sections of a world's waiting facts (undefined header: none wait). */
export const captureFacts = (state: GameFactState): { header: SavedFactsHeader | undefined; sections: SectionIn[] } => {
  const n = waitingCount(state);
  if (n === 0) return { header: undefined, sections: [] };
  const { names, name, len, json } = packNamedJson(n, state.waitingBytes, (k) => {
    const w = state.waiting[state.head + k];
    if (w === undefined) throw new RangeError(`no waiting fact at ${state.head + k}`);
    return [w.fact[0], w.json];
  });
  return {
    header: { count: n, names },
    sections: [
      { name: 'facts.name', data: name },
      { name: 'facts.len', data: len },
      { name: 'facts.json', data: json },
    ],
  };
};

/**
 * The waiting facts of a schema-5 checkpoint (`saved` is its header's `gameFacts`), in delivery
 * order, validated: count within `MAX_PENDING_FACTS`, names well-formed and from the header's table,
 * each payload at most `MAX_FACT_BYTES` of plain JSON data, all of them `MAX_PENDING_FACT_BYTES`, the
 * lengths adding up to the bytes. Empty when the header has none (an older schema, or none waited).
 * Throws `WT_ERR_CHECKPOINT_CORRUPT`.
 */
export const readFactSections = (saved: unknown, sections: Map<string, FieldArray>): SavedFact[] => {
  if (saved === undefined) return [];
  if (typeof saved !== 'object' || saved === null) throw checkpointCorrupt('bad gameFacts');
  const count: unknown = Reflect.get(saved, 'count');
  const names: unknown = Reflect.get(saved, 'names');
  if (!Number.isSafeInteger(count) || (count as number) < 0 || (count as number) > MAX_PENDING_FACTS)
    throw checkpointCorrupt('bad fact count');
  const n = count as number;
  if (!Array.isArray(names) || names.length > Math.min(n, 65_536) || names.some((s) => typeof s !== 'string' || !NAME_RE.test(s)))
    throw checkpointCorrupt('bad fact names');
  const name = sections.get('facts.name');
  const len = sections.get('facts.len');
  const json = sections.get('facts.json');
  if (!(name instanceof Uint16Array) || name.length !== n) throw checkpointCorrupt('bad fact section facts.name');
  if (!(len instanceof Uint32Array) || len.length !== n) throw checkpointCorrupt('bad fact section facts.len');
  if (json instanceof Uint8Array && json.length > MAX_PENDING_FACT_BYTES) throw checkpointCorrupt('bad fact section facts.json');
  const out: SavedFact[] = [];
  readNamedJson('waiting fact', n, names, { name, len, json }, MAX_FACT_BYTES, (k, nm, text, value) => {
    // What deliverToWorld accepts only (depth, no "__proto__" key): a forged payload reaches no handler.
    if (!plainJsonText(value, MAX_FACT_BYTES).ok) throw checkpointCorrupt(`payload of waiting fact ${k} is not plain JSON data`);
    out.push({ name: nm, json: text, bytes: Buffer.byteLength(text), value });
  });
  return out;
};
