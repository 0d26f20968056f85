/**
 * End-to-end parts of suite `net` (issue 12): a game server in the bench process (pinned to
 * CPU 0 when taskset exists) and real WebSocket bots in separate processes (pinned to CPU 1),
 * on 127.0.0.1 at 20 Hz (or over a veth pair: WT_NET_NETNS, bench/net-netns.ts).
 *
 * Per run: update latency p50/p99/p99.9 (bots' HDR histograms), snapshots and bytes per client
 * per second, server CPU, bots CPU, server µs per session-snapshot next to the transport floor
 * measured in the same run, disconnects, controller mode and quality-ladder levels.
 *
 * Transport floor: on every FLOOR_EVERY-th step of the measured window, after the step, the
 * server sends one frame of the run's average snapshot size to every joined socket — a bare
 * `ws.send` loop, alternating with one uWS `publish` to a topic all sockets joined (the shared
 * stream candidate). The frame is an `event` that bots ignore; it does not touch any session's
 * known set, so the consistency checks still hold. Its cost per socket is the floor.
 */

import { PHASES } from '../src/core/phases.js';
import { createLogger } from '../src/log.js';
import { LoopRunner } from '../src/loop/loop-runner.js';
import { GameServer } from '../src/net/game-server.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { tempDataDir } from '../test/helpers/data-dir.js';
import { CROWD, CROWD_NET, createCrowdWorld } from '../src/scenarios/crowd.js';
import { populateNpcs } from '../src/world/populate.js';
import { createSimWorld } from '../src/world/sim-world.js';
import type { SuiteContext } from './harness.js';
import { type BotReport, groupFigures, latencySplit, load, mib, pct, r2, runBots, settledRss } from './net-bots-proc.js';
import { createFloorProbe } from './net-floor-probe.js';
import { gcWatch } from './net-gc.js';
import type { E2eOptions } from './net-e2e-options.js';
import { describePlacement, envPlacement, napiCpuMs } from './net-netns.js';

export type { E2eOptions } from './net-e2e-options.js';

