import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { createLatencyHistogram, encodeHistogram, mergeHistograms, recordMs, summarize } from '../../../src/bots/histogram.js';
import { joinFailureReason } from '../../../src/bots/join-failure.js';
import { BotsReportSchema, mergeReports, type ProcReport } from '../../../src/bots/report.js';

const hist = (values: readonly number[]) => {
  const h = createLatencyHistogram();
  for (const v of values) recordMs(h, v);
  return h;
};

const part = (proc: number, values: readonly number[], over: Partial<ProcReport> = {}): ProcReport => ({
  proc,
  pid: 1000 + proc,
  cpusAllowed: null,
  stopped: null,
  stoppedIn: null,
  clients: 10,
  connected: 10,
  cancelledJoins: 0,
  joinFailures: 0,
  joinFailuresByReason: {},
  disconnects: 0,
  disconnectsByCode: {},
  measuredSeconds: 2,
  clientSeconds: 20,
  snapshots: values.length,
  bytesIn: values.length * 100,
  inputsSent: 20,
  errorsReceived: 0,
  inconsistencies: 0,
  ignoredFrames: 0,
  fullDecodeClients: 1,
  lightClients: 9,
  joinsMeasured: 0,
  leavesMeasured: 0,
  cpuMs: 100,
  cpuUserMs: 60,
  purchasesSent: 0,
  purchaseResults: {},
  movesFollowed: {},
  moveFailures: {},
  movesResumed: 0,
  movesNotResumed: 0,
  groups: {},
  histograms: {
    update: encodeHistogram(hist(values)),
    inputAck: encodeHistogram(hist([1, 2])),
    join: encodeHistogram(hist([5])),
    purchase: encodeHistogram(hist([])),
    loopDelay: encodeHistogram(hist([0.5, 1, 12])),
    moveGap: encodeHistogram(hist([])),
    snapshotGap: encodeHistogram(hist([50, 50, 12_000])),
  },
  ...over,
});

