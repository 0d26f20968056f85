/**
 * examples/royale shipped as a new version onto a live data dir (docs/GAME-API.md "Shipping a new
 * version of your game", examples/royale/README.md "Upgrading from version 1"): real processes on one
 * SQLite data dir, paused and stepped through the admin API.
 *
 * 1. Version 1 (test/helpers/royale-v1-main.ts, the roster in a never-firing `roster` timer), recording
 *    its input log: alice, bob and carol start a round; the zone eliminates carol (paid for third
 *    place by version 1); mid-play the server is stopped with SIGTERM — a checkpoint of the round with
 *    two seats standing.
 * 2. The current version (examples/royale/main.ts, version 2) on the same data dir: its `migrate`
 *    moves the roster into the world data. alice and bob, new sessions, are put back on their seats;
 *    the zone eliminates bob (place 2 of 3) and alice wins, each paid once under the round's key;
 *    carol keeps her one reward. Without the migration the roster is lost: nobody is put back and
 *    nobody is paid.
 * 3. Version 1's input log: refused by version 2's definition before stepping; replayed by version 1's,
 *    every state hash matching.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createRoyale,
  ELIMINATED,
  type EliminatedPayload,
  PLAY,
  placeCoins,
  ROUND_RESULT,
  type RoundResultPayload,
  WIN_COINS,
} from '../../../examples/royale/game.js';
import { readLog } from '../../../src/replay/log-format.js';
import { replayLog } from '../../../src/replay/replayer.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { royaleKit } from '../../helpers/royale-child.js';
import { createRoyaleV1 } from '../../helpers/royale-v1.js';

const TOKEN = 'royale-upgrade-admin-token';
const V1_MAIN = 'test/helpers/royale-v1-main.ts';

describe('royale version 1 checkpointed mid-round, restored by version 2', () => {
  const dir = tempDataDir('wt-royale-upgrade-');
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    dir.remove();
  });
  const env = { ROYALE_MIN_PLAYERS: '3', ROYALE_COUNTDOWN_SECONDS: '1', ROYALE_PLAY_SECONDS: '20', ROYALE_RESULT_SECONDS: '60' };
  const options = { minPlayers: 3, countdownSeconds: 1, playSeconds: 20, resultSeconds: 60 };
  const { start, joinAs, board, rewards, stepUntil } = royaleKit(dir.dir, TOKEN, env, children);
  const logPath = join(dir.dir, 'v1.wtlog');

  it('the round continues with its roster: fighters back on their seats, eliminations and rewards kept', async () => {
    // 1. Version 1: a round of three in play, carol out, then a clean stop.
    const v1 = await start(V1_MAIN, ['--record', logPath]);
    const a1 = await joinAs(v1, 'alice');
    const b1 = await joinAs(v1, 'bob');
    const c1 = await joinAs(v1, 'carol');
    await stepUntil(v1, () => board(a1)?.phase === PLAY, 20, 'play');
    expect(board(a1)).toMatchObject({ fighters: 3, alive: 3 });
    await stepUntil(v1, async () => board(a1)?.alive === 2 && (await rewards(v1, 'carol')).length > 0, 100, 'carol out');
    const paidCarol = await rewards(v1, 'carol');
    expect(paidCarol.map((e) => e.coinsDelta)).toEqual([placeCoins(3, 3)]);
    v1.proc.kill('SIGTERM');
    expect((await once(v1.proc, 'exit'))[0]).toBe(0);
    for (const c of [a1, b1, c1]) c.close();

    // 2. Version 2: the same round, alice and bob back on their seats, carol a camera.
    const v2 = await start(undefined, ['--log-level', 'info']);
    const a2 = await joinAs(v2, 'alice');
    const b2 = await joinAs(v2, 'bob');
    const c2 = await joinAs(v2, 'carol');
    const out: EliminatedPayload[] = [];
    let result: RoundResultPayload | null = null;
    a2.onMessage<EliminatedPayload>(ELIMINATED, (p) => out.push(p));
    a2.onMessage<RoundResultPayload>(ROUND_RESULT, (p) => void (result = p));
    expect(board(a2)).toMatchObject({ phase: PLAY, round: 1, fighters: 3, alive: 2 });
    const done = async (): Promise<boolean> => (await rewards(v2, 'alice')).length > 0 && (await rewards(v2, 'bob')).length > 0;
    await stepUntil(v2, () => result !== null, 100, 'round-result');
    expect(out).toEqual([{ round: 1, player: b2.welcome?.playerId, place: 2, fighters: 3, coins: placeCoins(2, 3) }]);
    expect(result).toEqual({ round: 1, winner: a2.welcome?.playerId, fighters: 3 });
    await stepUntil(v2, done, 10, 'rewards');
    const paidAlice = await rewards(v2, 'alice'),
      paidBob = await rewards(v2, 'bob');
    expect(paidAlice.map((e) => e.coinsDelta)).toEqual([WIN_COINS]);
    expect(paidBob.map((e) => e.coinsDelta)).toEqual([placeCoins(2, 3)]);
    expect(await rewards(v2, 'carol')).toEqual(paidCarol); // paid by version 1, once
    expect(new Set([...paidAlice, ...paidBob, ...paidCarol].map((e) => e.key)).size).toBe(1); // one round, one key
    // Said in the log: the hook ran once, and the rules dropped version 1's Board.roster field.
    expect(v2.lines.filter((l) => l.msg === 'game migrated')).toEqual([
      expect.objectContaining({ world: '1', game: 'royale', from: 1, to: 2 }),
    ]);
    const changed = v2.lines.find((l) => l.msg === 'game definition changed since the checkpoint; its data carried over by the rules');
    expect(changed).toMatchObject({ droppedFields: ['Board.roster'] });
    expect(changed?.droppedTimers).toEqual({}); // the `roster` timer is still declared: migrate read it
    for (const c of [a2, b2, c2]) c.close();
    v2.proc.kill('SIGTERM');
    expect((await once(v2.proc, 'exit'))[0]).toBe(0);

    // 3. Version 1's log: another version's definition is refused; version 1's replays it.
    const log = readLog(logPath);
    await expect(replayLog(log, undefined, { game: createRoyale(options) })).rejects.toMatchObject({
      code: 'WT_ERR_REPLAY_LOG_INVALID',
      message: expect.stringContaining('the log was recorded by version 1 of game "royale", the definition given is version 2'),
    });
    const res = await replayLog(log, undefined, { game: createRoyaleV1(options) });
    expect(res.failure).toBeNull();
    expect(res.checks.length).toBeGreaterThan(5);
    expect(res.checks.every((c) => c.ok)).toBe(true);
  }, 90_000);
});
