/**
 * The replicate phase of one world (issue 12 items 2 and 4): every session's snapshot, in
 * priority order, at the quality its priority and its own ladder allow, then events.
 *
 *   pass 1  priority per session (session-priority.ts), counting sort into 5 buckets
 *   pass 2  buckets 4 → 0 (active players in crowds first, bots/observers last); inside a
 *           bucket the start rotates every step, so the tail of a bucket is not always the same
 *           sessions. Under load (controller pressure > 0), once the phase has spent
 *           `replicateBudgetMs`, sessions below priority 3 are deferred to a later step, down
 *           to a floor rate: idle players `idlePlayerMinHz` (default 4 Hz), spectators, bots
 *           and observers `nonPlayerMinHz` (default 1 Hz) — see {@link deferLimit}; under
 *           sustained overload (controller emergency while the loop runs late: `updateOverload`)
 *           `overloadIdlePlayerMinHz` (1 Hz) and `overloadNonPlayerMinHz` (0.25 Hz), deferred
 *           once `overloadReplicateBudgetMs` (0: from the start) is spent. Their known
 *           set is untouched, so the next snapshot is still an exact delta. Active players are
 *           never deferred; under overload, when their own sends do not fit
 *           `overloadActiveShare` of the step, they are spread over k steps (active-spread.ts):
 *           each sent where (step + id) mod (k × snapshotEvery) = 0, down to
 *           `overloadActivePlayerMinHz`, priority 3 before priority 4 (crowded regions last). Lower buckets are sent last, so they are deferred first. A deferred
 *           session is sent at its slot ((step + id) mod (limit + 1) = 0) or at its limit,
 *           which spreads the floor sends of thousands of deferred sessions evenly over steps.
 *
 * The snapshot's `sendTime` is taken once, before the first session: it is the time of the state
 * the snapshot carries (the step's simulation is done), so a session late in the order sees the
 * wait in its update latency — the metric is "server state → client has it", and a per-session
 * send time would hide the phase's own length (docs/NET-SCALE.md "What the latency measures").
 * That is why the order is by priority, and why the active players' spread keeps the phase short.
 *
 * Snapshot rate (`snapshotHz`, default 20): a world stepping faster sends each session a
 * snapshot every k = ⌊stepHz / snapshotHz⌋ steps (at least 1), at the steps where
 * (step + conn id) mod k = 0, so the sessions are spread evenly over the k steps. Only the due
 * sessions are ordered and sent; a deferred one is due again at the next step.
 */
import { CloseCode } from '../errors.js';
import type { StepContext } from '../core/world-core.js';
import { measureActiveCost, SPREAD_CPU_HOLD, spreadLevel, spreadNeeded, updateActiveSpread } from './active-spread.js';
import { beginRun, encodeSessionSnapshot, type ReplicationWorld } from './replication.js';
import { floorDiv, frameFor, type SnapshotFrame } from './snapshot-frame.js';
import { createRegionFrames, regionFrameFor } from './region-frames.js';
import { flushGameMessages } from './game-outbox-flush.js';
import type { Session } from './session.js';
import {
  cooldownOf,
  deferFloors,
  LADDER_RADIUS_SCALE,
  loadLevel,
  pressureOf,
  PLAYER_CLASS,
  sessionPriority,
  updateLadder,
  updateOverload,
} from './session-priority.js';
import type { PhaseScratch, WorldNet } from './world-net.js';

/**
 * Most consecutive steps a session may be deferred by the replicate budget so that it still gets
 * `minHz` snapshots per wall second: a deferred session is due again at every step until sent,
 * so its gap is at most `every + limit` steps; limit = ⌊stepHz / min(minHz, snapshotHz)⌋ − every
 * (at least 0). At a 20 Hz step and snapshotHz 20: 4 Hz → 4 (every 5th step), 1 Hz → 19.
 */
