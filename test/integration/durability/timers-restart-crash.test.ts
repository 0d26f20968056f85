/**
 * World-time timers across a real crash (docs/GAME-API.md "Timers", docs/DURABILITY.md "Restore at
 * start"): a game server process (test/helpers/timer-game-main.ts: `beat` every 2 world s, one-shots
 * `later` at 60 s and `round-end` at 100 s set by `onWorldCreated`) on a real SQLite file is killed
 * with SIGKILL and started again on the same data dir:
 *
 * 1. from its checkpoint (older than its clock record): the pending one-shots come back with their
 *    due times; `later` fires once, at world time 60; `beat` stays on its grid (2 × k);
 * 2. after a second SIGKILL, with its checkpoints unusable (overwritten with garbage): the world is
 *    rebuilt from its record AT the record's clock — `beat`'s next due time is the first multiple of 2
 *    after it (no stale run with a due time of world 2), and the one-shots `onWorldCreated` sets are
 *    due 60 s / 100 s after that clock, not at 60 / 100 (which would have been already past).
 * (`later` was at 20 s: on a loaded machine run A's checkpoint past world time 4 came so late that the
 * world reached 20 before the kill.)
 * B and C are started ahead (`launchGameProcess`, test/helpers/warm-main.ts): each loads its modules
 * while the one before it runs and opens the data dir only after that one was killed.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDataDir } from '../../helpers/data-dir.js';
import {
  type GameProcessOptions,
  type GameProcess as Proc,
  killHard as kill,
  launchGameProcess,
  type Line,
  startGameProcess,
  waitFor,
} from '../../helpers/game-process.js';

const TOKEN = 'timer-crash-token';

const options = (dataDir: string): GameProcessOptions => ({
  main: 'test/helpers/timer-game-main.ts',
  args: [
    ...['--npcs', '0', '--port', '0', '--admin-port', '0', '--stats-interval', '0'],
    ...['--checkpoint-interval', '0.3', '--time-scale', '8', '--tick-interval', '0.05'],
  ],
  dataDir,
  token: TOKEN,
});
const start = (dataDir: string): Promise<Proc> => startGameProcess(options(dataDir));

/** The next process, started ahead: it loads while the one before it runs and goes once that one was killed. */
const spares: Array<{ kill: () => void }> = [];
const launch = async (dataDir: string) => {
  const l = await launchGameProcess(options(dataDir));
  spares.push(l);
  return l;
};

const checkpointOf = async (p: Proc): Promise<Line> => {
  const res = await fetch(`${p.admin}/worlds/1/stats`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return ((await res.json()) as Line).checkpoint as Line;
};

/** The world record's clock in the store (read beside the running server: WAL readers do not block it); 0 before its first write. */
const recordClock = (dataDir: string): number => {
  const db = new Database(join(dataDir, 'worldtick.sqlite'), { readonly: true });
  try {
    const row = db.prepare("SELECT config FROM world_configs WHERE world_id = '1'").get() as { config: string } | undefined;
    return row ? (JSON.parse(row.config).clock?.now ?? 0) : 0;
  } finally {
    db.close();
  }
};
const timers = (p: Proc, name: string): Line[] => p.lines.filter((l) => l.msg === 'timer' && l.name === name);
const EPS = 1e-6;

const data = tempDataDir('wt-timer-crash-');
afterAll(() => {
  for (const l of spares) l.kill(); // one a failed assertion left waiting
  data.remove();
});

describe('world-time timers after SIGKILL', () => {
  it('keep their world times from a checkpoint, and are anchored at the record clock when the world is rebuilt from its record', async () => {
    // Run A: a fresh world; killed after a checkpoint past world time 4, at world time >= 8.
    const a = await start(data.dir);
    const nextB = await launch(data.dir);
    try {
      await waitFor(async () =>
        (await checkpointOf(a)).lastWorldTime >= 4 && timers(a, 'beat').some((l) => l.due >= 8) ? true : undefined,
      );
    } finally {
      await kill(a);
    }
    expect(timers(a, 'later')).toEqual([]);

    // Run B: restored from the checkpoint; the clock continues from the record (>= the checkpoint's).
    const b = await nextB.go();
    const nextC = await launch(data.dir); // goes after b's SIGKILL and the checkpoints' damage
    let fired: Line[];
    try {
      const restored = (await checkpointOf(b)).restored as Line;
      expect(restored.fromStep).toBeGreaterThan(0);
      const probe = await waitFor(() => b.lines.find((l) => l.msg === 'probe'));
      expect(probe.now).toBeGreaterThanOrEqual(restored.fromWorldTime);
      expect(probe.pending.map((t: Line) => [t.id, t.name, t.due])).toEqual([
        [1, 'later', 60],
        [2, 'round-end', 100],
      ]);
      // Kill B after `later` fired and a checkpoint and the world record (written every 10 steps, in
      // a group-commit window: it may lag the checkpoint) are both past it.
      await waitFor(async () =>
        timers(b, 'later').length && (await checkpointOf(b)).lastWorldTime > 61 && recordClock(data.dir) > 61 ? true : undefined,
      );
      fired = timers(b, 'later');
    } finally {
      await kill(b);
    }
    expect(fired.map((l) => [l.id, l.due])).toEqual([[1, 60]]);
    expect(fired[0].now).toBeCloseTo(60, 6); // in the step that reached its due time, not a catch-up
    for (const l of timers(b, 'beat')) expect(l.due % 2).toBeCloseTo(0, 9); // the grid 2 × k

    // The checkpoints become unusable (garbage bytes): the world must come back from its record.
    const db = new Database(join(data.dir, 'worldtick.sqlite'));
    const n = db.prepare("UPDATE checkpoints SET data = x'deadbeef00' WHERE world_id = '1'").run().changes;
    const rec = JSON.parse((db.prepare("SELECT config FROM world_configs WHERE world_id = '1'").get() as { config: string }).config);
    db.close();
    expect(n).toBeGreaterThan(0);
    const recordNow = rec.clock.now as number;
    expect(recordNow).toBeGreaterThan(61);

    // Run C: rebuilt from the record, at its clock.
    const c = await nextC.go();
    try {
      expect(((await checkpointOf(c)).restored as Line).fromStep).toBe(-1); // no checkpoint used
      const probe = await waitFor(() => c.lines.find((l) => l.msg === 'probe'));
      expect(probe.now).toBeCloseTo(recordNow, 9);
      expect(probe.step).toBe(rec.clock.step);
      // onWorldCreated ran at the record's clock: its one-shots are relative to it.
      expect(probe.pending.map((t: Line) => [t.name, t.due])).toEqual([
        ['later', recordNow + 60],
        ['round-end', recordNow + 100],
      ]);
      const beat = await waitFor(() => timers(c, 'beat')[0]);
      expect(beat.due).toBeGreaterThan(recordNow - EPS); // no stale run for a due time before the clock
      expect(beat.due % 2).toBeCloseTo(0, 9);
      expect(beat.now).toBeCloseTo(beat.due, 6); // run in the step reaching it (phase kept)
      expect(timers(c, 'later')).toEqual([]);
    } finally {
      await kill(c);
    }
  }, 90_000);
});
