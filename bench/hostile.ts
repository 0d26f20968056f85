/**
 * Hostile-client bench: sustained attacks of one kind at a time against a real server (the arena
 * example from `startServer`: uWS on 127.0.0.1, SQLite store, ledger, the loop at 20 Hz), each
 * measured by the heap after full GCs before and after it (attack sockets closed, grace over), the
 * event-loop delay while it runs (p50/p99/max), and whether a good client kept its snapshots (the
 * longest gap between two) and got answers to its pings, plus the server process's CPU and the
 * world's step time over the attack (bench/hostile-server.ts). By default the server runs in this
 * process with the attackers (their CPU competes with the server's: the loop figures are an upper
 * bound) → bench/results/hostile-attacks.json. With `--split` the server runs in a child process
 * pinned to CPU 0 and the attackers here on CPU 1 (taskset), and the loop delay and CPU are the
 * server process's own → bench/results/hostile-attacks-split.json (`--run N`: -runN.json).
 * `--only a,b` runs only the named attacks; `--cpu-prof` (split) profiles the server child into
 * bench/results/hostile-prof/; `--net '{"maxJoinsPerStep":4}'` overrides server net settings (the
 * result records them). `--worlds N` runs N worlds in the server (`2`..`N` created through the admin
 * API) and spreads the join attacks over them (socket i → world 1 + i mod N): a join storm over
 * several worlds of one process (`net.maxJoinsPerSecond`; A/B driver: bench/join-storm-ab.ts).
 *
 *   npx tsx bench/hostile.ts [--scale 1] [--split [--cpu-prof]] [--only idle-upgrades,input-flood] [--run N] [--net JSON] [--worlds N]
 *
 * Attacks (after a `baseline` of 5 s with none): sockets that upgrade and never send hello (closed 4003 after `helloTimeoutMs`); half-sent
 * HTTP upgrades trickled a byte a second (slowloris, raw TCP); a reconnect loop resuming one player
 * with its resume token; two sockets taking one session over from each other; inputs at the rate
 * limit from many sockets; 1 KiB game-message payloads of 1,000 empty maps (refused BAD_FIELD:
 * decode cost, strikes, reconnect); pings at the rate limit; purchases of unknown items with fresh keys;
 * a join storm (hello, welcome, close, again, from 200 sockets at once). Each row counts the welcomes the
 * attackers got (`joins`, and `joinsByWorld`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { loadavg } from 'node:os';
import { pack, unpack } from 'msgpackr';
import WebSocket from 'ws';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { type HostileServer, inProcess, type ServerWindow, spawnHostileServer } from './hostile-server.js';

const arg = (name: string, d: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const SCALE = arg('scale', 1);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const MiB = 2 ** 20;
const r2 = (n: number): number => Math.round(n * 100) / 100;

const GRACE_S = 2;
const HELLO_TIMEOUT_MS = 3000;
const SPLIT = process.argv.includes('--split');
const PROFILE = process.argv.includes('--cpu-prof');
const ONLY = process.argv.includes('--only') ? (process.argv[process.argv.indexOf('--only') + 1] ?? '').split(',') : null;
const RUN = process.argv.includes('--run') ? String(process.argv[process.argv.indexOf('--run') + 1]) : null;
const NET = process.argv.includes('--net')
  ? (JSON.parse(process.argv[process.argv.indexOf('--net') + 1] ?? '{}') as Record<string, unknown>)
  : {};
const profDir = fileURLToPath(new URL('./results/hostile-prof/', import.meta.url));
const WORLDS = arg('worlds', 1);
/** The world of attack socket `i`. */
const worldOf = (i: number): string => String(1 + (i % WORLDS));
const server: HostileServer = SPLIT
  ? await spawnHostileServer(HELLO_TIMEOUT_MS, GRACE_S, { net: NET, worlds: WORLDS, ...(PROFILE ? { cpuProfDir: profDir } : {}) })
  : await inProcess(HELLO_TIMEOUT_MS, GRACE_S, NET, WORLDS);
const url = `ws://127.0.0.1:${server.port}`;
const stats = () => server.stats();

