/**
 * The ingest phase's drain: how facts leave the type buffers of one lane and are applied to the
 * world. Lanes and their order, budgets and counters are kept by `IngestBuffers`
 * (ingest-buffers.ts), which calls these; nothing here allocates per fact.
 */
import type { CoreWorld } from '../core/world-core.js';
import { pendingOf, popOne, type TypeBuffer } from './type-buffer.js';

/** Observer of applied facts (see `IngestBuffers.tap` in ingest-buffers.ts): type, key and the fact as pushed. */
export type IngestTap = (type: string, key: number, fact: unknown) => void;

/** A lane: the types it drains, its weight in the shared budget, or `floor` (drained in full). */
export interface Lane {
  name: string;
  weight: number;
  floor: boolean;
  types: TypeBuffer[];
  /** Rotating start so no type in a lane starves under a tight budget. */
  cursor: number;
}

/** Facts waiting in all of a lane's types. */
export const lanePending = (lane: Lane): number => {
  let n = 0;
  for (let i = 0; i < lane.types.length; i++) n += pendingOf(lane.types[i]);
  return n;
};

/** Drain up to `max` facts from a lane, its types in turn from a rotating start. */
export const drainLane = (world: CoreWorld, lane: Lane, max: number, tap: IngestTap | null): number => {
  const types = lane.types;
  const n = types.length;
  if (n === 0 || max <= 0) return 0;
  let done = 0;
  let active = n;
  // Round-robin one fact at a time would be fairest but costs a call per fact; give each type
  // an equal slice per round instead, and keep going while facts and budget remain.
  while (done < max && active > 0) {
    active = 0;
    const slice = Math.max(1, Math.floor((max - done) / n));
    for (let j = 0; j < n && done < max; j++) {
      const buf = types[(lane.cursor + j) % n];
      if (pendingOf(buf) === 0) continue;
      done += drainType(world, buf, Math.min(slice, max - done), tap);
      if (pendingOf(buf) > 0) active++;
    }
  }
  lane.cursor = (lane.cursor + 1) % n;
  return done;
};

/** Apply up to `max` facts of one type in arrival order. */
export const drainType = (world: CoreWorld, buf: TypeBuffer, max: number, tap: IngestTap | null): number => {
  let n = 0;
  // Two clock reads per type and drain, not per fact: which message handler or fact a slow ingest phase spent its time in.
  const t0 = performance.now();
  const map = buf.map;
  if (map) {
    // One iterator per drain (deleting the current entry while iterating is safe for a Map);
    // a fresh iterator per fact would rescan deleted slots.
    for (const [key, fact] of map) {
      if (n >= max) break;
      map.delete(key);
      applyOne(world, buf, key, fact, tap);
      n++;
    }
  } else {
    while (n < max && buf.count > 0) {
      popOne(buf);
      const fact = buf.outFact;
      buf.outFact = undefined;
      applyOne(world, buf, buf.outKey, fact, tap);
      n++;
    }
  }
  buf.drained += n;
  buf.drainedLastStep += n;
  const ms = performance.now() - t0;
  buf.applyMs += ms;
  buf.applyMsLastStep += ms;
  return n;
};

/** Apply one fact (the tap sees it first); a throwing apply is counted in `applyErrors` and skipped. */
export const applyOne = (world: CoreWorld, buf: TypeBuffer, key: number, fact: unknown, tap: IngestTap | null): void => {
  if (tap !== null) tap(buf.type, key, fact);
  try {
    buf.apply(world, key, fact);
  } catch (err) {
    buf.applyErrors++;
    buf.lastApplyError = err ?? null; // logged by the runtime's step log (src/server/step-log.ts)
  }
};