describe('bots report merge', () => {
  // Known values: 1..1000 ms in one process, 1001..2000 ms in another (and a slow tail of 10).
  const a = Array.from({ length: 1000 }, (_, i) => i + 1);
  const b = Array.from({ length: 1000 }, (_, i) => i + 1001);
  const tail = Array.from({ length: 10 }, (_, i) => 5000 + i);

  it('merged percentiles equal those of one histogram built from the union of the samples', () => {
    const merged = summarize(mergeHistograms([encodeHistogram(hist(a)), encodeHistogram(hist(b)), encodeHistogram(hist(tail))]));
    const union = summarize(hist([...a, ...b, ...tail]));
    expect(merged).toEqual(union);
    expect(merged.samples).toBe(2010);
  });

  it('percentiles of known values are within the histogram precision (3 significant digits)', () => {
    const s = summarize(mergeHistograms([encodeHistogram(hist(a)), encodeHistogram(hist(b))]));
    // 2,000 values 1..2000 ms: p50 = 1000, p90 = 1800, p99 = 1980, p99.9 = 1998, max = 2000.
    for (const [got, want] of [
      [s.p50, 1000],
      [s.p90, 1800],
      [s.p99, 1980],
      [s.p999, 1998],
      [s.max, 2000],
      [s.mean, 1000.5],
    ] as const)
      expect(Math.abs(got - want) / want).toBeLessThan(0.002);
  });

  it('sub-millisecond values keep microsecond resolution; negative ones count as 0', () => {
    const s = summarize(hist([0.25, 0.25, 0.25, -3]));
    expect(s.samples).toBe(4);
    expect(s.p50).toBe(0.25);
    expect(s.p999).toBe(0.25);
  });

  it('mergeReports sums counts, cancelled joins, disconnect codes and join-failure reasons, merges histograms, and validates against the schema', () => {
    const r = mergeReports(
      [
        part(0, a, { disconnects: 1, disconnectsByCode: { 4002: 1 }, joinFailures: 2, joinFailuresByReason: { MAINTENANCE: 2 } }),
        part(1, b, {
          cancelledJoins: 3,
          disconnects: 2,
          disconnectsByCode: { 4002: 1, 1006: 1 },
          joinFailures: 2,
          joinFailuresByReason: { MAINTENANCE: 1, timeout: 1 },
          measuredSeconds: 2.5,
          clientSeconds: 30,
          ignoredFrames: 3,
        }),
      ],
      { scenario: 'steady', url: 'ws://x', worldId: '1', cpus: null, startedAt: new Date(0).toISOString(), transport: 'raw' },
    );
    expect([...Value.Errors(BotsReportSchema, r)]).toEqual([]);
    expect(r).toMatchObject({
      procs: 2,
      clients: 20,
      connected: 20,
      snapshots: 2000,
      bytesIn: 200_000,
      inputsSent: 40,
      disconnects: 3,
      disconnectsByCode: { 4002: 2, 1006: 1 },
      cancelledJoins: 3,
      joinFailures: 4,
      joinFailuresByReason: { MAINTENANCE: 3, timeout: 1 },
      measuredSeconds: 2.5,
      cpuMs: 200,
      fullDecodeClients: 2,
      lightClients: 18,
      ignoredFrames: 3,
    });
    expect(r.updateLatencyMs).toEqual(summarize(hist([...a, ...b])));
    expect(r.inputAckRttMs.samples).toBe(4);
    expect(r.joinLatencyMs.samples).toBe(2);
    expect(r.snapshotsPerClientPerSecond).toBe(40); // 2000 snapshots / (20 + 30) bot-seconds
    expect(r.clientSeconds).toBe(50);
    expect(r.botsCpuPercent).toBe(8); // 200 ms CPU over 2.5 s
    expect(r.botsCpuUserPercent).toBe(5); // 120 ms user CPU over 2.5 s
    expect(r.botsCpuUsPerSnapshot).toBe(100); // 200 ms CPU over 2000 snapshots
    expect(r.botsCpuUserUsPerSnapshot).toBe(60);
    // The event-loop delay merges like the latencies (3 samples per process; max 12 ms).
    expect(r.eventLoopDelayMs.samples).toBe(6);
    expect(r.eventLoopDelayMs.max).toBeCloseTo(12, 1);
    expect(r.transport).toBe('raw');
    expect(r.perProc.map((p) => p.updateLatencyMs.samples)).toEqual([1000, 1000]);
  });

  it('a run stopped before its window (measuredSeconds 0) reports no CPU share out of a window of nothing', () => {
    const stopped = { stopped: 'SIGINT', stoppedIn: 'ramp' as const, measuredSeconds: 0, clientSeconds: 0, cpuMs: 3, cpuUserMs: 2 };
    const meta = { scenario: 'steady', url: 'ws://x', worldId: '1', cpus: null, startedAt: new Date(0).toISOString(), transport: 'raw' };
    const r = mergeReports([part(0, [], stopped), part(1, [], stopped)], meta);
    expect([...Value.Errors(BotsReportSchema, r)]).toEqual([]);
    expect(r).toMatchObject({
      partial: true,
      measuredSeconds: 0,
      cpuMs: 6,
      botsCpuPercent: 0,
      botsCpuUserPercent: 0,
      snapshotsPerClientPerSecond: 0,
    });
  });

  it('moves followed, failed and resumed add up over processes; their gap histograms merge by bucket', () => {
    const h = (v: number[]) => ({ ...part(0, a).histograms, moveGap: encodeHistogram(hist(v)) });
    const r = mergeReports(
      [
        part(0, a, { movesFollowed: { redirected: 3, leaseLost: 0, goingAway: 0 }, movesResumed: 3, histograms: h([100, 200, 300]) }),
        part(1, b, {
          movesFollowed: { redirected: 1, leaseLost: 2, goingAway: 0 },
          moveFailures: { redirected: 0, leaseLost: 1, goingAway: 0 },
          movesResumed: 2,
          movesNotResumed: 1,
          histograms: h([1000, 2000, 3000]),
        }),
      ],
      { scenario: 'steady', url: 'ws://x', worldId: '1', cpus: null, startedAt: new Date(0).toISOString(), transport: 'raw' },
    );
    expect([...Value.Errors(BotsReportSchema, r)]).toEqual([]);
    expect(r).toMatchObject({
      movesFollowed: { redirected: 4, leaseLost: 2, goingAway: 0 },
      moveFailures: { redirected: 0, leaseLost: 1, goingAway: 0 },
      movesResumed: 5,
      movesNotResumed: 1,
    });
    expect(r.moveGapMs).toEqual(summarize(hist([100, 200, 300, 1000, 2000, 3000])));
    expect(r.perProc.map((p) => p.moveGapMs.samples)).toEqual([3, 3]);
    // Every process's snapshot gaps (a 12 s stall in each) merge the same way.
    expect(r.snapshotGapMs).toEqual(summarize(hist([50, 50, 12_000, 50, 50, 12_000])));
    const stall = summarize(hist([12_000])).max; // 12,000 within the histogram's 3 significant digits
    expect(r.perProc.map((p) => p.snapshotGapMs.max)).toEqual([stall, stall]);
  });

  it('per-group figures (active / idle players, spectators) merge by group across processes', () => {
    const g = (values: readonly number[], connected: number, clientSeconds: number, gaps: readonly number[] = []) => ({
      connected,
      clientSeconds,
      snapshots: values.length,
      bytesIn: values.length * 50,
      inputsSent: 0,
      histograms: { update: encodeHistogram(hist(values)), inputAck: encodeHistogram(hist([])), gap: encodeHistogram(hist(gaps)) },
    });
    const r = mergeReports(
      [
        part(0, a, { groups: { activePlayers: { ...g([1, 2, 3], 5, 10), inputsSent: 7 }, idlePlayers: g([10, 20], 5, 10) } }),
        part(1, b, { groups: { idlePlayers: g([30], 5, 10, [100, 9000]), spectators: g(tail, 5, 10) } }),
      ],
      { scenario: 'steady', url: 'ws://x', worldId: '1', cpus: null, startedAt: new Date(0).toISOString(), transport: 'raw' },
    );
    expect([...Value.Errors(BotsReportSchema, r)]).toEqual([]);
    expect(Object.keys(r.groups)).toEqual(['activePlayers', 'idlePlayers', 'spectators']);
    expect(r.groups.activePlayers).toMatchObject({ connected: 5, snapshots: 3, inputsSent: 7, snapshotsPerClientPerSecond: 0.3 });
    expect(r.groups.idlePlayers).toMatchObject({ connected: 10, snapshots: 3, clientSeconds: 20, bytesPerClientPerSecond: 8 });
    expect(r.groups.idlePlayers!.updateLatencyMs).toEqual(summarize(hist([10, 20, 30])));
    expect(r.groups.idlePlayers!.snapshotGapMs).toEqual(summarize(hist([100, 9000])));
    expect(r.groups.activePlayers!.snapshotGapMs.samples).toBe(0);
    expect(r.groups.spectators!.updateLatencyMs.samples).toBe(10);
  });

  it('joinFailureReason keys the errors the client and the light bot throw', () => {
    expect(joinFailureReason(new Error('hello refused: MAINTENANCE world 1 is in maintenance'))).toBe('MAINTENANCE');
    expect(joinFailureReason(new Error('hello refused: UNKNOWN_WORLD'))).toBe('UNKNOWN_WORLD');
    expect(joinFailureReason(new Error('hello refused: more than 3 redirects'))).toBe('redirects');
    expect(joinFailureReason(new Error('closed (4013)'))).toBe('close 4013');
    expect(joinFailureReason(new Error('closed before open (1006)'))).toBe('close 1006');
    expect(joinFailureReason(new Error('join timed out'))).toBe('timeout');
    expect(joinFailureReason(new Error('timed out after 5000 ms waiting for a message'))).toBe('timeout');
    expect(joinFailureReason(new Error('could not connect to ws://127.0.0.1:1'))).toBe('connect');
    expect(joinFailureReason(new Error('could not connect to ws://h:1: WebSocket upgrade refused: HTTP/1.1 503 Service Unavailable'))).toBe(
      'http 503',
    );
    expect(joinFailureReason(new Error('could not connect to ws://h:1: Unexpected server response: 503'))).toBe('http 503');
    expect(joinFailureReason('boom')).toBe('other');
  });

  it('a stop in any process makes the run partial: the first signal, and the earliest phase a process was stopped in', () => {
    const meta = { scenario: 'steady', url: 'ws://x', worldId: '1', cpus: null, startedAt: 't', transport: 'raw' } as const;
    const whole = mergeReports([part(0, a), part(1, b)], meta);
    expect([whole.partial, whole.stoppedBy, whole.stoppedIn]).toEqual([false, null, null]);
    const cut = mergeReports(
      [part(0, a, { stopped: 'SIGTERM', stoppedIn: 'measure' }), part(1, b, { stopped: 'SIGTERM', stoppedIn: 'ramp' }), part(2, b)],
      meta,
    );
    expect([cut.partial, cut.stoppedBy, cut.stoppedIn]).toEqual([true, 'SIGTERM', 'ramp']);
    expect(cut.perProc.map((p) => p.stoppedIn)).toEqual(['measure', 'ramp', null]);
    expect([...Value.Errors(BotsReportSchema, cut)]).toEqual([]);
  });

  it("docs/BOTS.md's report table names every top-level field of the schema", () => {
    const md = readFileSync(new URL('../../../docs/BOTS.md', import.meta.url), 'utf8');
    const section = md.split('## Report')[1]?.split('\n## ')[0] ?? '';
    const missing = Object.keys(BotsReportSchema.properties).filter((k) => !new RegExp(`\`${k}[\`\\[]`).test(section));
    expect(missing).toEqual([]);
  });
});
