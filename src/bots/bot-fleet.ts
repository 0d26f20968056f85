/**
 * Load-test bots: N simulated sessions (real WebSocket clients built on the client library)
 * that join a world, walk randomly by sending inputs, and record update latency and input
 * acknowledgement round trips. Produces one plain report object.
 *
 * Node-only (uses the `ws` package); the client library itself stays browser-safe.
 */
import WebSocket from 'ws';
import { WorldtickClient, type LatencySink, type WebSocketCtor } from '../client/client.js';
import { LightBot } from './light-bot.js';

export interface FleetOptions {
  /** ws:// URL of the game server. */
  url: string;
  worldId: string;
  clients: number;
  /** Seconds of measured load (after everyone joined and a warm-up). */
  durationSeconds: number;
  /** Seconds of warm-up (not measured) after the last join. Default 1. */
  warmupSeconds?: number;
  /** Inputs per second per bot. Default 2. */
  inputHz?: number;
  /** Connections opened concurrently while ramping up. Default 100. */
  connectConcurrency?: number;
  /**
   * Every Nth bot (bot 0, N, 2N, ...) is a full client (decodes every snapshot and keeps an
   * entity view checked for consistency); the others are light bots (read only the snapshot
   * head: latency and ack are measured the same way). 1 = all full. Default 1.
   */
  fullDecodeEvery?: number;
  /** Called with progress lines (stderr in the CLI). */
  log?: (line: string) => void;
}

/** Latency percentiles in wall milliseconds. */
export interface Percentiles {
  samples: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface FleetReport {
  clients: number;
  connected: number;
  joinFailures: number;
  /** Sessions closed by the server (or lost) during the measured window, by close code. */
  disconnects: number;
  disconnectsByCode: Record<string, number>;
  measuredSeconds: number;
  updateLatencyMs: Percentiles;
  inputAckRttMs: Percentiles;
  snapshotsPerClientPerSecond: number;
  bytesPerClientPerSecond: number;
  avgSnapshotBytes: number;
  errorsReceived: number;
  /** Entity-view protocol violations (update/leave of an unknown id) in the full clients; should be 0. */
  inconsistencies: number;
  /** Bots that decoded every snapshot and kept a checked entity view. */
  fullDecodeClients: number;
  /** Bots that read only the snapshot head (latency, ack). */
  lightClients: number;
  /** CPU of this bots process during the measured window, % of one core (user + system). */
  botsCpuPercent: number;
}

/** What the fleet needs of a bot (full client or light bot). */
interface Bot {
  readonly open: boolean;
  readonly closeCode: number;
  readonly stats: { snapshots: number; bytesIn: number; errors: number };
  sendInput(moveX: number, moveY: number): unknown;
  close(): void;
  /** Full clients only. */
  view?: { inconsistencies: number };
}

/** Growable sample buffer (Float64Array; capped so a long run cannot eat memory). */
const createSamples = (cap = 8_000_000) => {
  let buf = new Float64Array(65_536);
  let n = 0;
  return {
    add(v: number) {
      if (n === buf.length) {
        if (n >= cap) return;
        const next = new Float64Array(Math.min(cap, n * 2));
        next.set(buf);
        buf = next;
      }
      buf[n++] = v;
    },
    reset() { n = 0; },
    percentiles(): Percentiles {
      const a = buf.slice(0, n).sort();
      const at = (q: number) => (n ? a[Math.min(n - 1, Math.floor(q * n))]! : 0);
      let sum = 0;
      for (let i = 0; i < n; i++) sum += a[i]!;
      const r = (v: number) => Math.round(v * 100) / 100;
      return { samples: n, p50: r(at(0.5)), p90: r(at(0.9)), p99: r(at(0.99)), max: r(n ? a[n - 1]! : 0), mean: r(n ? sum / n : 0) };
    },
  };
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Run a fleet to completion and return its report. */
export const runFleet = async (o: FleetOptions): Promise<FleetReport> => {
  const log = o.log ?? (() => {});
  const upd = createSamples();
  const ack = createSamples();
  let measuring = false;
  const sink: LatencySink = {
    update: (ms) => { if (measuring) upd.add(ms); },
    ack: (ms) => { if (measuring) ack.add(ms); },
  };
  const bots: Bot[] = [];
  let joinFailures = 0, full = 0;
  const conc = o.connectConcurrency ?? 100;
  const every = Math.max(1, Math.floor(o.fullDecodeEvery ?? 1));
  for (let i = 0; i < o.clients; i += conc) {
    const batch = [];
    for (let j = i; j < Math.min(o.clients, i + conc); j++) {
      if (j % every === 0) {
        const c = new WorldtickClient({ url: o.url, WebSocket: WebSocket as unknown as WebSocketCtor, sink });
        batch.push(
          c.connect()
            .then(() => c.join(o.worldId, `bot${j}`, '', null, 15_000))
            .then(() => { bots.push(c); full++; })
            .catch(() => { joinFailures++; c.close(); }),
        );
      } else {
        const c = new LightBot(o.url, sink);
        batch.push(c.join(o.worldId, `bot${j}`, 15_000).then(() => { bots.push(c); }).catch(() => { joinFailures++; c.close(); }));
      }
    }
    await Promise.all(batch);
    log(`bots: ${bots.length}/${o.clients} joined`);
  }
  const inputHz = o.inputHz ?? 2;
  // Random walk: each bot changes direction now and then, staggered over the interval.
  const inputTimer = inputHz > 0 ? setInterval(() => {
    for (const b of bots) {
      if (!b.open || Math.random() > 0.5) continue;
      const a = Math.random() * Math.PI * 2;
      b.sendInput(Math.cos(a), Math.sin(a));
    }
  }, 1000 / inputHz) : null;
  await sleep((o.warmupSeconds ?? 1) * 1000);
  const before = bots.map((b) => ({ snaps: b.stats.snapshots, bytes: b.stats.bytesIn, open: b.open }));
  upd.reset();
  ack.reset();
  measuring = true;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(o.durationSeconds * 1000);
  measuring = false;
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  if (inputTimer) clearInterval(inputTimer);
  let snaps = 0, bytes = 0, errors = 0, inconsistencies = 0, disconnects = 0;
  const byCode: Record<string, number> = {};
  bots.forEach((b, i) => {
    snaps += b.stats.snapshots - before[i]!.snaps;
    bytes += b.stats.bytesIn - before[i]!.bytes;
    errors += b.stats.errors;
    inconsistencies += b.view?.inconsistencies ?? 0;
    if (!b.open) {
      disconnects++;
      byCode[b.closeCode] = (byCode[b.closeCode] ?? 0) + 1;
    }
  });
  for (const b of bots) b.close();
  await sleep(200);
  const n = Math.max(1, bots.length);
  return {
    clients: o.clients,
    connected: bots.length,
    joinFailures,
    disconnects,
    disconnectsByCode: byCode,
    measuredSeconds: Math.round(secs * 100) / 100,
    updateLatencyMs: upd.percentiles(),
    inputAckRttMs: ack.percentiles(),
    snapshotsPerClientPerSecond: Math.round((snaps / n / secs) * 100) / 100,
    bytesPerClientPerSecond: Math.round(bytes / n / secs),
    avgSnapshotBytes: snaps ? Math.round(bytes / snaps) : 0,
    errorsReceived: errors,
    inconsistencies,
    fullDecodeClients: full,
    lightClients: bots.length - full,
    botsCpuPercent: Math.round((cpu.user + cpu.system) / 10 / (secs * 1000)),
  };
};