interface Sock {
  ws: WebSocket;
  msgs: unknown[][];
  closed: Promise<number>;
  send(v: unknown): void;
}
const open = (): Promise<Sock> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const msgs: unknown[][] = [];
    const closed = new Promise<number>((r) => ws.on('close', (c: number) => r(c)));
    ws.on('error', reject);
    ws.on('message', (d: Buffer) => {
      const v = unpack(d) as unknown[];
      if (msgs.length < 64) msgs.push(v);
    });
    ws.on('open', () => resolve({ ws, msgs, closed, send: (v) => ws.send(pack(v)) }));
  });
/** Welcomes the attackers got, in all and per world. */
const joins = { n: 0, byWorld: new Map<string, number>() };
const welcome = async (s: Sock, world: string): Promise<unknown[]> => {
  for (let i = 0; i < 2000; i++) {
    const w = s.msgs.find((m) => m[0] === 16);
    if (w) {
      joins.n++;
      joins.byWorld.set(world, (joins.byWorld.get(world) ?? 0) + 1);
      return w;
    }
    await sleep(2);
  }
  throw new Error(`no welcome: ${JSON.stringify(s.msgs).slice(0, 200)}`);
};
const join = async (name: string, resume: string | null = null, world = '1'): Promise<{ s: Sock; token: string }> => {
  const s = await open();
  s.send([1, 1, world, name, '', resume]);
  return { s, token: String((await welcome(s, world))[6]) };
};

/** A well-behaved client: snapshot gaps and ping round trips while an attack runs. */
const good = await join('good');
let lastSnap = performance.now();
let maxGap = 0;
/** True while the server's heap is measured mid-attack: its full GCs are not the attack's gap. */
let measuring = false;
const rtts: number[] = [];
good.s.ws.on('message', (d: Buffer) => {
  const m = unpack(d) as unknown[];
  const now = performance.now();
  if (m[0] === 17) {
    if (!measuring) maxGap = Math.max(maxGap, now - lastSnap);
    lastSnap = now;
  } else if (m[0] === 19) rtts.push(now - Number(m[1]));
});
const pinger = setInterval(() => good.s.send([3, performance.now()]), 200);

const q = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0) : 0;
};

interface Row extends ServerWindow {
  attack: string;
  /** Load average (1 min) when the attack started and ended. */
  loadStart: number;
  loadEnd: number;
  /** The bench process's CPU over the attack, ms (in split mode: the attackers and the good client only). */
  benchCpuMs: number;
  /** The bench process's own loop delay max, ms (where the good client's snapshots are timed: its gaps include it). */
  benchLoopMaxMs: number;
  detail: string;
  seconds: number;
  heapBeforeMiB: number;
  heapDuringMiB: number | null;
  heapAfterMiB: number;
  goodMaxSnapshotGapMs: number;
  goodPingP99Ms: number;
  goodOpen: boolean;
  /** Welcomes the attackers (and the probes) got during the attack, and per world. */
  joins: number;
  joinsByWorld: Record<string, number>;
  serverDelta: Record<string, number>;
}
const rows: Row[] = [];

