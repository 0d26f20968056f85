/**
 * Idle capacity of suite `net` (issue 12): tens of thousands of idle sessions in one server
 * process, memory per session (bench/net.bench.ts).
 */
import { readOpenFileLimit, fdReserve } from '../src/net/fd-limit.js';
import { createLogger } from '../src/log.js';
import { LoopRunner } from '../src/loop/loop-runner.js';
import { GameServer } from '../src/net/game-server.js';
import { createSimWorld } from '../src/world/sim-world.js';
import type { SuiteContext } from './harness.js';
import { type BotReport, load, mib, type Pinning, r2, raiseFdLimit, runBots, settledRss } from './net-bots-proc.js';
/**
 * Idle capacity: `clients` sessions joined and idle (no inputs) in one process, on a 5 Hz world
 * without NPCs (each session sees little), spread over two loopback addresses (one address
 * gives ~28k ephemeral ports). Memory per session = settled RSS with all joined minus settled
 * RSS with none, over the sessions.
 */
export const idleCapacity = async (ctx: SuiteContext, requested: number, pin: Pinning): Promise<Record<string, unknown>> => {
  let fd = raiseFdLimit(requested + 10_000);
  let clients = requested;
  let limitedBy: string | null = null;
  if (fd === null) {
    // The hard limit cannot be raised (no CAP_SYS_RESOURCE): as many as fit under it, with the
    // server's fd reserve and some room for the rest of the process.
    const lim = readOpenFileLimit();
    const hard = lim && Number.isFinite(lim.hard) ? lim.hard : 20_000;
    fd = raiseFdLimit(hard) ?? lim?.soft ?? null;
    const fit = Math.floor((hard - fdReserve(hard) - 500) / 1000) * 1000;
    if (fit < clients) {
      clients = fit;
      limitedBy = `open-file hard limit ${hard} (ulimit -Hn; raising it needs CAP_SYS_RESOURCE, which this container lacks): ${fit} sessions requested instead of ${requested}`;
      ctx.log(`  idle capacity: ${limitedBy}`);
    }
  }
  const world = createSimWorld({
    id: '1',
    capacity: clients + 100,
    size: 20_000,
    seed: 1,
    config: { simulation: { tickIntervalSeconds: 0.2 } },
  });
  const runner = new LoopRunner({});
  runner.add(world);
  const server = new GameServer({
    host: '0.0.0.0',
    port: 0,
    logger: createLogger('warn'),
    resolveWorld: (id) => (id === '1' ? world : undefined),
    // Join admission off: this measures idle sessions' memory, not a join storm (bench/join-flood.ts does).
    // With the defaults (16 joins a step at this world's 5 Hz, 320 a second) the bots' 1,000 hellos in
    // flight waited past helloTimeoutMs and were refused UNAVAILABLE: 8,000 of 18,000 joined (2026-12-04).
    net: { maxConnections: clients + 1000, interestRadius: 20, detailedRadius: 10, maxJoinsPerStep: 0, maxJoinsPerSecond: 0 },
    openFileLimit: fd ? { soft: fd, hard: fd } : undefined,
  });
  await server.start();
  runner.start();
  await new Promise((r) => setTimeout(r, 500));
  const rss0 = await settledRss();
  const loadStart = load();
  const half = Math.ceil(clients / 2);
  const base = [
    '--clients',
    String(half),
    '--duration',
    '45',
    '--warmup',
    '0',
    '--input-hz',
    '0',
    '--concurrency',
    '500',
    '--full-every',
    '100000',
    '--no-progress',
  ];
  if (pin.applied) base.push('--cpu', '1');
  const t0 = performance.now();
  const botFd = half + 1000 > (readOpenFileLimit()?.soft ?? 0) ? half + 1000 : null;
  const bots = [
    runBots(ctx, ['--url', `ws://127.0.0.1:${server.port}`, ...base], botFd),
    runBots(ctx, ['--url', `ws://127.0.0.2:${server.port}`, ...base, '--seed', '2'], botFd),
  ];
  let joinedAt = 0,
    rssJoined = 0,
    sessionMem = 0,
    peak = 0,
    still = 0,
    measuredSessions = 0;
  while (performance.now() - t0 < 120_000) {
    await new Promise((r) => setTimeout(r, 500));
    const s = server.stats().sessions;
    still = s > 0 && s <= peak ? still + 1 : 0;
    peak = Math.max(peak, s);
    // Everyone joined, or the count stopped growing for 10 s (some bots gave up): measure.
    if (s >= clients * 0.99 || still >= 20) {
      joinedAt = performance.now() - t0;
      rssJoined = await settledRss();
      const st1 = server.stats();
      sessionMem = st1.sessionMemoryBytes;
      measuredSessions = st1.sessions;
      break;
    }
  }
  if (!rssJoined && server.stats().sessions > 0) {
    // Not every bot joined in time: measure what did join (reported as sessionsJoined).
    rssJoined = await settledRss();
    const st1 = server.stats();
    sessionMem = st1.sessionMemoryBytes;
    measuredSessions = st1.sessions;
  }
  const sessions = server.stats().sessions;
  const results = await Promise.all(bots);
  runner.stop();
  const st = server.stats();
  await server.stop();
  const reports = results.map((b) => {
    const l = b.out.trim().split('\n').at(-1) ?? '';
    return l.startsWith('{') ? (JSON.parse(l) as BotReport) : null;
  });
  return {
    requested,
    clients,
    limitedBy,
    fdLimit: fd,
    sessionsJoined: sessions,
    peakSessions: peak,
    secondsToJoin: joinedAt ? r2(joinedAt / 1000) : null,
    serverRssMiB: { zeroSessions: mib(rss0), allJoined: mib(rssJoined) },
    /** Sessions joined when the RSS below was taken. */
    measuredSessions,
    bytesPerSession: rssJoined && measuredSessions ? Math.round((rssJoined - rss0) / measuredSessions) : null,
    knownSetBytesPerSession: measuredSessions ? Math.round(sessionMem / measuredSessions) : null,
    disconnects: reports.reduce((a, r) => a + (r?.disconnects ?? 0), 0),
    botsConnected: reports.map((r) => r?.connected ?? null),
    botsCpuPercent: reports.map((r) => r?.botsCpuPercent ?? null),
    closesByCode: st.closesByCode,
    rejectedConnections: st.rejectedConnections,
    loadAverage: { start: loadStart, end: load() },
  };
};