export const deferLimit = (tickIntervalSeconds: number, every: number, minHz: number, snapshotHz: number): number => {
  const hz = minHz < snapshotHz ? minHz : snapshotHz;
  const gap = Math.floor(1 / (tickIntervalSeconds * hz) + 1e-9);
  return gap > every ? gap - every : 0;
};
/** Priorities at or above this are never deferred (active players). */
const NEVER_DEFER = 3;
const BUCKETS = 5;
/** `prio` of a session not replicated this step (closed, or not at its snapshot slot). */
const NOT_DUE = 255;

/**
 * Steps between two snapshots of one session: ⌊stepHz / snapshotHz⌋, at least 1 (so the rate a
 * session gets is never below `snapshotHz` when the world steps at least that fast).
 */
export const snapshotEvery = (tickIntervalSeconds: number, snapshotHz: number): number => {
  const k = Math.floor(1 / (tickIntervalSeconds * snapshotHz) + 1e-9);
  return k > 1 ? k : 1;
};

/** The phase's scratch on the world's net slot, grown to `n` sessions (nothing allocated per step otherwise). */
const scratchFor = (net: WorldNet, n: number): PhaseScratch => {
  const sc = net.phase;
  if (sc.order.length < n) {
    let size = sc.order.length;
    while (size < n) size *= 2;
    sc.order = new Int32Array(size);
    sc.prio = new Uint8Array(size);
  }
  return sc;
};

