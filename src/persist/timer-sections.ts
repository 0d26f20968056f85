/**
 * A game's pending one-shot timers in a checkpoint's body (schema 4), not its JSON header: five
 * typed-array sections, copied like store fields and compressed with them on the writer thread.
 *
 *   timers.id   f64  id of each pending one-shot, in firing order (due, then id)
 *   timers.due  f64  due world time
 *   timers.name u16  index into the header's `gameTimers.names`
 *   timers.len  u32  UTF-8 bytes of its payload JSON
 *   timers.json u8   the payload JSON texts, one after another
 *
 * The header keeps only `{ nextId, repeating, count, names }` (bounded by the game's declarations),
 * so its size no longer grows with what is pending; the payload texts are the ones validated at
 * `setWorldTimer` (kept as text: nothing is serialized on the loop but a UTF-8 copy, at most
 * `MAX_PENDING_TIMER_BYTES`). Reading validates every value against the header and the limits: a
 * corrupt or hostile file gives `WT_ERR_CHECKPOINT_CORRUPT`, never an allocation beyond its sections.
 */
import type { FieldArray } from '../../components/alloc.js';
import { MAX_PENDING_TIMERS, MAX_TIMER_PAYLOAD_BYTES } from '../game/timers.js';
import { saveTimers, timerEntry, type GameTimerState, type SavedTimers, type TimerEntry } from '../game/timer-state.js';
import { packNamedJson, readNamedJson } from './json-sections.js';
import { checkpointCorrupt, type SectionIn } from './snapshot-format.js';

/** The header part and the sections of a world's timers (undefined header: nothing to keep). */
export const captureTimers = (state: GameTimerState): { header: SavedTimers | undefined; sections: SectionIn[] } => {
  const p = state.pending;
  const n = p.length;
  const id = new Float64Array(n);
  const due = new Float64Array(n);
  const { names, name, len, json } = packNamedJson(n, state.pendingBytes, (k) => {
    const t = p[n - 1 - k]; // pending is in reverse firing order
    id[k] = t.id;
    due[k] = t.due;
    return [t.name, t.json];
  });
  const header = saveTimers(state, names);
  if (!header) return { header, sections: [] };
  return {
    header,
    sections: [
      { name: 'timers.id', data: id },
      { name: 'timers.due', data: due },
      { name: 'timers.name', data: name },
      { name: 'timers.len', data: len },
      { name: 'timers.json', data: json },
    ],
  };
};

const section = <C extends typeof Float64Array | typeof Uint16Array | typeof Uint32Array>(
  sections: Map<string, FieldArray>,
  name: string,
  Ctor: C,
  n: number,
): InstanceType<C> => {
  const a = sections.get(name);
  if (!(a instanceof Ctor) || a.length !== n) throw checkpointCorrupt(`bad timer section ${name}`);
  return a as InstanceType<C>;
};

/**
 * The pending one-shots of a schema-4 checkpoint (`saved` is its header's `gameTimers`), validated:
 * count within `MAX_PENDING_TIMERS`, ids safe integers, due times finite, names from the header's
 * table, each payload at most `MAX_TIMER_PAYLOAD_BYTES` of JSON that parses. Empty for a schema-3
 * header (its pending rows are in the header) or no timers. Throws `WT_ERR_CHECKPOINT_CORRUPT`.
 */
export const readTimerSections = (saved: unknown, sections: Map<string, FieldArray>): TimerEntry[] => {
  if (typeof saved !== 'object' || saved === null) return [];
  const count: unknown = Reflect.get(saved, 'count');
  if (count === undefined) return [];
  const names: unknown = Reflect.get(saved, 'names');
  if (!Number.isSafeInteger(count) || (count as number) < 0 || (count as number) > MAX_PENDING_TIMERS)
    throw checkpointCorrupt('bad timer count');
  if (!Array.isArray(names) || names.length > 65_536 || names.some((s) => typeof s !== 'string' || s.length > 64))
    throw checkpointCorrupt('bad timer names');
  const n = count as number;
  const id = section(sections, 'timers.id', Float64Array, n);
  const due = section(sections, 'timers.due', Float64Array, n);
  const name = section(sections, 'timers.name', Uint16Array, n);
  const len = section(sections, 'timers.len', Uint32Array, n);
  const out: TimerEntry[] = [];
  const json = sections.get('timers.json');
  readNamedJson('pending timer', n, names, { name, len, json }, MAX_TIMER_PAYLOAD_BYTES, (k, nm, text) => {
    if (!Number.isSafeInteger(id[k]) || id[k] < 1 || !Number.isFinite(due[k])) throw checkpointCorrupt(`bad pending timer ${k}`);
    out.push(timerEntry(id[k], nm, due[k], text));
  });
  return out;
};
