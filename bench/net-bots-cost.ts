/**
 * `WT_NET_ONLY=bots` (suite `net`, bench/results/net-bots.json): what the load generator costs per
 * snapshot, apart from the game server. A fixed-rate sender — a bare uWS app in the bench process
 * (pinned to CPU 0) that answers `hello` with a `welcome` and then sends every socket 20
 * snapshots/s (fewer above 2,000 sockets: at most 40,000 sends/s in all, which one core sustains;
 * 4/s at 10,000) of a snapshot-shaped frame: the first enters `ENTITIES` entities, the next ones update
 * their x (real protocol frames, so full clients keep a consistent view) — and the real bots CLI
 * (pinned to CPU 1, `--input-hz 0`, `--full-every 10`) as in the e2e runs. The sender's rate does
 * not depend on a game loop or the controller, so every bot gets a steady rate and the figure,
 * bots process CPU (user + system) per snapshot received, is a cost rather than a share of a
 * varying rate. Run ABBA in one sitting: the `ws` package, the raw transport, raw, ws
 * (docs/BOTS.md "Bot cost"). `WT_NET_NETNS` puts the bots behind the veth pair (bench/net-netns.ts).
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pack } from 'msgpackr';
import { type us_listen_socket, uWS, type WebSocket } from '../src/uws.js';
import type { SuiteContext } from './harness.js';
import { type BotReport, load, type Pinning, r2 } from './net-bots-proc.js';
import { describePlacement, inNetns, type NetPlacement, napiCpuMs } from './net-netns.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Entities per snapshot (about what a session of the default world sees). */
const ENTITIES = 40;

/**
 * Snapshots per second per socket: 20, but at most `WT_NET_BOTS_MAX_SENDS` (40,000) sends per
 * second in all, which one core sustains (10,000 sockets: 4 per second, about the 10k mix's
 * average of 2.4–3). 100,000 (with `WT_NET_CLIENTS=5000`) asks whether one bots core can read the
 * issue 12 goal's load: 5,000 sockets × 20 Hz.
 */
const MAX_SENDS = Number(process.env.WT_NET_BOTS_MAX_SENDS ?? 40_000);
if (!Number.isInteger(MAX_SENDS) || MAX_SENDS < 1000 || MAX_SENDS > 200_000) {
  console.error(`WT_NET_BOTS_MAX_SENDS must be an integer 1000..200000 (got ${JSON.stringify(process.env.WT_NET_BOTS_MAX_SENDS)})`);
  process.exit(2);
}
const rateFor = (clients: number): number => Math.min(20, MAX_SENDS / clients);
/** `WT_NET_BOTS_ORDER`: the transports' run order (default ws,raw,raw,ws). */
const ORDER = (process.env.WT_NET_BOTS_ORDER ?? 'ws,raw,raw,ws').split(',') as ('ws' | 'raw')[];
if (!ORDER.length || ORDER.some((t) => t !== 'ws' && t !== 'raw')) {
  console.error(`WT_NET_BOTS_ORDER must be a comma-separated list of ws and raw (got ${JSON.stringify(process.env.WT_NET_BOTS_ORDER)})`);
  process.exit(2);
}

/** A bare sender: welcome on hello, then one snapshot per socket at `hz` (in 20 Hz ticks, a share of the sockets each). */
const startSender = async (hz: number, host: string): Promise<{ port: number; sent: () => number; stop: () => void }> => {
  interface Conn {
    joined: boolean;
    entered: boolean;
  }
  const socks = new Set<WebSocket<Conn>>();
  let listen: us_listen_socket | null = null;
  const app = uWS.App().ws<Conn>('/*', {
    maxPayloadLength: 4096,
    idleTimeout: 60,
    upgrade: (res, req, ctx) =>
      res.upgrade<Conn>(
        { joined: false, entered: false },
        req.getHeader('sec-websocket-key'),
        req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'),
        ctx,
      ),
    message: (ws) => {
      const c = ws.getUserData();
      if (c.joined) return; // inputs (none with --input-hz 0)
      c.joined = true;
      socks.add(ws);
      ws.send(pack([16, socks.size, 1_000_000 + socks.size, 20, 0, 0, 'r', 100, 50, false]), true);
    },
    close: (ws) => {
      socks.delete(ws);
    },
  });
  await new Promise<void>((r) =>
    app.listen(host, 0, (t) => {
      listen = t;
      r();
    }),
  );
  const port = listen ? uWS.us_socket_local_port(listen) : 0;
  let step = 0,
    sent = 0;
  const enter: number[][] = [],
    ids: number[] = [];
  for (let i = 0; i < ENTITIES; i++) {
    enter.push([i + 1, i * 50, i * 30, 1, 2]);
    ids.push(i + 1);
  }
  // Every 50 ms a share hz / 20 of the sockets (in turn) gets a snapshot.
  const every = Math.max(1, Math.round(20 / hz));
  const timer = setInterval(() => {
    step++;
    const now = Date.now();
    const first = pack([17, step, step / 20, now, 0, enter, [], []]);
    const next = pack([17, step, step / 20, now, 0, [], ids.map((id) => [id, 1, (step * 7 + id) % 1000]), []]);
    let k = 0;
    for (const ws of socks) {
      if (k++ % every !== step % every) continue;
      const c = ws.getUserData();
      ws.send(c.entered ? next : first, true);
      c.entered = true;
      sent++;
    }
  }, 50);
  return {
    port,
    sent: () => sent,
    stop: () => {
      clearInterval(timer);
      for (const ws of socks) ws.end(1000);
      if (listen) uWS.us_listen_socket_close(listen);
    },
  };
};