/** The replicate phase of one world: every session's snapshot (priority order), then events. */
export const replicateWorld = (world: ReplicationWorld, ctx: StepContext, net: WorldNet): void => {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const sessions = net.sessions;
  const st = net.stats;
  let sendMs = 0;
  if (sessions.length === 0) {
    net.removed.length = 0;
    st.ladder.activeSentMs = 0;
    // The gauges describe the sessions open now: none (not the last step that had some).
    for (let c = 0; c < st.byClass.length; c++) {
      st.byClass[c].sessions = 0;
      st.byClass[c].degraded = 0;
    }
    st.ladder.levels.fill(0);
  } else {
    beginRun(world, net);
    const n = sessions.length;
    const sc = scratchFor(net, n);
    const f = frameFor(world, ctx, net.transport.now(), sc.frame);
    const cfg = net.config;
    const tick = world.config.simulation.tickIntervalSeconds;
    const every = snapshotEvery(tick, cfg.snapshotHz);
    f.snapshotEvery = every;
    const pressure = pressureOf(ctx.budgets.interestQuality);
    const lad = st.ladder;
    lad.pressure = pressure;
    // Sustained overload (emergency while the loop runs late) lowers the deferral floors; while the
    // active players' spread is what keeps the loop on time, overload holds (active-spread.ts).
    const ov = sc.overload;
    const sp = ov.spread;
    const tickMs = tick * 1000;
    // The spread only while the process is CPU-bound (net `overloadSpreadMinCpu`): late with CPU to spare is not ours to fix.
    // Once spread, it holds down to SPREAD_CPU_HOLD of that: a 1 s window in which a neighbour took a slice of the core
    // (0.75 measured) would otherwise send every active player at once in the next step (4,700 snapshots, ≈ 240 ms).
    const minCpu = cfg.overloadSpreadMinCpu * (spreadLevel(sp.active, sp.crowd) > 0 ? SPREAD_CPU_HOLD : 1);
    const cpuBound = cfg.overloadSpreadMinCpu <= 0 || world.controller.cpuShare >= minCpu;
    const hold = cpuBound && spreadLevel(sp.active, sp.crowd) > 0 && spreadNeeded(sp, cfg, ov.lastActive, ov.lastCrowd, every, tickMs);
    if (updateOverload(ov, cfg, t0, ctx.step, tickMs, pressure, hold) > 0) lad.overloadEntered++;
    updateActiveSpread(sp, cfg, ov.on && cpuBound, ov.lastActive, ov.lastCrowd, every, tickMs);
    const spreadActive = sp.active,
      spreadCrowd = sp.crowd;
    lad.overload = ov.on ? 1 : 0;
    lad.stepIntervalMs = ov.meanIntervalMs;
    lad.activeSpread = spreadActive;
    lad.crowdSpread = spreadCrowd;
    lad.activeUsPerSnapshot = Math.round(sp.usPerSnapshot * 100) / 100;
    lad.spreadRaised = sp.raised;
    // Deferral floors (config time values; cheap enough to derive per run, as the step rate may change live).
    const floors = deferFloors(cfg, ov.on);
    const maxDeferIdle = deferLimit(tick, every, floors.idleHz, cfg.snapshotHz);
    const maxDeferOther = deferLimit(tick, every, floors.otherHz, cfg.snapshotHz);
    const byClass = st.byClass,
      levels = st.ladder.levels;
    for (let c = 0; c < byClass.length; c++) {
      byClass[c].sessions = 0;
      byClass[c].degraded = 0;
    }
    levels.fill(0);
    // Pass 1: priorities and the class/level gauges of every open session; the sessions due
    // this step (snapshot slot or deferred) are counting-sorted (highest bucket first).
    const { order, prio, counts, starts } = sc;
    counts.fill(0);
    const nowMs = performance.now();
    const step = f.step;
    let nActive = 0,
      nCrowd = 0;
    // Both budgets are read in every mode: a property read normal mode never ran has no type feedback,
    // and the first degraded step would deoptimize this function (docs/NET-SCALE.md
    // "Deoptimization on the first degraded step"; the same reason for the branch-free code below).
    const replicateBudget = cfg.replicateBudgetMs,
      overloadBudget = cfg.overloadReplicateBudgetMs;
    const budget = pressure > 0 ? replicateBudget : 0;
    // Under overload the loop is already late: below active players, only the floors are sent once
    // `overloadReplicateBudgetMs` is spent (default 0: from the phase's start).
    const overloadFirst = overloadBudget < budget;
    const deferAfter = ov.on && overloadFirst ? overloadBudget : budget;
    // Deferring from the phase's start (overload, default): the cooldown and deferral of a session
    // below active players do not depend on the time spent, so they are decided here and the
    // thousands of held sessions are not visited again in pass 2 (same decisions, same counters).
    const fromStart = deferAfter <= 0;
    const early = budget > 0 && fromStart;
    for (let i = 0; i < n; i++) {
      const s = sessions[i];
      const p = sessionPriority(s, cfg, nowMs);
      if (s.conn.closed || s.closeCode) {
        prio[i] = NOT_DUE;
        continue;
      }
      const load = loadLevel(s.cls, p, pressure);
      const level = load > s.ladder ? load : s.ladder;
      const cs = byClass[s.cls];
      cs.sessions++;
      levels[level]++;
      cs.degraded += level > 0 ? 1 : 0;
      // Steps between this session's snapshots: snapshotHz, times the overload spread of active players.
      let cycle = every;
      if (p === 3) {
        nActive++;
        cycle *= spreadActive;
      } else if (p === 4) {
        nCrowd++;
        cycle *= spreadCrowd;
      }
      const id = s.conn.id;
      const deferred = s.deferred;
      // Every operand is evaluated, and counters are added 0 or 1, in every mode (type feedback, above).
      const offCycle = (step + id) % cycle !== 0,
        onSnapshotSlot = (step + id) % every === 0;
      if (cycle > 1 && deferred === 0 && offCycle) {
        prio[i] = NOT_DUE;
        cs.spread += cycle > every && onSnapshotSlot ? 1 : 0;
        continue;
      }
      const cool = cooldownOf(level);
      const offCool = floorDiv(step + id, every) % cool !== 0;
      const limit = s.cls === PLAYER_CLASS ? maxDeferIdle : maxDeferOther;
      const offSlot = (step + id) % (limit + 1) !== 0;
      const held = early && p < NEVER_DEFER;
      const skip = held && cool > 1 && offCool ? 1 : 0;
      const defer = held && skip === 0 && deferred < limit && offSlot ? 1 : 0;
      st.cooldownSkips += skip;
      cs.cooldownSkips += skip;
      st.deferred += defer;
      cs.deferred += defer;
      s.deferred = deferred + defer;
      const due = skip + defer === 0;
      prio[i] = due ? p : NOT_DUE;
      counts[p] += due ? 1 : 0;
    }
    ov.lastActive = nActive;
    ov.lastCrowd = nCrowd;
    let at = 0;
    for (let b = BUCKETS - 1; b >= 0; b--) {
      starts[b] = at;
      at += counts[b];
    }
    for (let i = 0; i < n; i++) if (prio[i] !== NOT_DUE) order[starts[prio[i]]++] = i;
    // Pass 2: buckets high → low, each from a rotating start.
    let now = nowMs;
    at = 0;
    const tActive = performance.now();
    let activeSends = 0;
    for (let b = BUCKETS - 1; b >= 0; b--) {
      if (b === NEVER_DEFER - 1) {
        // Wall ms until the active players (priority ≥ 3) were all sent: the server's share of their
        // latency; and their cost per snapshot, the spread's estimate.
        const tEnd = performance.now();
        lad.activeSentMs = tEnd - t0;
        measureActiveCost(sp, activeSends, tEnd - tActive);
      }
      const spread = b === 4 ? spreadCrowd : b === 3 ? spreadActive : 1;
      const count = counts[b],
        from = at;
      at += count;
      if (count === 0) continue;
      const rot = (f.step * 7919) % count;
      for (let j = 0; j < count; j++) {
        const s = sessions[order[from + ((j + rot) % count)]];
        if (s.conn.closed || s.closeCode) continue;
        const cs = byClass[s.cls];
        // Effective quality level: the worse of load (by priority) and the session's own ladder.
        const load = loadLevel(s.cls, b, pressure);
        const level = load > s.ladder ? load : s.ladder;
        const cool = cooldownOf(level);
        const id = s.conn.id,
          deferred = s.deferred;
        // The session's own snapshot ordinal (its cadence: snapshotHz times the spread). As in pass 1,
        // every operand is evaluated and counters are added 0 or 1 in every mode (type feedback).
        const skip = cool > 1 && floorDiv(step + id, every * spread) % cool !== 0 ? 1 : 0;
        st.cooldownSkips += skip;
        cs.cooldownSkips += skip;
        if (skip !== 0) continue;
        const limit = s.cls === PLAYER_CLASS ? maxDeferIdle : maxDeferOther;
        // Over the budget, a session is sent only at its own slot ((step + id) mod (limit + 1) = 0)
        // or at its limit, so the floor sends of thousands of deferred sessions spread evenly
        // over the steps instead of all coming due at once (after one cycle every session is
        // in step with its slot).
        const offSlot = (step + id) % (limit + 1) !== 0,
          spent = now - t0 >= deferAfter,
          belowLimit = deferred < limit,
          low = b < NEVER_DEFER;
        const defer = budget > 0 && low && spent && belowLimit && offSlot ? 1 : 0;
        st.deferred += defer;
        cs.deferred += defer;
        const next = deferred + 1;
        s.deferred = defer === 0 ? 0 : next;
        if (defer !== 0) continue;
        const t1 = sendOne(world, net, s, f, sc.sessionFrame, level, cool, spread);
        if (t1 > 0) {
          now = performance.now();
          sendMs += now - t1;
          if (b >= NEVER_DEFER) activeSends++;
        }
      }
    }
    if (net.closing.length) {
      // Closing calls the close handler synchronously, which edits `sessions`: do it after the loop.
      for (const s of net.closing) net.transport.close(s, s.closeCode, 'slow consumer');
      net.closing.length = 0;
    }
  }
  if (net.config.maxEventsPerStep > 0) world.intents.drain(net.config.maxEventsPerStep, net.deliver);
  flushGameMessages(world, net);
  // Sessions the game kicked this step: closed now, after their last messages went out (session-kick.ts).
  if (net.kicks.length) {
    const kicks = net.kicks.splice(0);
    for (const k of kicks) net.kick?.(k.player, k.reason);
  }
  st.lastStep = ctx.step;
  st.lastReplicateMs = performance.now() - t0;
  st.lastSendMs = sendMs;
  const cpu = process.cpuUsage(cpu0);
  st.lastReplicateCpuMs = (cpu.user + cpu.system) / 1000;
  net.stepped?.();
};

