/**
 * examples/royale across restarts, `examples/royale/main.ts` as a child process on one SQLite data
 * dir (paused by its config file, stepped through the admin API, checkpoints only at creation and
 * at a clean stop):
 *
 * 1. alice and bob start a round; mid-play the server is stopped with SIGTERM (a checkpoint of the
 *    round in play: two seats standing, the roster in the world data);
 * 2. the restart restores the round; alice and bob, new sessions with new entities, are put back on
 *    their seats; the zone eliminates bob and alice wins: each is paid once for its place; then the
 *    process is killed with SIGKILL;
 * 3. the next start restores the SIGTERM checkpoint again — the round in play — with its clock at the
 *    last clock record, so the same end is played again: the same rewards are asked again and the
 *    ledger answers them `replayed`; each player holds one entry for the round and its wallet was
 *    credited once.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { ELIMINATED, type EliminatedPayload, PLAY, placeCoins, WIN_COINS } from '../../../examples/royale/game.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { royaleKit } from '../../helpers/royale-child.js';

const TOKEN = 'royale-restart-admin-token';
const START = 1000;

describe('royale rewards across a clean stop, a crash and two restarts', () => {
  const dir = tempDataDir('wt-royale-restart-');
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    dir.remove();
  });
  const env = { ROYALE_COUNTDOWN_SECONDS: '1', ROYALE_PLAY_SECONDS: '20', ROYALE_RESULT_SECONDS: '60' };
  const { start, admin, stepN, joinAs, board, rewards, stepUntil, wallets } = royaleKit(dir.dir, TOKEN, env, children);

  it('pays each fighter once for its place, though the round end runs again after the crash', async () => {
    // 1. A round in play, then a clean stop (its checkpoint holds the round).
    const first = await start();
    const a1 = await joinAs(first, 'alice');
    const b1 = await joinAs(first, 'bob');
    await stepUntil(first, () => board(a1)?.phase === PLAY && board(b1)?.phase === PLAY, 10, 'play');
    expect(board(a1)).toMatchObject({ fighters: 2, alive: 2 });
    first.proc.kill('SIGTERM');
    expect((await once(first.proc, 'exit'))[0]).toBe(0);
    a1.close();
    b1.close();

    // 2. Back on their seats; bob is eliminated (by his new entity), alice wins; each paid once. Then a crash.
    const second = await start();
    const a2 = await joinAs(second, 'alice');
    const b2 = await joinAs(second, 'bob');
    const out: EliminatedPayload[] = [];
    a2.onMessage<EliminatedPayload>(ELIMINATED, (p) => out.push(p));
    expect(board(a2)).toMatchObject({ phase: PLAY, fighters: 2, alive: 2 });
    const done = async (): Promise<boolean> => (await rewards(second, 'alice')).length > 0 && (await rewards(second, 'bob')).length > 0;
    await stepUntil(second, done, 200, 'rewards');
    const paidAlice = await rewards(second, 'alice'),
      paidBob = await rewards(second, 'bob');
    expect(paidAlice.map((e) => e.coinsDelta)).toEqual([WIN_COINS]);
    expect(paidBob.map((e) => e.coinsDelta)).toEqual([placeCoins(2, 2)]);
    expect(out).toEqual([{ round: 1, player: b2.welcome?.playerId, place: 2, fighters: 2, coins: placeCoins(2, 2) }]);
    const crashStep = (await admin(second, 'GET', '/worlds/1')).step as number;
    second.proc.kill('SIGKILL');
    await once(second.proc, 'exit');
    a2.close();
    b2.close();

    // 3. The SIGTERM checkpoint again: the round in play, its end played again and replayed by the ledger.
    const third = await start();
    // The round key is the step play began at: it relies on the step continuing from the last clock
    // record (at most 10 steps back), never from the older checkpoint's step.
    expect((await admin(third, 'GET', '/worlds/1')).step as number).toBeGreaterThanOrEqual(crashStep - 10);
    const a3 = await joinAs(third, 'alice');
    const coinsA = wallets(a3);
    const b3 = await joinAs(third, 'bob');
    const coinsB = wallets(b3);
    const replays = async (): Promise<boolean[]> => {
      const recent = (await admin(third, 'GET', '/worlds/1/ledger')).recent as Array<{ key: string; replayed: boolean }>;
      return recent.filter((r) => r.key === paidAlice[0]?.key || r.key === paidBob[0]?.key).map((r) => r.replayed);
    };
    await stepUntil(third, async () => (await replays()).length >= 2 && coinsA.length > 0 && coinsB.length > 0, 200, 'replays');
    expect(await replays()).toEqual([true, true]);
    expect(await rewards(third, 'alice')).toEqual(paidAlice);
    expect(await rewards(third, 'bob')).toEqual(paidBob);
    await stepN(third, 2);
    expect(Math.max(...coinsA)).toBe(START + WIN_COINS); // never credited twice
    expect(Math.max(...coinsB)).toBe(START + placeCoins(2, 2));
    a3.close();
    b3.close();
    third.proc.kill('SIGTERM');
    expect((await once(third.proc, 'exit'))[0]).toBe(0);
  }, 60_000);
});