const WARMUP_S = 2;
const FULL_EVERY = 10;
/** One end-to-end run; returns its figures. */
export const e2e = async (ctx: SuiteContext, o: E2eOptions): Promise<Record<string, unknown>> => {
  const { clients, seconds, scenario } = o;
  const place = o.place ?? envPlacement();
  const crowd = scenario === 'crowd';
  const world = crowd
    ? createCrowdWorld({ id: '1', npcs: CROWD.npcs, seed: 1, playerCapacity: clients + 100 })
    : createSimWorld({
        id: '1',
        capacity: 10_000 + clients + 100,
        size: 2000,
        seed: 1,
        config: { simulation: { tickIntervalSeconds: 0.05 } },
      });
  if (!crowd) populateNpcs(world, { count: 10_000 });
  const steps: number[] = [],
    replicate: number[] = [],
    send: number[] = [],
    usPerSnap: number[] = [],
    sendUsPerSnap: number[] = [],
    cpuUsPerSnap: number[] = [];
  const floor = createFloorProbe(clients);
  const gc = gcWatch();
  let recording = false,
    /** Sessions when the window opened; the window closes at the first step below 99 % of it (bots leaving). */
    windowSessions = 0,
    lastSnaps = 0;
  const modes: Record<string, number> = {};
  /** Recorded steps with the overload floors on (net `ladder.overload`). */
  let overloadSteps = 0;
  /** Recorded steps with active players spread (net `ladder.activeSpread` or `crowdSpread` > 1), and the last spread seen. */
  let spreadSteps = 0;
  /** Sum of each phase's wall ms over the recorded steps (what else runs per step besides replication). */
  const phaseSum = new Float64Array(PHASES.length);
  const spreadLast = { activeSpread: 1, crowdSpread: 1, activeUsPerSnapshot: 0, spreadRaised: 0 };
  /** Wall ms from each recorded replicate phase's start until its active players were all sent. */
  const activeSent: number[] = [];
  let server: GameServer | null = null;
  let closeWindow = (): void => {};
  /** The players' bots process (deaf mode stops and resumes it). */
  let botsPid = 0;
  const setBotsPid = (pid: number): void => {
    botsPid = pid;
  };
  const runner = new LoopRunner({
    onStep: (w) => {
      const net = w.net;
      if (!net) return;
      o.hooks?.afterStep(w, recording);
      const snaps = net.stats.snapshotsSent - lastSnaps;
      lastSnaps = net.stats.snapshotsSent;
      if (!recording) return;
      if (net.sessions.length < windowSessions * 0.99) {
        // The bots are leaving: steps from here on are not the measured load.
        closeWindow();
        return;
      }
      steps.push(w.stats.totalMs);
      gc.step(w, snaps);
      for (let i = 0; i < PHASES.length; i++) phaseSum[i] += w.stats.phaseMs[i] ?? 0;
      modes[w.controller.mode] = (modes[w.controller.mode] ?? 0) + 1;
      const lad = net.stats.ladder;
      overloadSteps += lad.overload;
      if (lad.activeSpread > 1 || lad.crowdSpread > 1) spreadSteps++;
      spreadLast.activeSpread = lad.activeSpread;
      spreadLast.crowdSpread = lad.crowdSpread;
      spreadLast.activeUsPerSnapshot = lad.activeUsPerSnapshot;
      spreadLast.spreadRaised = lad.spreadRaised;
      if (net.sessions.length > 0) activeSent.push(net.stats.ladder.activeSentMs);
      replicate.push(net.stats.lastReplicateMs);
      send.push(net.stats.lastSendMs);
      if (snaps > 0) {
        usPerSnap.push((net.stats.lastReplicateMs * 1000) / snaps);
        sendUsPerSnap.push((net.stats.lastSendMs * 1000) / snaps);
        cpuUsPerSnap.push((net.stats.lastReplicateCpuMs * 1000) / snaps);
      }
      if (server) floor.maybeProbe(server, net, w.clock.step);
    },
  });
  runner.add(world);
  const spectators = o.spectatorShare ?? 0;
  const storeDir = o.store === 'sqlite' ? tempDataDir('wt-net-store-') : null;
  const store = storeDir ? new SqliteStore({ dataDir: storeDir.dir }) : null;
  server = new GameServer({
    ...(store ? { store: () => store } : {}),
    host: place.host,
    port: 0,
    logger: createLogger('warn'),
    resolveWorld: (id) => (id === '1' ? world : undefined),
    net: {
      ...(crowd ? CROWD_NET : {}),
      ...(o.viewMode ? { viewMode: o.viewMode } : {}),
      ...(o.regionMaxEntitiesFactor ? { regionMaxEntitiesFactor: o.regionMaxEntitiesFactor } : {}),
      ...(o.deafSeconds ? { activeInputMs: 3_600_000 } : {}),
      // Over veth every bot connects from the namespace's one address, which the per-address limit
      // (default 64, loopback exempt) would refuse with 429 after the 64th.
      ...(place.netns ? { maxConnectionsPerAddress: 0 } : {}),
      ...o.net,
    },
  });
  await server.start();
  runner.start();
  let regions0 = { framesSent: 0, framesEncoded: 0, denseFallbacks: 0, sparseFallbacks: 0 };
  await new Promise((r) => setTimeout(r, 1000));
  const loadStart = load();
  const rss0 = await settledRss();
  let rssJoined = 0,
    recordAt = 0,
    snapsAt = 0,
    bytesAt = 0;
  let cpu0 = process.cpuUsage();
  let napi0 = napiCpuMs(place);
  let measuring: Promise<void> | null = null;
  /** The measured window's end: server CPU, wall time, counters and region figures, taken once. */
  const win: {
    end: {
      cpu: NodeJS.CpuUsage;
      napiMs: number;
      wallMs: number;
      snapshotsSent: number;
      snapshotBytes: number;
      regions: typeof regions0 | null;
    } | null;
  } = {
    end: null,
  };
  closeWindow = () => {
    if (win.end || !recording) return;
    recording = false;
    gc.record(false);
    const st = server!.stats();
    const rs = world.net?.regions?.stats;
    win.end = {
      cpu: process.cpuUsage(cpu0),
      napiMs: napiCpuMs(place) - napi0,
      wallMs: performance.now() - recordAt,
      snapshotsSent: st.snapshotsSent,
      snapshotBytes: st.snapshotBytes,
      regions: rs ? { ...rs } : null,
    };
  };
  const watcher = setInterval(() => {
    if (!measuring && server!.stats().sessions >= clients * 0.99) {
      measuring = settledRss().then((r) => {
        rssJoined = r;
        recording = true;
        gc.record(true);
        windowSessions = server!.stats().sessions;
        cpu0 = process.cpuUsage();
        napi0 = napiCpuMs(place);
        recordAt = performance.now();
        if (o.deafSeconds && botsPid > 0) {
          process.kill(botsPid, 'SIGSTOP');
          setTimeout(() => {
            closeWindow();
            process.kill(botsPid, 'SIGCONT');
          }, o.deafSeconds * 1000);
        }
        const st = server!.stats();
        snapsAt = st.snapshotsSent;
        bytesAt = st.snapshotBytes;
        const rs = world.net?.regions?.stats;
        if (rs) regions0 = { ...rs };
      });
    }
  }, 100);
  // Players, and (spectatorShare > 0) a second bots process of spectators (token `spectator`):
  // each reports its own latency, so active players' figures stand alone.
  const nSpec = Math.round(clients * spectators);
  const botArgs = (n: number, extra: string[]): string[] => {
    const a = [
      '--url',
      `ws://${place.host}:${server!.port}`,
      '--clients',
      String(n),
      '--duration',
      String(seconds),
      '--warmup',
      String(WARMUP_S),
      '--concurrency',
      '200',
      '--full-every',
      String(o.fullEvery ?? FULL_EVERY),
      '--transport',
      o.botsTransport ?? 'raw',
      '--no-progress',
      '--scenario',
      crowd ? 'crowd' : 'steady',
      ...extra,
    ];
    if (o.pin.applied) a.push('--cpu', '1');
    return a;
  };
  // Spectators join first and stay for the players' whole run (their window is longer: their
  // figures cover the players' ramp too); the server's window starts once everyone is in.
  let specRun: Promise<{ code: number | null; out: string }> | null = null;
  const one = o.oneBotsProcess === true;
  if (nSpec > 0 && !one) {
    const longer = botArgs(nSpec, ['--token', 'spectator', '--seed', '2']);
    longer[longer.indexOf('--duration') + 1] = String(seconds + 60);
    specRun = runBots(ctx, longer, null, place);
    const t0 = performance.now();
    while (server.stats().sessions < nSpec * 0.99 && performance.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 200));
  }
  const nIdle = Math.round(clients * (o.idleShare ?? 0));
  const nPlayers = clients - nSpec;
  const idleArgs = nIdle > 0 ? ['--idle-share', String(Math.min(1, nIdle / Math.max(1, nPlayers)))] : [];
  const { code, out } = one
    ? await runBots(ctx, botArgs(clients, [...idleArgs, '--spectator-share', String(spectators)]), null, place, setBotsPid)
    : await runBots(ctx, botArgs(nPlayers, idleArgs), null, place, setBotsPid);
  clearInterval(watcher);
  closeWindow();
  recording = false;
  const end = win.end;
  if (!end) throw new Error('the measured window never opened (fewer than 99 % of the bots joined)');
  const { cpu, wallMs } = end;
  // Counters at the window's end; the other fields (closes, ladder, classes) at the run's end.
  const st = { ...server.stats(), snapshotsSent: end.snapshotsSent, snapshotBytes: end.snapshotBytes };
  const rs = end.regions;
  const regionFigures = rs
    ? {
        /** Session-snapshots served by a shared region frame, over all snapshots sent (measured window). */
        shareOfSnapshots: r2((rs.framesSent - regions0.framesSent) / Math.max(1, st.snapshotsSent - snapsAt)),
        framesSent: rs.framesSent - regions0.framesSent,
        framesEncoded: rs.framesEncoded - regions0.framesEncoded,
        /** Sessions served per encoded frame. */
        sessionsPerFrame: r2((rs.framesSent - regions0.framesSent) / Math.max(1, rs.framesEncoded - regions0.framesEncoded)),
        denseFallbacks: rs.denseFallbacks - regions0.denseFallbacks,
        /** Session-snapshots sent exact because their cell had fewer than `regionMinPlayers` players. */
        sparseFallbacks: rs.sparseFallbacks - regions0.sparseFallbacks,
      }
    : null;
  const spec = specRun ? await specRun : null;
  runner.stop();
  const mode = world.controller.mode;
  await server.stop();
  await store?.close();
  storeDir?.remove();
  const line = out.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`bots exited ${code}: ${out.slice(-500)}`);
  const r = JSON.parse(line) as BotReport;
  const specLine = spec?.out.trim().split('\n').at(-1) ?? '';
  const sr = specLine.startsWith('{') ? (JSON.parse(specLine) as BotReport) : null;
  const snapSecs = wallMs / 1000;
  const floorCpuUs = floor.cpuUs();
  const serverCpuPercent = Math.round((cpu.user + cpu.system) / 10 / Math.max(1, wallMs));
  const napiPercent = Math.round((end.napiMs * 100) / Math.max(1, wallMs));
  if (place.netns) ctx.log(`  network: veth (${place.netns}); the bots' NAPI thread over the window: ${napiPercent} % of a core`);
  const split = latencySplit(
    ctx,
    r,
    { p50: pct(activeSent, 0.5), p99: pct(activeSent, 0.99) },
    serverCpuPercent,
    o.fullEvery ?? FULL_EVERY,
  );
  const cpuUs = pct(cpuUsPerSnap, 0.5);
  return {
    scenario,
    clients,
    seconds,
    viewMode: o.viewMode ?? 'exact',
    durableStore: o.store ?? null,
    regions: regionFigures,
    spectatorShare: spectators,
    idleShare: o.idleShare ?? 0,
    botsProcesses: one ? 'one (every group, one window)' : nSpec > 0 ? 'two (spectators first, longer window)' : 'one',
    /**
     * Per group (bots' measurements): active players (moving), idle players (no input), spectators
     * (their own bots process; its window is longer: it covers the players' ramp too).
     */
    groups: {
      activePlayers: groupFigures(r.groups?.activePlayers),
      idlePlayers: groupFigures(r.groups?.idlePlayers),
      spectators: groupFigures(one ? r.groups?.spectators : sr?.groups?.spectators),
    },
    /** With spectators: the figures below are the players' bots process; the spectators' are here. */
    spectatorBots: sr
      ? {
          clients: nSpec,
          connected: sr.connected,
          disconnects: sr.disconnects,
          updateLatencyMs: sr.updateLatencyMs,
          snapshotsPerClientPerSecond: sr.snapshotsPerClientPerSecond,
          bytesPerClientPerSecond: sr.bytesPerClientPerSecond,
          botsCpuPercent: sr.botsCpuPercent,
          inconsistencies: sr.inconsistencies,
        }
      : null,
    connected: r.connected,
    disconnects: r.disconnects,
    disconnectsByCode: r.disconnectsByCode,
    updateLatencyMs: r.updateLatencyMs,
    inputAckRttMs: r.inputAckRttMs,
    /** Between consecutive snapshots of one bot (the rate a player saw; a stall shows here, not in the latency). */
    snapshotGapMs: r.snapshotGapMs ?? null,
    snapshotsPerClientPerSecond: r.snapshotsPerClientPerSecond,
    /** Bots' figure: includes the floor probes' frames (1 in FLOOR_EVERY steps). */
    bytesPerClientPerSecond: r.bytesPerClientPerSecond,
    /** Server's figure: snapshot bytes only, over the measured window. */
    snapshotBytesPerClientPerSecond: Math.round((st.snapshotBytes - bytesAt) / clients / snapSecs),
    serverSnapshotsPerClientPerSecond: r2((st.snapshotsSent - snapsAt) / clients / snapSecs),
    avgSnapshotBytes: r.avgSnapshotBytes,
    inconsistencies: r.inconsistencies,
    serverStepMs: {
      p50: pct(steps, 0.5),
      p99: pct(steps, 0.99),
      max: pct(steps, 1),
      steps: steps.length,
      expected: Math.round(snapSecs * 20),
    },
    /** The server's garbage collections over the window, and their share of its longest step (bench/net-gc.ts). */
    gc: gc.figures(),
    replicatePhaseMs: { p50: pct(replicate, 0.5), p99: pct(replicate, 0.99) },
    /**
     * Mean wall ms per recorded step of each phase, and of the loop's whole interval (wall time
     * between steps: the step, plus socket I/O, timers and the floor probes outside it).
     */
    phaseMeanMs: Object.fromEntries(PHASES.map((p, i) => [p, steps.length ? r2(phaseSum[i] / steps.length) : 0])),
    loopIntervalMeanMs: steps.length ? r2(wallMs / steps.length) : null,
    /** Wall ms from the replicate phase's start until every active player was sent: the server's part of their update latency. */
    activePlayersSentMs: { p50: pct(activeSent, 0.5), p99: pct(activeSent, 0.99) },
    /** Server vs bots side by side (docs/BOTS.md "Server vs bots"; bench/net-bots-proc.ts `latencySplit`). */
    latencySplit: split,
    /**
     * Process CPU µs of the replicate phase per snapshot sent (interest query + delta + encode +
     * send): the figure to hold against the floor's CPU µs (wall figures include preemption by
     * other processes on the shared core).
     */
    serverCpuUsPerSessionSnapshot: { p50: cpuUs, p99: pct(cpuUsPerSnap, 0.99) },
    /** Wall µs of the replicate phase per snapshot sent. */
    serverWallUsPerSessionSnapshot: { p50: pct(usPerSnap, 0.5), p99: pct(usPerSnap, 0.99) },
    /** µs per snapshot inside ws.send within the replicate phase. */
    sendUsPerSessionSnapshot: { p50: pct(sendUsPerSnap, 0.5) },
    /** Transport floor: bare ws.send loop of same-sized frames to the same sockets, µs per socket. */
    transportFloorUsPerSocket: floor.figures(),
    /** Server CPU per session-snapshot ÷ floor CPU per socket (send loop): 1 = at the floor. */
    serverOverFloor: floorCpuUs > 0 ? r2(cpuUs / floorCpuUs) : null,
    serverRssMiB: { zeroSessions: mib(rss0), allJoined: mib(rssJoined) },
    serverRssKiBPerSession: rssJoined ? Math.round(((rssJoined - rss0) / 1024 / clients) * 10) / 10 : null,
    serverCpuPercent,
    /** Deaf clients: seconds the players' bots process was stopped (the window); 0 = they read. */
    deafSeconds: o.deafSeconds ?? 0,
    /** Where the clients' receive path ran; (veth) the bots' NAPI thread's CPU over the window, % of one core (their kernel receive path, CPU 1). */
    network: describePlacement(place),
    napiCpuPercent: place.netns ? napiPercent : null,
    serverCpuMsPerStep: steps.length ? Math.round(((cpu.user + cpu.system) / 1000 / steps.length) * 10) / 10 : null,
    botsCpuPercent: r.botsCpuPercent,
    loadAverage: { start: loadStart, end: load() },
    fullDecodeClients: r.fullDecodeClients,
    lightClients: r.lightClients,
    skippedBackpressure: st.skippedBackpressure,
    closesByCode: st.closesByCode,
    controllerModeAtEnd: mode,
    controllerModeSteps: modes,
    /** Recorded steps with the overload floors on (docs/NET-SCALE.md "10,000 sessions"), and the net options of the run. */
    overloadSteps,
    /** Recorded steps with the active players spread over k steps (docs/NET-SCALE.md "Active-player spread"), and the spread at the window's end. */
    spreadSteps,
    spreadAtEnd: spreadLast,
    netOptions: o.net ?? {},
    ladderLevelsAtEnd: st.ladderLevels,
    byClass: st.byClass,
    ...(o.hooks ? { hooks: o.hooks.report() } : {}),
  };
};
