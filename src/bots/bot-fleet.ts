/**
 * Load-test bots, one process's share: N simulated sessions (real WebSocket clients built on
 * the client library, or light bots that read only snapshot heads) that join a world and play
 * a scenario (src/bots/scenarios.ts), recording update latency, input acknowledgement round
 * trips and join latency in HDR histograms. Returns a {@link ProcReport}; the coordinator
 * (src/bots/procs.ts) merges the parts of several processes (src/bots/report.ts).
 *
 * Node-only (uses the `ws` package); the client library itself stays browser-safe.
 */
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { WorldtickClient, type WebSocketCtor } from '../client/client.js';
import { createPrng, nextInt } from '../world/prng.js';
import { createLatencyHistogram, encodeHistogram, recordMs } from './histogram.js';
import { cancelClientJoin, cancelLightJoin, createJoinCanceller } from './join-cancel.js';
import { joinFailureReason } from './join-failure.js';
import { LightBot } from './light-bot.js';
import { clientMovable, createMoveFollower, lightMovable, type Movable } from './follow-moves.js';
import type { FleetOptions, FleetPhase } from './fleet-options.js';
import { startLoopDelay } from './loop-delay.js';
import { sleepUnlessStopped, stopReason, trackStopPhase, unlessStopped } from './stop.js';
import { createReadBuffer } from './raw-ws.js';
import { rawWebSocketCtor } from './raw-ws-like.js';
import type { ProcReport } from './report.js';
import { classFromToken } from '../net/session-priority.js';
import { createGroupStats, groupOf } from './groups.js';
import {
  settlePurchases,
  startInputTimer,
  startPurchaseTimer,
  type FleetBot,
  type FleetSlot,
  type PurchaseTally,
} from './fleet-traffic.js';

export type { FleetOptions, FleetPhase };

