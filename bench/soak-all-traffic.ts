/**
 * The traffic of bench/soak-all.ts besides the agents of bench/soak-clients.ts: short-lived worlds
 * created and deleted through the admin API (two agents play in each while it lives), admin kicks of
 * the agents' players, hostile sockets sending the fuzz generators' malformed frames
 * (test/fuzz-helpers/frames.ts), the bots CLI (`src/bots/main.ts`, scenario `churn`) as a child
 * process, and one purchase whose key is repeated across a restart (`buyOnce`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pack, unpack } from 'msgpackr';
import WebSocket from 'ws';
import { playerIdOfToken } from '../src/net/durable-sessions.js';
import { hostileFrame } from '../test/fuzz-helpers/frames.js';
import { createRng } from '../test/fuzz-helpers/rng.js';
import { admin, sleep } from './crash-campaign-server.js';
import { rng, runAgent, type Traffic } from './soak-clients.js';

const BOTS_MAIN = fileURLToPath(new URL('../src/bots/main.ts', import.meta.url));

/** What the traffic of this file did (counts by outcome). */
export interface MixCounts {
  worldsCreated: number;
  worldsDeleted: number;
  worldFailures: Record<string, number>;
  kicks: Record<string, number>;
  hostileConnections: number;
  hostileFrames: number;
  hostileCloses: Record<string, number>;
}

export const newMixCounts = (): MixCounts => ({
  worldsCreated: 0,
  worldsDeleted: 0,
  worldFailures: {},
  kicks: {},
  hostileConnections: 0,
  hostileFrames: 0,
  hostileCloses: {},
});

const bump = (m: Record<string, number>, k: string): void => {
  m[k] = (m[k] ?? 0) + 1;
};

/** Where the traffic goes. */
export interface Target {
  url: string;
  adminPort: number;
  /** Resume grace of the server, wall ms. */
  graceMs: number;
}

/** The catalogue item of the default game (`npm start`: examples/life-sim, the ledger's default catalogue). */
const AGENT_GOODS = { item: 'arrow', price: 1, gameBuys: false } as const;

/** Agents of the default world `'1'`: ids 0..n-1, identities `soak-<id>-<k>` (k < pool). */
export const runWorldAgents = (tg: Target, n: number, pool: number, t: Traffic, stop: () => boolean): Array<Promise<void>> =>
  Array.from({ length: n }, (_, id) => runAgent({ url: tg.url, id, pool, graceMs: tg.graceMs, stop, t, ...AGENT_GOODS }));

let worldSerial = 0;

/**
 * Short-lived worlds until `stop()`: create `soak-w-<n>` (`npcs` NPCs), two agents play in it for
 * `lifeMs`, delete it (its sessions closed 4012), the next one `gapMs` later.
 */
export const runWorldChurn = async (
  tg: Target,
  o: { npcs: number; lifeMs: number; gapMs: number },
  t: Traffic,
  c: MixCounts,
  stop: () => boolean,
): Promise<void> => {
  while (!stop()) {
    const n = ++worldSerial;
    const id = `soak-w-${n}`;
    const r = await admin(tg.adminPort, 'POST', '/api/v1/worlds', { id, npcs: o.npcs }).catch(() => null);
    if (r?.status !== 201) bump(c.worldFailures, `create ${r?.status ?? 0} ${r?.json?.error?.code ?? ''}`);
    else c.worldsCreated++;
    let ended = false;
    const agents = [0, 1].map((k) =>
      runAgent({ url: tg.url, id: 100_000 + n * 2 + k, pool: 2, graceMs: tg.graceMs, stop: () => ended, t, world: id, ...AGENT_GOODS }),
    );
    await sleep(o.lifeMs);
    const d = await admin(tg.adminPort, 'DELETE', `/api/v1/worlds/${id}`).catch(() => null);
    if (d?.status === 200) c.worldsDeleted++;
    else bump(c.worldFailures, `delete ${d?.status ?? 0} ${d?.json?.error?.code ?? ''}`);
    ended = true;
    await Promise.all(agents);
    await sleep(o.gapMs);
  }
};