const attack = async (name: string, detail: string, body: (during: () => Promise<number>) => Promise<void>): Promise<void> => {
  if (ONLY && !ONLY.includes(name)) return;
  await sleep((GRACE_S + 1) * 1000);
  const before = await server.heap();
  const s0 = await stats();
  let during: number | null = null;
  maxGap = 0;
  lastSnap = performance.now();
  rtts.length = 0;
  const loadStart = loadavg()[0] ?? 0;
  joins.n = 0;
  joins.byWorld.clear();
  await server.windowStart();
  const benchLoop = monitorEventLoopDelay({ resolution: 5 });
  benchLoop.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // Once per attack (the input flood's tick hook runs once per socket), and outside the loop and
  // gap figures: three full GCs in the server process are the bench's pause, not the attack's.
  let measured: Promise<number> | null = null;
  await body(async () => {
    if (measured) return measured;
    measuring = true;
    measured = server.heap();
    during = await measured;
    lastSnap = performance.now();
    measuring = false;
    return during;
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  benchLoop.disable();
  const win = await server.windowStop();
  const gap = maxGap;
  const p99 = q(rtts, 0.99);
  const loadEnd = loadavg()[0] ?? 0;
  await sleep((GRACE_S + 1) * 1000); // grace over: parked players of the attack removed
  const after = await server.heap();
  const s1 = await stats();
  const delta: Record<string, number> = {};
  for (const k of ['messagesIn', 'strikes', 'closedForStrikes', 'internalErrors', 'connectionsTotal'] as const) delta[k] = s1[k] - s0[k];
  for (const [k, v] of Object.entries(s1.errorsByCode))
    if (v - (s0.errorsByCode[k] ?? 0) > 0) delta[`error:${k}`] = v - (s0.errorsByCode[k] ?? 0);
  for (const [k, v] of Object.entries(s1.closesByCode))
    if (v - (s0.closesByCode[k] ?? 0) > 0) delta[`close:${k}`] = v - (s0.closesByCode[k] ?? 0);
  const row: Row = {
    attack: name,
    detail,
    seconds: r2(seconds),
    loadStart: r2(loadStart),
    loadEnd: r2(loadEnd),
    benchCpuMs: r2((cpu.user + cpu.system) / 1000),
    benchLoopMaxMs: r2(benchLoop.max / 1e6),
    ...win,
    heapBeforeMiB: r2(before / MiB),
    heapDuringMiB: during === null ? null : r2(during / MiB),
    heapAfterMiB: r2(after / MiB),
    goodMaxSnapshotGapMs: r2(gap),
    goodPingP99Ms: r2(p99),
    goodOpen: good.s.ws.readyState === WebSocket.OPEN,
    joins: joins.n,
    joinsByWorld: Object.fromEntries(joins.byWorld),
    serverDelta: delta,
  };
  rows.push(row);
  console.log(JSON.stringify(row));
};

await attack('baseline', 'no attack: the good client alone for 5 s (the same figures without an attacker, at this load)', () =>
  sleep(5000),
);

const N_IDLE = Math.round(1000 * SCALE);
await attack('idle-upgrades', `${N_IDLE} sockets upgrade and never send hello`, async (during) => {
  const socks = await Promise.all(Array.from({ length: N_IDLE }, () => open()));
  await during();
  await Promise.all(socks.map((s) => s.closed));
});

const N_SLOW = Math.round(200 * SCALE);
await attack('slowloris', `${N_SLOW} TCP connections trickle an upgrade request a byte per second`, async () => {
  const head = 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n';
  const socks = Array.from({ length: N_SLOW }, () => {
    const sock = net.connect(server.port, '127.0.0.1');
    sock.on('error', () => {});
    const closed = new Promise<number>((r) => sock.on('close', () => r(performance.now())));
    return { sock, closed };
  });
  const t0 = performance.now();
  let i = 0;
  const drip = setInterval(() => {
    const b = head[i++ % head.length] ?? 'x';
    for (const s of socks) if (!s.sock.destroyed) s.sock.write(b);
  }, 1000);
  await sleep(2000);
  const probe = await join('probe-during-slowloris'); // a new client still joins
  probe.s.ws.close();
  const ends = await Promise.race([Promise.all(socks.map((s) => s.closed)), sleep(30_000).then(() => null)]);
  clearInterval(drip);
  for (const s of socks) s.sock.destroy();
  console.log(`slowloris: closed by the server after ${ends ? r2((Math.max(...ends) - t0) / 1000) : '>30'} s`);
});

const N_RESUME = Math.round(600 * SCALE);
await attack('resume-loop', `${N_RESUME} cycles: connect, hello with the previous resume token, welcome, close (4 chains)`, async () => {
  await Promise.all(
    Array.from({ length: 4 }, async (_, k) => {
      let token: string | null = null;
      for (let i = 0; i < N_RESUME / 4; i++) {
        const j = await join(`r${k}`, token);
        token = j.token;
        j.s.ws.close();
        await j.s.closed;
      }
    }),
  );
});

const N_TAKE = Math.round(400 * SCALE);
await attack('takeover-pingpong', `${N_TAKE} takeovers of one session by alternating sockets`, async () => {
  let cur = await join('victim-of-itself');
  for (let i = 0; i < N_TAKE; i++) {
    const next = await join('taker', cur.token);
    await cur.s.closed; // 4011
    cur = next;
  }
  cur.s.ws.close();
});

const N_FLOOD = Math.round(100 * SCALE);
const floodFor = async (n: number, seconds: number, each: (s: Sock, i: number) => void): Promise<void> => {
  const socks = await Promise.all(Array.from({ length: n }, (_, i) => join(`f${i}`).then((j) => j.s)));
  const until = performance.now() + seconds * 1000;
  let tick = 0;
  while (performance.now() < until) {
    tick++;
    for (const s of socks) if (s.ws.readyState === WebSocket.OPEN) each(s, tick);
    await sleep(1000 / 55); // just under the 60/s bucket
  }
  for (const s of socks) s.ws.close();
  await Promise.all(socks.map((s) => s.closed));
};
await attack('input-flood', `${N_FLOOD} sockets × 55 inputs/s for 5 s (latestByKey: one applied per step)`, (during) =>
  floodFor(N_FLOOD, 5, (s, t) => {
    s.send([2, t, Math.sin(t), Math.cos(t), t & 7]);
    if (t === 150) void during();
  }),
);
await attack('ping-flood', `${N_FLOOD} sockets × 55 pings/s for 5 s`, () => floodFor(N_FLOOD, 5, (s, t) => s.send([3, t])));

// A 1 KiB frame: [5, 'shoot', [ {} × 1000 ]] — the most objects per byte msgpack allows.
const bomb = Buffer.concat([
  Buffer.from([0x93, 0x05, 0xa5]),
  Buffer.from('shoot'),
  Buffer.from([0xdc, 0x03, 0xe8]),
  Buffer.alloc(1000, 0x80),
]);
await attack(
  'payload-bombs',
  `${N_FLOOD} sockets send 1 KiB frames of 1,000 empty maps as a game message (BAD_FIELD, strikes, reconnect) for 5 s`,
  async () => {
    const until = performance.now() + 5000;
    await Promise.all(
      Array.from({ length: N_FLOOD }, async (_, i) => {
        while (performance.now() < until) {
          const j = await join(`b${i}`, null, worldOf(i));
          for (let k = 0; k < 5; k++) j.s.ws.send(bomb);
          await j.s.closed; // 4002 after 5 strikes
        }
      }),
    );
  },
);

const N_STORM = Math.round(200 * SCALE);
await attack(
  'join-storm',
  `${N_STORM} sockets over ${WORLDS} world(s): hello, welcome, close, again at once, for 5 s (join work alone)`,
  async () => {
    const until = performance.now() + 5000;
    await Promise.all(
      Array.from({ length: N_STORM }, async (_, i) => {
        while (performance.now() < until) {
          const j = await join(`j${i}`, null, worldOf(i)).catch(() => null);
          if (!j) continue; // refused or timed out (counted by the server): try again
          j.s.ws.close();
          await j.s.closed;
        }
      }),
    );
  },
);

await attack('purchase-flood', `${N_FLOOD} sockets × 55 purchases/s of unknown items with fresh keys for 5 s`, () =>
  floodFor(N_FLOOD, 5, (s, t) => s.send([4, `k${t}-${Math.random().toString(36).slice(2)}`, 'no-such-item', 1, 1])),
);

clearInterval(pinger);
good.s.ws.close();
await server.stop();
const result = {
  suite: SPLIT ? 'hostile-attacks-split' : 'hostile-attacks',
  at: new Date().toISOString(),
  load: loadavg().map(r2),
  scale: SCALE,
  placement: server.placement,
  net: NET,
  worlds: WORLDS,
  rows,
};
const out = new URL('./results/', import.meta.url);
mkdirSync(out, { recursive: true });
if (RUN === null) writeFileSync(new URL(`${result.suite}.json`, out), `${JSON.stringify(result, null, 2)}\n`);
else writeFileSync(new URL(`${result.suite}-run${RUN}.json`, out), `${JSON.stringify(result, null, 2)}\n`);
process.exit(0);
