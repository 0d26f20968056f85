/**
 * Named JSON payloads in a checkpoint's body (game timers, timer-sections.ts; waiting facts,
 * fact-sections.ts): a name table in the header and three sections — `<prefix>.name` u16 (index into
 * the table), `<prefix>.len` u32 (UTF-8 bytes of each payload), `<prefix>.json` u8 (the texts one
 * after another). The texts are the ones validated when they were queued: packing is one UTF-8 copy.
 */
import type { FieldArray } from '../../components/alloc.js';
import { checkpointCorrupt } from './snapshot-format.js';

/** `n` payloads packed: `at(k)` gives the k-th `[name, json]`; `bytes` bounds their UTF-8 total. */
export const packNamedJson = (
  n: number,
  bytes: number,
  at: (k: number) => readonly [string, string],
): { names: string[]; name: Uint16Array; len: Uint32Array; json: Uint8Array } => {
  const names: string[] = [];
  const nameIndex = new Map<string, number>();
  const name = new Uint16Array(n);
  const len = new Uint32Array(n);
  const json = new Uint8Array(bytes);
  const enc = new TextEncoder();
  let off = 0;
  for (let k = 0; k < n; k++) {
    const [nm, text] = at(k);
    let ni = nameIndex.get(nm);
    if (ni === undefined) {
      ni = names.length;
      names.push(nm);
      nameIndex.set(nm, ni);
    }
    name[k] = ni;
    len[k] = enc.encodeInto(text, json.subarray(off)).written;
    off += len[k];
  }
  return { names, name, len, json: json.subarray(0, off) };
};

/**
 * Unpack `n` payloads (`what` names one in errors: "waiting fact", "pending timer"), each at most
 * `maxBytes` of UTF-8 JSON, their lengths adding up to the json section; `visit(k, name, text,
 * value)` checks and keeps each. Throws `WT_ERR_CHECKPOINT_CORRUPT`.
 */
export const readNamedJson = (
  what: string,
  n: number,
  names: readonly unknown[],
  sections: { name: Uint16Array; len: Uint32Array; json: FieldArray | undefined },
  maxBytes: number,
  visit: (k: number, name: string, text: string, value: unknown) => void,
): void => {
  const { name, len, json } = sections;
  if (!(json instanceof Uint8Array)) throw checkpointCorrupt(`bad ${what} section json`);
  const dec = new TextDecoder('utf-8', { fatal: true });
  let off = 0;
  for (let k = 0; k < n; k++) {
    const l = len[k];
    const nm: unknown = names[name[k]];
    if (typeof nm !== 'string') throw checkpointCorrupt(`bad name of ${what} ${k}`);
    if (l > maxBytes || off + l > json.length) throw checkpointCorrupt(`bad payload length of ${what} ${k}`);
    let text: string;
    let value: unknown;
    try {
      text = dec.decode(json.subarray(off, off + l));
      value = JSON.parse(text);
    } catch {
      throw checkpointCorrupt(`payload of ${what} ${k} is not JSON`);
    }
    off += l;
    visit(k, nm, text, value);
  }
  if (off !== json.length) throw checkpointCorrupt(`${what} payload bytes do not add up`);
};
