/** Player-data store operations (src/store/types.ts `PlayerDataOp`) as the store tests write them; player `p1` unless given. */
import type { PlayerDataOp } from '../../src/store/types.js';

/** Read `key`. */
export const getOp = (key: string, playerId = 'p1'): PlayerDataOp => ({ op: 'get', playerId, key });

/** Write `value` (as JSON) to `key` if its version is `expectedVersion` (null: it must not exist). */
export const putOp = (key: string, value: unknown, expectedVersion: number | null, playerId = 'p1'): PlayerDataOp => ({
  op: 'put',
  playerId,
  key,
  value: JSON.stringify(value),
  expectedVersion,
});

/** Delete `key` if its version is `expectedVersion`. */
export const deleteOp = (key: string, expectedVersion: number | null, playerId = 'p1'): PlayerDataOp => ({
  op: 'delete',
  playerId,
  key,
  expectedVersion,
});