/** Kick a random agent identity of world `'1'` every `everyMs` (404 when it is not connected then). */
export const runKicks = async (
  tg: Target,
  agents: number,
  pool: number,
  everyMs: number,
  c: MixCounts,
  stop: () => boolean,
): Promise<void> => {
  const r = rng(99);
  while (!stop()) {
    const token = `soak-${Math.floor(r() * agents)}-${Math.floor(r() * pool)}`;
    const res = await admin(tg.adminPort, 'POST', `/api/v1/worlds/1/players/${playerIdOfToken(token)}/kick`, { reason: 'soak' }).catch(
      () => null,
    );
    bump(c.kicks, `${res?.status ?? 0}${res?.status === 200 ? '' : ` ${res?.json?.error?.code ?? ''}`}`);
    await sleep(everyMs);
  }
};

/**
 * One hostile client until `stop()`: a socket that now and then says hello first, then sends
 * generated malformed frames (≈ 20/s) until the server closes it; then the next socket.
 */
export const runHostile = async (tg: Target, seed: number, maxPayload: number, c: MixCounts, stop: () => boolean): Promise<void> => {
  const g = createRng(seed);
  let n = 0;
  while (!stop()) {
    n++;
    c.hostileConnections++;
    const ws = new WebSocket(tg.url);
    ws.on('error', () => {});
    const closed = new Promise<number>((res) => ws.on('close', (code) => res(code)));
    let open = false;
    ws.on('open', () => {
      open = true;
      if (g.chance(0.5)) ws.send(pack([1, 1, '1', 'hostile', `soak-hostile-${seed}-${n % 5}`, null]), { binary: true });
    });
    const sender = (async () => {
      while (!stop() && ws.readyState !== WebSocket.CLOSED && ws.readyState !== WebSocket.CLOSING) {
        if (open) {
          ws.send(hostileFrame(g, '1', maxPayload), { binary: true });
          c.hostileFrames++;
        }
        await sleep(50);
      }
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
    })();
    bump(c.hostileCloses, String(await closed));
    await sender;
    await sleep(100);
  }
};

/** The bots CLI in a child process: `clients` bots, `churnRate` leaving and as many joining per second, for `seconds`. */
export const startBots = (tg: Target, o: { clients: number; churnRate: number; seconds: number; report: string }): ChildProcess =>
  spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      BOTS_MAIN,
      '--url',
      tg.url,
      '--scenario',
      'churn',
      '--clients',
      String(o.clients),
      '--churn-rate',
      String(o.churnRate),
      '--duration',
      String(o.seconds),
      '--warmup',
      '0',
      '--full-every',
      '10',
      '--no-progress',
      '--report',
      o.report,
    ],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );

/** SIGINT the bots (they write a partial report) and wait for their exit code. */
export const stopBots = async (p: ChildProcess): Promise<number | null> => {
  if (p.exitCode !== null) return p.exitCode;
  const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
  p.kill('SIGINT');
  return exited;
};

/** Join world `'1'` as `token`, buy one `arrow` with `key`, answer its txResult `{status, replayed, code}` (null: no answer in 10 s). */
export const buyOnce = (url: string, token: string, key: string): Promise<{ status: string; replayed: boolean; code: unknown } | null> =>
  new Promise((resolve) => {
    const ws = new WebSocket(url);
    const done = (v: { status: string; replayed: boolean; code: unknown } | null) => {
      clearTimeout(timer);
      ws.close(1000);
      resolve(v);
    };
    const timer = setTimeout(() => done(null), 10_000);
    ws.on('error', () => done(null));
    ws.on('open', () => ws.send(pack([1, 1, '1', token.slice(0, 32), token, null]), { binary: true }));
    ws.on('message', (d: Buffer) => {
      if ((d[0] ?? 0) >= 0x90 && (d[0] ?? 0) <= 0x9f && (d[1] === 17 || d[1] === 24)) return; // snapshots
      const m = unpack(d) as unknown[];
      if (m[0] === 16) ws.send(pack([4, key, 'arrow', 1, 1]), { binary: true });
      else if (m[0] === 21 && m[1] === key) done({ status: String(m[2]), replayed: m[10] === true, code: m[3] });
    });
  });
