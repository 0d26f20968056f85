/**
 * Royale's data versions and the upgrade between them (docs/GAME-API.md "Shipping a new version of
 * your game"; README "Upgrading from version 1"). Public API only.
 *
 * - **Version 1** kept the round's roster (durable player ids in seat order) as the JSON payload of a
 *   one-shot `roster` timer that never fires (due in 30 days, cleared at the next lobby), its id in a
 *   `Board.roster` field.
 * - **Version 2** keeps it in the world data (`setWorldData`). A version-1 checkpoint taken mid-round
 *   holds the roster in that pending timer: {@link migrateRoyale} moves it. The server's rules run
 *   first and drop what version 2 does not declare — the `Board.roster` field, and pending timers of
 *   an undeclared name — so version 2 still declares the `roster` timer ({@link V1_ROSTER_TIMER}, a
 *   handler that does nothing) for the hook to find it. Drop that declaration in version 3, once no
 *   version-1 checkpoint is left to restore.
 */
import { clearWorldTimer, getStore, type MigrateContext, pendingWorldTimers, setWorldData, type TimerDef } from '../../src/index.js';
import { Board, boardOf, type Roster } from './round.js';

/** The version of royale's data this code writes (`defineGame({ version })`). */
export const ROYALE_VERSION = 2;

/** Version 1's roster timer, declared by version 2 so that a version-1 checkpoint's pending one is restored for {@link migrateRoyale}. */
export const V1_ROSTER_TIMER: TimerDef = { name: 'roster', run: () => {} };

const isRoster = (v: unknown): v is Roster =>
  typeof v === 'object' &&
  v !== null &&
  Number.isInteger((v as Roster).key) &&
  Array.isArray((v as Roster).pids) &&
  (v as Roster).pids.every((p) => typeof p === 'string');

/**
 * The `migrate` hook: on a world restored from a version-1 checkpoint, before its first step, move the
 * roster from the pending `roster` timer into the world data and clear the timer. Between rounds
 * (lobby, countdown) version 1 had no roster: nothing to do. A world of a version-1 build that already
 * kept it in the world data has no such timer either: left as it is. Deterministic, world state only;
 * it throws — the checkpoint is refused (`WT_ERR_CHECKPOINT_INCOMPATIBLE`) — on a roster version 1
 * never wrote, rather than run a round whose fighters and rewards it cannot tell apart.
 */
export const migrateRoyale = ({ world, from }: MigrateContext): void => {
  if (from >= 2) return;
  const timers = pendingWorldTimers(world).filter((t) => t.name === V1_ROSTER_TIMER.name);
  if (timers.length === 0) return;
  const [t] = timers;
  if (timers.length > 1) throw new Error(`${timers.length} pending roster timers; version 1 keeps one`);
  const board = boardOf(world);
  if (board === 0) throw new Error('a roster timer but no board');
  const key = getStore(world, Board).key[board],
    fighters = getStore(world, Board).fighters[board];
  const r = t.payload;
  if (!isRoster(r)) throw new Error(`roster timer ${t.id}: its payload is not a roster { key, pids: string[] }`);
  if (r.key !== key) throw new Error(`roster timer ${t.id}: key ${r.key} is not the round's key ${key}`);
  if (r.pids.length !== fighters) throw new Error(`roster timer ${t.id}: ${r.pids.length} player ids for ${fighters} fighters`);
  setWorldData(world, { key: r.key, pids: r.pids } satisfies Roster);
  clearWorldTimer(world, t.id);
};
