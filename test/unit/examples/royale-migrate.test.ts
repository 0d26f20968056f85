/**
 * examples/royale's `migrate` (examples/royale/upgrade.ts) on version-1 checkpoints of every phase,
 * restored as the server restores them (`gameRestoreBuilders`: the rules, then the hook, before any
 * step). Version 1 (test/helpers/royale-v1.ts) kept the roster in a never-firing `roster` timer; the
 * board's state is set here as version 1's round left it. A round in play or in its result phase gets
 * its roster in the world data and loses the timer; a world between rounds (lobby, countdown) has no
 * roster and is left as it is, as is a version-1 world already keeping it in the world data; a roster
 * timer version 1 never wrote refuses the checkpoint. test/integration/examples/royale-upgrade.test.ts
 * plays such a round on, in real processes.
 */
import { describe, expect, it } from 'vitest';
import {
  addComponent,
  createGameWorld,
  getStore,
  getWorldData,
  pauseWorld,
  pendingWorldTimers,
  setWorldData,
  setWorldTimer,
  spawn,
  stepWorld,
} from '../../../src/index.js';
import { captureWorld, encodeCapture, restoreWorld } from '../../../src/persist/world-snapshot.js';
import { gameRestoreBuilders } from '../../../src/server/runtime-persist.js';
import type { SimWorld } from '../../../src/world/sim-world.js';
import { Board, COUNTDOWN, createRoyale, LOBBY, PLAY, RESULT, SEAT_KIND, Seat } from '../../../examples/royale/game.js';
import { boardOf } from '../../../examples/royale/round.js';
import { BoardV1, createRoyaleV1, type RosterV1, setRosterV1 } from '../../helpers/royale-v1.js';

const options = { countdownSeconds: 1, playSeconds: 20, resultSeconds: 1 };
const KEY = 40;
const PIDS = ['t:alice', 't:bob', 't:carol'];

/**
 * A version-1 world at `phase` (round 1, three seats), checkpointed. In play and result its roster is
 * `roster`, set as version 1 set it (a `roster` timer); `inData` sets it as world data instead (the
 * version-1 build that already kept it there).
 */
const v1Checkpoint = async (phase: number, roster: unknown = { key: KEY, pids: PIDS }, inData = false): Promise<Uint8Array> => {
  const w = createGameWorld(createRoyaleV1(options), { id: 'r', seed: 7, capacity: 64, size: 200 });
  pauseWorld(w);
  stepWorld(w, KEY);
  const board = boardOf(w);
  const b = getStore(w, BoardV1);
  b.phase[board] = phase;
  if (phase === PLAY || phase === RESULT) {
    b.key[board] = KEY;
    b.fighters[board] = 3;
    b.alive[board] = phase === PLAY ? 2 : 0;
    for (let i = 0; i < 3; i++)
      addComponent(w, spawn(w, { kind: SEAT_KIND, x: 1, y: 1, replicate: false }), Seat, {
        idx: i,
        hp: 50,
        alive: i < 2 ? 1 : 0,
        x: 100,
        y: 100,
      });
    if (inData) setWorldData(w, roster);
    else setRosterV1(w, board, roster as RosterV1);
  }
  // The phase's one-shot timer, as version 1's setPhase set it (the result phase ends into a new lobby).
  if (phase === COUNTDOWN || phase === RESULT) setWorldTimer(w, 1, 'phase', { round: 1, phase });
  stepWorld(w, 1);
  return encodeCapture(captureWorld(w));
};

/** Restore `bytes` with the current royale, as the server does at start. */
const restoreV2 = async (bytes: Uint8Array): Promise<SimWorld> => {
  const b = gameRestoreBuilders(createRoyale(options));
  const w = await restoreWorld(bytes, { systems: b.systems, install: b.install, ...(b.migrate ? { migrate: b.migrate } : {}) });
  if (!w.clock.paused) pauseWorld(w);
  return w;
};
const rosterTimers = (w: SimWorld): number => pendingWorldTimers(w).filter((t) => t.name === 'roster').length;

describe('royale migrate (version 1 → 2)', () => {
  it('a round in play: the roster moves from the timer into the world data, the timer is cleared', async () => {
    const w = await restoreV2(await v1Checkpoint(PLAY));
    expect(getWorldData(w)).toEqual({ key: KEY, pids: PIDS });
    expect(rosterTimers(w)).toBe(0);
    expect(w.clock.step).toBe(KEY + 1); // not stepped
    const b = getStore(w, Board);
    const board = boardOf(w);
    expect({ key: b.key[board], alive: b.alive[board], fighters: b.fighters[board] }).toEqual({ key: KEY, alive: 2, fighters: 3 });
  });

  it('a round in its result phase: moved, then cleared by the next lobby as version 2 clears it', async () => {
    const w = await restoreV2(await v1Checkpoint(RESULT));
    expect(getWorldData(w)).toEqual({ key: KEY, pids: PIDS });
    expect(rosterTimers(w)).toBe(0);
    stepWorld(w, 30); // the result's phase timer (1 world s) fires: a new lobby
    expect(getWorldData(w)).toBeNull();
    expect(pendingWorldTimers(w)).toEqual([]);
  });

  it('between rounds (lobby, countdown) there is no roster: nothing to move, the world data stays null', async () => {
    for (const phase of [LOBBY, COUNTDOWN]) {
      const w = await restoreV2(await v1Checkpoint(phase));
      expect(getWorldData(w)).toBeNull();
      expect(rosterTimers(w)).toBe(0);
      stepWorld(w, 30); // countdown: play would start with fewer than 2 bodies, back to the lobby
      expect(getWorldData(w)).toBeNull();
    }
  });

  it('a version-1 world that already keeps its roster in the world data is left as it is', async () => {
    const w = await restoreV2(await v1Checkpoint(PLAY, { key: KEY, pids: PIDS }, true));
    expect(getWorldData(w)).toEqual({ key: KEY, pids: PIDS });
    expect(rosterTimers(w)).toBe(0);
  });

  it('a roster timer version 1 never wrote refuses the checkpoint, naming the migration', async () => {
    for (const [roster, problem] of [
      [{ key: KEY, pids: [1, 2, 3] }, 'is not a roster'],
      [{ key: KEY + 1, pids: PIDS }, `key ${KEY + 1} is not the round's key ${KEY}`],
      [{ key: KEY, pids: ['t:alice'] }, '1 player ids for 3 fighters'],
    ] as const) {
      const err = await restoreV2(await v1Checkpoint(PLAY, roster)).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'WT_ERR_CHECKPOINT_INCOMPATIBLE' });
      expect((err as { details: { problems: string[] } }).details.problems).toEqual([
        expect.stringMatching(new RegExp(`^migrate \\(game "royale" version 1 to 2\\) threw: .*${problem.replace(/[()]/g, '\\$&')}`)),
      ]);
    }
  });
});
