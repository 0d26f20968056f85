/**
 * examples/royale (or its version-1 fixture, test/helpers/royale-v1-main.ts) as a child process on one
 * SQLite data dir, paused by its config file and stepped through the admin API, with checkpoints only
 * at creation and at a clean stop — what royale-restart.test.ts and royale-upgrade.test.ts drive:
 * start a process, step it, join it as a player, read the board and the rewards in the ledger.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { expect } from 'vitest';
import { MsgType, type WebSocketCtor, WorldtickClient } from '../../src/client/index.js';
import { BOARD_KIND } from '../../examples/royale/game.js';
import { type Line, startGameProcess } from './game-process.js';

const Ws = WebSocket as unknown as WebSocketCtor;
/** The durable player id of a client token (as the server derives it). */
export const pidOf = (token: string): string => `t:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;

export interface RoyaleChild {
  proc: ChildProcess;
  port: number;
  adminPort: number;
  /** Its stdout's JSON log lines. */
  lines: Line[];
}
/** A ledger entry of a player (`GET /worlds/1/ledger/players/<id>`). */
export interface Entry {
  key: string;
  coinsDelta: number;
}

/**
 * A kit on the data dir `dir` (its `data` folder; its config file `royale.json` pauses the world):
 * `start(main?, args?)` starts `examples/royale/main.ts` (or `main`) with the `ROYALE_*` variables
 * `env`; every child started is pushed on `children` (the test kills what is left in its afterAll).
 */
export const royaleKit = (dir: string, token: string, env: Record<string, string>, children: ChildProcess[]) => {
  const config = join(dir, 'royale.json');
  writeFileSync(config, JSON.stringify({ scheduler: { simulation: { pauseSimulation: true } } }));
  const data = join(dir, 'data');

  const start = async (main = 'examples/royale/main.ts', more: readonly string[] = []): Promise<RoyaleChild> => {
    const args = ['--data-dir', data, '--config', config, '--port', '0', '--admin-port', '0', '--stats-interval', '0'];
    const p = await startGameProcess({ main, args: [...args, '--checkpoint-interval', '0', ...more], dataDir: data, token, env });
    children.push(p.child);
    return { proc: p.child, port: p.port, adminPort: p.adminPort, lines: p.lines };
  };
  const admin = async (c: RoyaleChild, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`http://127.0.0.1:${c.adminPort}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  };
  const stepN = (c: RoyaleChild, n: number): Promise<Record<string, unknown>> => admin(c, 'POST', '/worlds/1/scheduler/step', { n });
  /** Join the paused world: step one at a time until the welcome arrives. */
  const joinAs = async (c: RoyaleChild, name: string): Promise<WorldtickClient> => {
    const client = new WorldtickClient({ url: `ws://127.0.0.1:${c.port}`, WebSocket: Ws });
    await client.connect();
    let joined = false;
    const p = client.join('1', name, name).then(() => void (joined = true));
    for (let i = 0; i < 400 && !joined; i++) {
      await stepN(c, 1);
      await new Promise((r) => setTimeout(r, 2));
    }
    await p;
    return client;
  };
  /** The board's replicated fields as `client` sees them (null before the first snapshot). */
  const board = (client: WorldtickClient): Record<string, number> | null => {
    for (const e of client.view.entities.values()) if (e.kind === BOARD_KIND && e.fields) return e.fields;
    return null;
  };
  /** The player's royale rewards in the ledger (`who`: its token). */
  const rewards = async (c: RoyaleChild, who: string): Promise<Entry[]> => {
    const p = await admin(c, 'GET', `/worlds/1/ledger/players/${pidOf(who)}`);
    return (p.entries as Entry[]).filter((e) => e.key.startsWith('game:royale-'));
  };
  /** Step in batches of 10 until `done()` holds (at most `max` batches). */
  const stepUntil = async (c: RoyaleChild, done: () => Promise<boolean> | boolean, max: number, what: string): Promise<void> => {
    for (let i = 0; i < max; i++) {
      if (await done()) return;
      await stepN(c, 10);
      await new Promise((r) => setTimeout(r, 5));
    }
    if (!(await done())) throw new Error(`${what}: not reached`);
  };
  /** Every wallet's coins `client` is sent from now on. */
  const wallets = (client: WorldtickClient): number[] => {
    const coins: number[] = [];
    client.on((m) => void (m.type === MsgType.WALLET && coins.push(m.coins)));
    return coins;
  };
  return { start, admin, stepN, joinAs, board, rewards, stepUntil, wallets };
};