/**
 * Backpressure check, ladder walk, encode and send of one session at `level`, cooldown `every`
 * and overload spread `spread` (1 = none). Returns the wall time just before the send
 * (performance.now), or 0 when nothing was sent.
 */
const sendOne = (
  world: ReplicationWorld,
  net: WorldNet,
  s: Session,
  f: SnapshotFrame,
  sf: SnapshotFrame,
  level: number,
  every: number,
  spread: number,
): number => {
  const st = net.stats,
    cfg = net.config,
    cs = st.byClass[s.cls];
  const buffered = net.transport.buffered(s);
  const moved = updateLadder(s, cfg, buffered, f.step);
  if (moved < 0) st.ladder.down++;
  else if (moved > 0) st.ladder.up++;
  if (buffered > cfg.skipBufferedBytes) {
    // Skipped: its known set is untouched, so the next snapshot is a correct delta.
    st.skippedBackpressure++;
    cs.skippedBackpressure++;
    if (++s.skipped >= cfg.maxSkippedSteps) {
      s.closeCode = CloseCode.SLOW_CONSUMER;
      net.closing.push(s);
    }
    return 0;
  }
  s.skipped = 0;
  st.sentBuffered += buffered > 0 ? 1 : 0;
  // Staler far ring at level ≥ 1 (every 4 of its own sends), smaller radius at level ≥ 2; a
  // spread session's cadences (far ring, requery) count its own snapshots. `sf` is filled for every
  // session (a few stores) and used only by a degraded or spread one: filled only then, its stores
  // and reads had no type feedback in normal mode and deoptimized this function and its caller on
  // the first degraded step (docs/NET-SCALE.md "Deoptimization on the first degraded step").
  const staleFar = f.farEvery * 4 * every;
  const shrunk = Math.max(f.radiusScale * LADDER_RADIUS_SCALE, cfg.detailedRadius / Math.max(1e-9, s.interestRadius));
  sf.step = f.step;
  sf.worldTime = f.worldTime;
  sf.sendTime = f.sendTime;
  sf.requeryEvery = f.requeryEvery;
  sf.snapshotEvery = (f.snapshotEvery ?? 1) * spread;
  sf.farEvery = level > 0 ? staleFar : f.farEvery;
  sf.radiusScale = level >= 2 ? shrunk : f.radiusScale;
  const frame = level > 0 || spread > 1 ? sf : f;
  // Region mode (region-frames.ts): a session at full radius whose own ladder is at 0 gets its
  // cell's shared frame (level 1 from load only asks for a staler far ring: a full frame is fresher).
  let bytes: Uint8Array | null = null;
  if (cfg.viewMode === 'regions' && level <= 1 && s.ladder === 0) {
    const rf = (net.regions ??= createRegionFrames(world, net));
    bytes = regionFrameFor(world, net, rf, s, f);
    if (bytes !== null) {
      s.knownCount = 0; // the frame replaced the client's view: the next exact snapshot is all enters
      rf.stats.framesSent++;
    }
  }
  const len = bytes === null ? encodeSessionSnapshot(world, net, s, frame) : bytes.length;
  const t1 = performance.now();
  const r = net.transport.send(s, bytes === null ? net.out.bytes.subarray(0, len) : bytes);
  if (r === 2) {
    // Dropped by uWS: the client's view no longer matches our known set. Close it.
    s.closeCode = CloseCode.SLOW_CONSUMER;
    net.closing.push(s);
  } else if (r >= 0) {
    st.snapshotsSent++;
    st.snapshotBytes += len;
    cs.snapshots++;
    cs.bytes += len;
  }
  return t1;
};
