/**
 * examples/ctf: a round reward lands exactly once across a crash and a restart on the same SQLite
 * data dir. `examples/ctf/main.ts` runs as a child process (1 s rounds, paused from creation by its
 * config file, stepped through the admin API, checkpoints only at creation). The round ends,
 * carol is rewarded, the process is killed with SIGKILL; the restart restores the world from its
 * creation checkpoint (round 1 still running), so round 1 ends again and the game grants the same
 * reward again: the ledger answers it `replayed`, the wallet is credited once, and carol's ledger
 * holds one entry for round 1.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { MsgType, WireErrorCode, type WebSocketCtor, WorldtickClient } from '../../../src/client/index.js';
import { scoreboard } from '../../../examples/ctf/bot.js';
import { DRAW, DRAW_COINS } from '../../../examples/ctf/game.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { childNodeArgs } from '../../helpers/child-node.js';
import { collectJsonLines } from '../../helpers/log-lines.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const Ws = WebSocket as unknown as WebSocketCtor;
const TOKEN = 'ctf-restart-admin-token';
const CAROL = `t:${createHash('sha256').update('carol').digest('hex').slice(0, 32)}`;

interface Child {
  proc: ChildProcess;
  port: number;
  adminPort: number;
}

describe('ctf round reward across a crash and restart', () => {
  const dir = tempDataDir('wt-ctf-restart-');
  const config = join(dir.dir, 'ctf.json');
  writeFileSync(config, JSON.stringify({ scheduler: { simulation: { pauseSimulation: true } } }));
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    dir.remove();
  });

  const start = async (): Promise<Child> => {
    const args = [...(await childNodeArgs('examples/ctf/main.ts')), '--data-dir', join(dir.dir, 'data'), '--config', config];
    args.push('--port', '0', '--admin-port', '0', '--stats-interval', '0', '--checkpoint-interval', '0');
    const proc = spawn(process.execPath, args, {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WORLDTICK_ADMIN_TOKEN: TOKEN, CTF_ROUND_SECONDS: '1' },
    });
    children.push(proc);
    const lines = collectJsonLines(proc.stdout!);
    for (let i = 0; i < 400; i++) {
      const ready = lines.find((l) => l.msg === 'server ready');
      if (ready) return { proc, port: ready.port as number, adminPort: ready.adminPort as number };
      if (proc.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('examples/ctf/main.ts: no "server ready" line');
  };
  const admin = async (c: Child, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`http://127.0.0.1:${c.adminPort}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  };
  /**
   * Join carol with the world paused. A game message sent right after the hello is held until the
   * hello's store lookup settled and then answered NOT_JOINED: from then on the join waits for the
   * next step, so the step we force applies it.
   */
  const joinCarol = async (c: Child): Promise<WorldtickClient> => {
    const client = new WorldtickClient({ url: `ws://127.0.0.1:${c.port}`, WebSocket: Ws });
    await client.connect();
    const queued = client.waitFor((m) => m.type === MsgType.ERROR && m.code === WireErrorCode.NOT_JOINED);
    const joined = client.join('1', 'carol', 'carol');
    client.sendMessage('pickup', { flag: 1 });
    await queued;
    await admin(c, 'POST', '/worlds/1/scheduler/step', { n: 1 });
    await joined;
    return client;
  };
  /** Force one step and wait for the client's snapshot of it. */
  const stepOnce = async (c: Child, client: WorldtickClient): Promise<void> => {
    const s = (await admin(c, 'POST', '/worlds/1/scheduler/step', { n: 1 })) as { step?: number };
    if (typeof s.step === 'number') await client.waitForStep(s.step - 1);
  };
  /** Step one at a time until `done()` holds (at most `max` steps). */
  const stepUntil = async (c: Child, client: WorldtickClient, done: () => boolean | Promise<boolean>, max: number): Promise<void> => {
    let ok = await done();
    for (let i = 0; i < max && !ok; i++) {
      await stepOnce(c, client);
      ok = await done();
    }
    expect(ok).toBe(true);
  };
  const roundRewards = async (c: Child): Promise<Array<{ key: string; coinsDelta: number }>> => {
    const p = await admin(c, 'GET', `/worlds/1/ledger/players/${CAROL}`);
    return (p.entries as Array<{ key: string; coinsDelta: number }>).filter((e) => e.key.startsWith('game:round:'));
  };

  it('rewards round 1 once, and a restart that re-runs the round end replays it', async () => {
    const first = await start();
    const c1 = await joinCarol(first);
    const coins1: number[] = [];
    c1.on((m) => void (m.type === MsgType.WALLET && coins1.push(m.coins)));
    await stepUntil(first, c1, () => coins1.includes(1000 + DRAW_COINS), 60);
    expect(scoreboard(c1.view)).toMatchObject({ round: 2, winner: DRAW });
    const before = await roundRewards(first);
    expect(before).toHaveLength(1);
    first.proc.kill('SIGKILL');
    await once(first.proc, 'exit');
    c1.close();

    const second = await start();
    const c2 = await joinCarol(second); // the restored world is in round 1 again (its creation checkpoint)
    const coins2: number[] = [];
    c2.on((m) => void (m.type === MsgType.WALLET && coins2.push(m.coins)));
    // Round 1 ends again after the restart; the reward is asked again and answered from the ledger.
    const replays = async (): Promise<boolean[]> => {
      const recent = (await admin(second, 'GET', '/worlds/1/ledger')).recent as Array<{ key: string; replayed: boolean }>;
      return recent.filter((r) => r.key === before[0]?.key).map((r) => r.replayed);
    };
    await stepUntil(second, c2, async () => (await replays()).length > 0 && coins2.length > 0, 60);
    expect(await replays()).toEqual([true]);
    expect(scoreboard(c2.view)).toMatchObject({ round: 2, winner: DRAW });
    expect(await roundRewards(second)).toEqual(before);
    await stepOnce(second, c2);
    expect(coins2.at(-1)).toBe(1000 + DRAW_COINS);
    expect(Math.max(...coins2)).toBe(1000 + DRAW_COINS); // never credited twice
    c2.close();
    second.proc.kill('SIGTERM');
    expect((await once(second.proc, 'exit'))[0]).toBe(0);
  }, 40_000);
});
