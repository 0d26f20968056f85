/**
 * Game facts waiting for a step across a real crash (docs/DURABILITY.md "World checkpoints", schema
 * 5; docs/GAME-API.md "Facts from outside the step"): a game server process
 * (test/helpers/fact-game-main.ts: fact `add` adds `n` to a checkpointed `Sum`) on a real SQLite file,
 * its world paused and stepped through the admin API, is killed with SIGKILL and started again on the
 * same data dir.
 *
 * Run A: fact `a` (n 5) is delivered from a promise callback and waits; a checkpoint is taken; one step
 * applies `a` (total 5: after the checkpoint, before the kill); fact `b` (n 100) is delivered after the
 * checkpoint; SIGKILL.
 * Run B (from that checkpoint): `a` is waiting again and the total is the checkpoint's (0); the first
 * step applies `a` once (total 5), further steps nothing; `b` never comes back (delivered after the
 * checkpoint: its promise died with the process). A checkpoint after the step; SIGKILL.
 * Run C (from B's last checkpoint): total 5, nothing waiting, nothing applied again.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { tempDataDir } from '../../helpers/data-dir.js';
import { type GameProcess as Proc, killHard as kill, type Line, startGameProcess, waitFor } from '../../helpers/game-process.js';

const TOKEN = 'fact-crash-token';

const start = (dataDir: string): Promise<Proc> =>
  startGameProcess({
    main: 'test/helpers/fact-game-main.ts',
    args: [
      ...['--npcs', '0', '--port', '0', '--admin-port', '0', '--stats-interval', '0', '--log-level', 'warn'],
      ...['--checkpoint-interval', '0', '--tick-interval', '0.05'],
    ],
    dataDir,
    token: TOKEN,
    readyMsg: 'ready',
  });

const api = async (p: Proc, method: string, path: string, body?: unknown): Promise<Line> => {
  const res = await fetch(`${p.admin}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(res.status, `${method} ${path}`).toBe(200);
  return (await res.json()) as Line;
};

const metrics = async (p: Proc): Promise<string> => {
  const res = await fetch(`${p.admin.replace(/\/api\/v1$/, '')}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return res.text();
};

/** Send a command and wait for the `msg` line it answers with (the `nth` one of that kind in the process). */
const command = async (p: Proc, cmd: object, msg: string): Promise<Line> => {
  const seen = p.lines.filter((l) => l.msg === msg).length;
  p.child.stdin.write(`${JSON.stringify(cmd)}\n`);
  return waitFor(() => p.lines.filter((l) => l.msg === msg)[seen]);
};

const applied = (p: Proc): Line[] => p.lines.filter((l) => l.msg === 'applied');

const data = tempDataDir('wt-fact-crash-');
afterAll(() => data.remove());

describe('game facts waiting for a step, after SIGKILL', () => {
  it('a fact waiting at the checkpoint is applied exactly once in the world that comes back', async () => {
    // Run A.
    const a = await start(data.dir);
    let ckStep: number;
    try {
      await api(a, 'POST', '/worlds/1/scheduler/pause');
      expect((await command(a, { cmd: 'deliver', tag: 'a', n: 5 }, 'delivered')).ok).toBe(true);
      const ck = await command(a, { cmd: 'checkpoint' }, 'checkpointed');
      expect(ck.error).toBeNull();
      ckStep = ck.step;
      await api(a, 'POST', '/worlds/1/scheduler/step', { n: 1 });
      await waitFor(() => applied(a)[0]);
      expect((await command(a, { cmd: 'deliver', tag: 'b', n: 100 }, 'delivered')).ok).toBe(true);
      expect((await command(a, { cmd: 'probe' }, 'probe')).stats.pending).toEqual({ add: 1 }); // `b`, after the checkpoint
    } finally {
      await kill(a);
    }
    expect(applied(a).map((l) => [l.tag, l.total])).toEqual([['a', 5]]);

    // Run B: from the checkpoint, where `a` was waiting.
    const b = await start(data.dir);
    try {
      const stats = await api(b, 'GET', '/worlds/1/stats');
      expect(stats.checkpoint.restored.fromStep).toBe(ckStep);
      const before = await command(b, { cmd: 'probe' }, 'probe');
      expect(before.total).toBe(0); // the checkpoint's state: `a` not applied yet
      expect(before.stats).toMatchObject({ pending: { add: 1 }, applied: 0 });
      expect(before.stats.pendingBytes).toBe(Buffer.byteLength(JSON.stringify({ tag: 'a', n: 5 })));
      expect(await metrics(b)).toMatch(/^worldtick_game_facts_pending\{world="1",fact="add"\} 1$/m);
      await api(b, 'POST', '/worlds/1/scheduler/step', { n: 3 });
      const after = await command(b, { cmd: 'probe' }, 'probe');
      expect(after.total).toBe(5);
      expect(after.stats).toMatchObject({ pending: { add: 0 }, pendingBytes: 0, applied: 1 });
      // In the first step the restored world ran (its clock continues from the record: not before the checkpoint's step).
      expect(applied(b).map((l) => [l.tag, l.total])).toEqual([['a', 5]]);
      expect(applied(b)[0].step).toBeGreaterThanOrEqual(ckStep);
      expect(applied(b)[0].step).toBe(after.step - 3);
      const m = await metrics(b);
      expect(m).toMatch(/^worldtick_game_facts_total\{world="1",outcome="applied"\} 1$/m);
      expect(m).toMatch(/^worldtick_game_facts_pending_bytes\{world="1"\} 0$/m);
      expect((await command(b, { cmd: 'checkpoint' }, 'checkpointed')).error).toBeNull();
    } finally {
      await kill(b);
    }

    // Run C: from B's checkpoint, taken after `a` was applied: nothing waits, nothing applies again.
    const c = await start(data.dir);
    try {
      const probe = await command(c, { cmd: 'probe' }, 'probe');
      expect(probe.total).toBe(5);
      expect(probe.stats.pending).toEqual({ add: 0 });
      await api(c, 'POST', '/worlds/1/scheduler/step', { n: 2 });
      expect((await command(c, { cmd: 'probe' }, 'probe')).total).toBe(5);
      expect(applied(c)).toEqual([]);
    } finally {
      await kill(c);
    }
  }, 90_000);
});