/** CPUs this process may run on (Linux `Cpus_allowed_list`, e.g. "0-1"), or null elsewhere. */
export const cpusAllowed = (): string | null => {
  try {
    return /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Run this process's share of the load to completion and return its part of the report. */
export const runFleet = async (o: FleetOptions): Promise<ProcReport> => {
  const scenario = o.scenario ?? 'steady';
  const phase = trackStopPhase(o.stop);
  const progress: NonNullable<FleetOptions['onProgress']> = (p, done, total) => {
    if (!phase.skipped(p)) o.onProgress?.(p, done, total); // phases a stop skipped pass by unseen
  };
  const joinH = createLatencyHistogram();
  const loopH = createLatencyHistogram();
  const tx: PurchaseTally = { sent: 0, seq: 0, latency: createLatencyHistogram(), codes: {}, inFlight: new Set() };
  const rng = createPrng(((o.seed ?? 1) ^ Math.imul((o.proc ?? 0) + 1, 0x9e3779b1)) >>> 0);
  let measuring = false;
  // One read buffer for every raw socket of the process (src/bots/raw-ws.ts).
  const transport = o.transport ?? 'raw';
  const rb = createReadBuffer();
  const raw = transport === 'raw' && o.url.startsWith('ws://');
  const FullCtor: WebSocketCtor = raw ? rawWebSocketCtor(rb) : WebSocket;
  const alive: FleetSlot[] = [];
  const retired = { snapshots: 0, bytesIn: 0, errors: 0, inconsistencies: 0, ignoredFrames: 0 };
  // Bot-seconds inside the measured window (the denominator of per-client rates, exact under churn).
  let clientMs = 0,
    t0 = Infinity;
  // Join failures by reason (wire error code, close code, timeout, connect): src/bots/join-failure.ts.
  const failReasons: Record<string, number> = {};
  let joinFailures = 0,
    full = 0,
    light = 0,
    inputsSent = 0,
    joinsMeasured = 0,
    leavesMeasured = 0;
  let nextIndex = o.firstBot ?? 0;
  // Bots joining during the window (influx, churn) take indexes from a block per process, so
  // steady bots stay 0..clients-1 across processes and no two processes share an index.
  let nextExtra = 1_000_000 * ((o.proc ?? 0) + 1);
  const every = Math.max(1, Math.floor(o.fullDecodeEvery ?? 1));
  // Groups (reported separately): active / idle players, or the token's non-player class.
  const cls = classFromToken(o.token ?? '');
  const idleShare = cls === 'player' ? Math.min(1, Math.max(0, o.idleShare ?? 0)) : 0;
  const spectatorShare = cls === 'player' ? Math.min(1, Math.max(0, o.spectatorShare ?? 0)) : 0;
  const groups = createGroupStats(() => measuring);
  const timeout = o.joinTimeoutMs ?? 15_000;
  const follower = o.followMoves === false ? null : createMoveFollower(o.url, o.followLost === true);
  // Full clients' view inconsistencies from before a move (a welcome starts a new view).
  const carried = { inconsistencies: 0 };
  const joins = createJoinCanceller(o.stop);

  /** Join one bot; resolves when it joined or failed (never rejects). */
  const joinOne = async (index: number): Promise<void> => {
    const t0 = performance.now();
    const g = groupOf(groups, cls, index, idleShare, spectatorShare);
    const token = g.key === 'spectators' && cls === 'player' ? 'spectator' : (o.token ?? '');
    let bot: FleetBot;
    const as = { worldId: o.worldId, name: `bot${index}`, token, timeoutMs: Math.min(timeout, 5000) };
    let movable: (() => Movable) | null = null;
    let end = (): boolean => false; // a join in flight a stop may cancel (src/bots/join-cancel.ts)
    try {
      if (index % every === 0) {
        const c = new WorldtickClient({ url: o.url, WebSocket: FullCtor, sink: g.sink });
        bot = c;
        const connected = c.connect();
        end = joins.start(() => cancelClientJoin(c));
        await connected
          .then(() => c.join(o.worldId, `bot${index}`, token, null, timeout))
          .catch((err: unknown) => {
            c.close();
            throw err;
          });
        movable = () => clientMovable(c, as, carried);
      } else {
        const c = new LightBot(o.url, g.sink, Date.now, { transport, readBuffer: rb });
        bot = c;
        const joined = c.join(o.worldId, `bot${index}`, timeout, token);
        end = joins.start(() => cancelLightJoin(c));
        await joined.catch((err: unknown) => {
          c.close();
          throw err;
        });
        movable = () => lightMovable(c, as);
      }
    } catch (err) {
      if (end()) return; // cancelled by the stop: neither a failure nor a bot
      joinFailures++;
      const why = joinFailureReason(err);
      failReasons[why] = (failReasons[why] ?? 0) + 1;
      return;
    }
    if (end()) {
      void bot.leave(); // welcomed as the stop came: cancelled all the same, its player removed (not parked)
      return;
    }
    if (index % every === 0) full++;
    else light++;
    recordMs(joinH, performance.now() - t0);
    g.connected++;
    const slot: FleetSlot = { bot, group: g, silent: g.idle || token !== (o.token ?? ''), index, inputs: 0, since: performance.now() };
    alive.push(slot);
    if (follower && movable) follower.watch(movable(), slot, index);
  };

  // Ramp: the steady population, `connectConcurrency` at a time.
  const conc = o.connectConcurrency ?? 100;
  progress('ramp', 0, o.clients);
  for (let i = 0; i < o.clients && !o.stop?.aborted; i += conc) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(o.clients, i + conc); j++) batch.push(joinOne(nextIndex++));
    await Promise.all(batch);
    progress('ramp', alive.length, o.clients);
  }
  await unlessStopped(o.ramped?.(), o.stop);

  // Inputs and purchase-storm purchases on timers (src/bots/fleet-traffic.ts).
  const send = (s: FleetSlot, x: number, y: number): void => {
    if (s.silent) return; // idle players and share spectators send nothing
    s.bot.sendInput(x, y);
    s.inputs++;
    inputsSent++;
    s.group.inputsSent++;
  };
  const inputTimer = startInputTimer(scenario, alive, o.seed ?? 1, o.inputHz ?? 2, rng, send);
  const purchaseTimer = scenario === 'purchase-storm' ? startPurchaseTimer(alive, o.purchaseHz ?? 0, rng, () => measuring, tx) : null;

  const warm = o.warmupSeconds ?? 1;
  phase.enter('warmup');
  progress('warmup', 0, warm);
  await sleepUnlessStopped(warm * 1000, o.stop);

  const totals = () => {
    let snapshots = retired.snapshots,
      bytesIn = retired.bytesIn;
    for (const g of groups.list) {
      g.snapshotsNow = g.retiredSnapshots;
      g.bytesNow = g.retiredBytes;
    }
    for (const s of alive) {
      snapshots += s.bot.stats.snapshots;
      bytesIn += s.bot.stats.bytesIn;
      s.group.snapshotsNow += s.bot.stats.snapshots;
      s.group.bytesNow += s.bot.stats.bytesIn;
    }
    return { snapshots, bytesIn };
  };
  const before = totals();
  for (const g of groups.list) g.mark();
  const inputs0 = inputsSent;
  // A stop before the window (during the ramp or the warm-up) leaves no window: nothing is measured,
  // and the report says 0 s (the phases below only pass by).
  const windowed = !phase.skipped('measure');
  measuring = windowed;
  phase.enter('measure');
  const loop = startLoopDelay(loopH, () => measuring);
  const cpu0 = process.cpuUsage();
  t0 = performance.now();
  const pending: Promise<void>[] = [];

  // Scenario events inside the measured window.
  if (scenario === 'influx') {
    // Bot k starts its join at k/n s into the window. One wait at a time (not n waits, each a listener
    // on the stop signal: Node warns past 10); joins already due start at once.
    const n = o.influxClients ?? 0;
    const influx = async (): Promise<void> => {
      const joins: Promise<void>[] = [];
      for (let k = 0; k < n; k++) {
        const wait = t0 + (k * 1000) / n - performance.now();
        if (wait > 0) await sleepUnlessStopped(wait, o.stop);
        if (o.stop?.aborted) break;
        joinsMeasured++;
        joins.push(joinOne(nextExtra++));
      }
      await Promise.all(joins);
    };
    pending.push(influx());
  }
  /** A bot the scenario closes on purpose: its counts stay in the totals. */
  const retire = (s: FleetSlot): void => {
    retired.snapshots += s.bot.stats.snapshots;
    retired.bytesIn += s.bot.stats.bytesIn;
    retired.errors += s.bot.stats.errors;
    retired.ignoredFrames += s.bot.stats.ignoredFrames;
    retired.inconsistencies += s.bot.view?.inconsistencies ?? 0;
    s.group.retiredSnapshots += s.bot.stats.snapshots;
    s.group.retiredBytes += s.bot.stats.bytesIn;
    const ms = performance.now() - Math.max(s.since, t0);
    clientMs += ms;
    s.group.clientMs += ms;
  };
  let churnAcc = 0;
  const churnTimer =
    scenario === 'churn' && (o.churnPerSecond ?? 0) > 0
      ? setInterval(() => {
          churnAcc += (o.churnPerSecond ?? 0) / 10;
          while (churnAcc >= 1) {
            churnAcc--;
            if (alive.length) {
              const [s] = alive.splice(nextInt(rng, alive.length), 1);
              retire(s!);
              s!.left = true; // a move being followed stops here
              s!.bot.close();
              leavesMeasured++;
            }
            joinsMeasured++;
            pending.push(joinOne(nextExtra++));
          }
        }, 100)
      : null;

  const dur = o.durationSeconds;
  const progressTimer = setInterval(() => progress('measure', Math.min(dur, Math.round((performance.now() - t0) / 100) / 10), dur), 250);
  await sleepUnlessStopped(dur * 1000, o.stop);
  measuring = false;
  const stopped = stopReason(o.stop); // a stop after the window ended does not make it partial
  const t1 = windowed ? performance.now() : t0;
  const secs = (t1 - t0) / 1000;
  for (const s of alive) {
    const ms = Math.max(0, t1 - Math.max(s.since, t0));
    clientMs += ms;
    s.group.clientMs += ms;
  }
  const cpu = process.cpuUsage(cpu0);
  loop.stop();
  const after = windowed ? totals() : before;
  // The process's latencies: its groups' histograms merged (each sample was recorded once, in its group).
  const upd = createLatencyHistogram(),
    ack = createLatencyHistogram(),
    gap = createLatencyHistogram();
  for (const g of groups.list) {
    upd.add(g.upd);
    ack.add(g.ack);
    gap.add(g.gap);
  }
  clearInterval(progressTimer);
  progress('measure', Math.min(dur, Math.round(secs * 10) / 10), dur);
  if (inputTimer) clearInterval(inputTimer);
  if (churnTimer) clearInterval(churnTimer);
  if (purchaseTimer) clearInterval(purchaseTimer);
  await Promise.all(pending);
  // After the pending joins (influx, churn): a bot whose join ends after the window counts in its
  // group's `connected` as in the process's. The window's counts were taken above, the histograms
  // record only while measuring and the input timers are stopped, so nothing else moves.
  const groupParts = groups.parts();
  await settlePurchases(tx); // answers to the last purchases of the window (bounded by the bots' purchase timeout)

  // Moves still being followed end (back, or given up: a disconnect) before the bots are counted.
  await follower?.settle();
  follower?.stop();
  let errors = retired.errors,
    inconsistencies = retired.inconsistencies + carried.inconsistencies,
    ignoredFrames = retired.ignoredFrames,
    disconnects = 0;
  const byCode: Record<string, number> = {};
  for (const s of alive) {
    errors += s.bot.stats.errors;
    ignoredFrames += s.bot.stats.ignoredFrames;
    inconsistencies += s.bot.view?.inconsistencies ?? 0;
    if (!s.bot.open) {
      disconnects++;
      byCode[s.bot.closeCode] = (byCode[s.bot.closeCode] ?? 0) + 1;
    }
  }
  const connected = full + light;
  // The run is over: by default every bot leaves (its player removed at the server's next step), so a
  // finished run leaves no parked players behind; `leaveAtEnd: false` drops them (parked for their grace).
  const ending = alive.map((s) => (o.leaveAtEnd === false ? s.bot.close() : s.bot.leave()));
  await Promise.all(ending);
  await sleep(200);
  return {
    proc: o.proc ?? 0,
    pid: process.pid,
    cpusAllowed: cpusAllowed(),
    stopped,
    stoppedIn: stopped === null ? null : phase.stoppedIn(),
    clients: o.clients + (scenario === 'influx' ? (o.influxClients ?? 0) : 0) + (scenario === 'churn' ? joinsMeasured : 0),
    connected,
    cancelledJoins: joins.cancelled,
    joinFailures,
    joinFailuresByReason: failReasons,
    disconnects,
    disconnectsByCode: byCode,
    measuredSeconds: Math.round(secs * 100) / 100,
    clientSeconds: Math.round(clientMs) / 1000,
    snapshots: after.snapshots - before.snapshots,
    bytesIn: after.bytesIn - before.bytesIn,
    inputsSent: inputsSent - inputs0,
    errorsReceived: errors,
    inconsistencies,
    ignoredFrames,
    fullDecodeClients: full,
    lightClients: light,
    joinsMeasured,
    leavesMeasured,
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    cpuUserMs: Math.round(cpu.user / 1000),
    movesFollowed: follower ? { ...follower.tally.followed } : {},
    moveFailures: follower ? { ...follower.tally.failed } : {},
    movesResumed: follower?.tally.resumed ?? 0,
    movesNotResumed: follower?.tally.notResumed ?? 0,
    purchasesSent: tx.sent,
    purchaseResults: tx.codes,
    groups: groupParts,
    histograms: {
      update: encodeHistogram(upd),
      inputAck: encodeHistogram(ack),
      join: encodeHistogram(joinH),
      purchase: encodeHistogram(tx.latency),
      loopDelay: encodeHistogram(loopH),
      moveGap: encodeHistogram(follower?.tally.gap ?? createLatencyHistogram()),
      snapshotGap: encodeHistogram(gap),
    },
  };
};