/** One bots run against the sender; the bots' report. */
const runOnce = async (
  port: number,
  clients: number,
  secs: number,
  transport: 'raw' | 'ws',
  pin: Pinning,
  place: NetPlacement,
): Promise<BotReport & { cpuMs: number; snapshots: number }> => {
  const args = ['--import', 'tsx', 'src/bots/main.ts', '--url', `ws://${place.host}:${port}`, '--clients', String(clients)];
  args.push('--duration', String(secs), '--warmup', '2', '--input-hz', '0', '--concurrency', '200', '--full-every', '10');
  args.push('--no-progress', '--transport', transport);
  if (pin.applied) args.push('--cpu', '1');
  const [cmd, ...argv] = inNetns(place, [process.execPath, ...args]);
  const child = spawn(cmd!, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  const line = out.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`bots exited ${code}`);
  return JSON.parse(line) as BotReport & { cpuMs: number; snapshots: number };
};

/** The ABBA runs at `clients` sessions, `secs` measured seconds each. */
export const botsCost = async (ctx: SuiteContext, pin: Pinning, clients: number, secs: number, place: NetPlacement): Promise<void> => {
  const order = ORDER;
  const runs: Record<'ws' | 'raw', { us: number; userUs: number; cpu: number; loopP99: number }[]> = { ws: [], raw: [] };
  for (let i = 0; i < order.length; i++) {
    const t = order[i];
    const sender = await startSender(rateFor(clients), place.host);
    const loadStart = load();
    const napi0 = napiCpuMs(place),
      sent0 = sender.sent();
    const r = await runOnce(sender.port, clients, secs, t, pin, place);
    // The NAPI thread's CPU over the whole bots run (join, warm-up, window) per frame sent in it.
    const napiUs = ((napiCpuMs(place) - napi0) * 1000) / Math.max(1, sender.sent() - sent0);
    sender.stop();
    const fig = {
      transport: t,
      clients,
      snapshotsPerClientPerSecond: r.snapshotsPerClientPerSecond,
      botsCpuPercent: r.botsCpuPercent,
      botsCpuUserPercent: r.botsCpuUserPercent ?? null,
      botsCpuUsPerSnapshot: r.botsCpuUsPerSnapshot ?? null,
      botsCpuUserUsPerSnapshot: r.botsCpuUserUsPerSnapshot ?? null,
      botsEventLoopDelayMs: r.eventLoopDelayMs ?? null,
      updateLatencyMs: r.updateLatencyMs,
      inconsistencies: r.inconsistencies,
      disconnects: r.disconnects,
      fullDecodeClients: r.fullDecodeClients,
      /** veth (WT_NET_NETNS): the bots' kernel receive path (their NAPI thread) per frame, and the bots' core per frame in all. */
      napiUsPerSnapshot: place.netns ? r2(napiUs) : null,
      botsCoreUsPerSnapshot: place.netns ? r2((r.botsCpuUsPerSnapshot ?? 0) + napiUs) : null,
      network: describePlacement(place),
      loadAverage: { start: loadStart, end: load() },
    };
    ctx.log(
      `bots ${t} (run ${i + 1}/${order.length}), ${clients} sockets × ${r.snapshotsPerClientPerSecond} snapshots/s: ${fig.botsCpuUsPerSnapshot} µs/snapshot ` +
        `(user ${fig.botsCpuUserUsPerSnapshot}), bots CPU ${r.botsCpuPercent}%, event-loop delay p99 ${r.eventLoopDelayMs?.p99} ms, ` +
        `update p50/p99 ${r.updateLatencyMs.p50}/${r.updateLatencyMs.p99} ms` +
        (place.netns ? `; NAPI ${fig.napiUsPerSnapshot} µs/frame, bots' core ${fig.botsCoreUsPerSnapshot} µs/frame` : '') +
        `; load ${fig.loadAverage.end.join(' ')}`,
    );
    ctx.record(`bots${clients}${t === 'ws' ? 'Ws' : 'Raw'}${i + 1}`, fig);
    runs[t].push({
      us: r.botsCpuUsPerSnapshot ?? 0,
      userUs: r.botsCpuUserUsPerSnapshot ?? 0,
      cpu: r.botsCpuPercent,
      loopP99: r.eventLoopDelayMs?.p99 ?? 0,
    });
    await new Promise((res) => setTimeout(res, 500));
  }
  const mean = (a: number[]): number => r2(a.reduce((x, y) => x + y, 0) / Math.max(1, a.length));
  const summary = (t: 'ws' | 'raw') => ({
    usPerSnapshot: mean(runs[t].map((x) => x.us)),
    userUsPerSnapshot: mean(runs[t].map((x) => x.userUs)),
    systemUsPerSnapshot: mean(runs[t].map((x) => x.us - x.userUs)),
    cpuPercent: mean(runs[t].map((x) => x.cpu)),
  });
  const ws = runs.ws.length ? summary('ws') : null,
    raw = runs.raw.length ? summary('raw') : null;
  ctx.log(`bots CPU µs per snapshot at ${clients} sockets: ws ${JSON.stringify(ws)}, raw ${JSON.stringify(raw)}`);
  ctx.record(`botsCost${clients}`, { ws, raw, wsOverRaw: ws && raw?.usPerSnapshot ? r2(ws.usPerSnapshot / raw.usPerSnapshot) : null });
};
