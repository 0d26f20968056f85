/**
 * A game's component stores after a crash: a game server process (test/helpers/counter-game-main.ts,
 * a `Counter` store whose `n` grows by `1 + eid % 3` per step) takes periodic checkpoints, is
 * killed with SIGKILL, and started again on the same data dir. The restored world's counters are
 * exactly those of the checkpoint it came from (`n = S * (1 + eid % 3)` at its step S), not their
 * defaults — checked by the game's own probe before the first step after the restart.
 */
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDataDir } from '../../helpers/data-dir.js';
import { type GameProcess as Proc, startGameProcess, waitFor } from '../../helpers/game-process.js';

const TOKEN = 'game-crash-token';

const start = (dataDir: string): Promise<Proc> =>
  startGameProcess({
    main: 'test/helpers/counter-game-main.ts',
    args: ['--npcs', '30', '--port', '0', '--admin-port', '0', '--stats-interval', '0', '--checkpoint-interval', '0.3'],
    dataDir,
    token: TOKEN,
  });

const stats = async (p: Proc): Promise<Record<string, any>> => {
  const res = await fetch(`${p.admin}/worlds/1/stats`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return (await res.json()) as Record<string, any>;
};

const data = tempDataDir('wt-game-crash-');
afterAll(() => data.remove());

describe('game component stores after SIGKILL', () => {
  it('the restored world has the counters of the checkpoint it came from', async () => {
    const a = await start(data.dir);
    try {
      const first = await waitFor(() => a.lines.find((l) => l.msg === 'counters'));
      expect(first.q).toEqual(new Array(30).fill(0)); // a fresh world
      // A periodic checkpoint past step 0, then the kill.
      for (let i = 0; i < 200 && !((await stats(a)).checkpoint?.lastStep > 10); i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      a.child.kill('SIGKILL');
      await once(a.child, 'exit');
    }
    const b = await start(data.dir);
    try {
      const fromStep = (await stats(b)).checkpoint.restored.fromStep as number;
      expect(fromStep).toBeGreaterThan(10);
      const probe = await waitFor(() => b.lines.find((l) => l.msg === 'counters'));
      expect(probe.q).toEqual(new Array(30).fill(fromStep));
    } finally {
      b.child.kill('SIGTERM');
      await once(b.child, 'exit');
    }
  }, 60_000);
});
