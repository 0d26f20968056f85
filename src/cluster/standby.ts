/**
 * Which instances keep a standby copy of a stored admin world (docs/CLUSTER.md "Standby copies").
 * Rendezvous (highest-random-weight) hashing: each instance scores `sha256(worldId \0 instanceId)`;
 * the `n` highest scores keep a copy. Every instance computes the same ranking from the same ids
 * without talking to the others, worlds spread evenly over instances, and an instance joining or
 * leaving moves only the copies it ranks for.
 */
import { createHash } from 'node:crypto';

/** Rendezvous score of `instanceId` for `worldId` (48 bits of sha256, an integer). */
const score = (worldId: string, instanceId: string): number =>
  createHash('sha256').update(worldId).update('\0').update(instanceId).digest().readUIntBE(0, 6);

/** `instanceIds` (deduplicated) ranked for `worldId`, best first; ties (never in practice) by id. */
export const rendezvousRank = (worldId: string, instanceIds: readonly string[]): string[] =>
  [...new Set(instanceIds)]
    .map((id) => ({ id, s: score(worldId, id) }))
    .sort((a, b) => b.s - a.s || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((x) => x.id);

/**
 * Whether instance `me` keeps a standby copy of `worldId` when `copies` instances should, ranked
 * among `live` plus `me`: `copies` < 0 → every instance does; 0 → none.
 */
export const keepsStandbyCopy = (worldId: string, me: string, live: readonly string[], copies: number): boolean =>
  copies < 0 ||
  (copies > 0 &&
    rendezvousRank(worldId, [...live, me])
      .slice(0, copies)
      .includes(me));
