/**
 * The bots report: what one bots process measured ({@link ProcReport}, with its histograms
 * encoded), and the merge of every process's part into one {@link BotsReport} — counts summed,
 * histograms merged by bucket (src/bots/histogram.ts). The report's JSON schema is
 * {@link BotsReportSchema} (TypeBox, so it is also a JSON Schema document).
 */
import type { Static } from '@sinclair/typebox';
import { Type } from '../typebox.js';
import { decodeHistogram, encodeHistogram, mergeHistograms, summarize, type LatencyHistogram, type LatencySummary } from './histogram.js';
import { mergeStops, StoppedInSchema as StoppedIn, StoppedSchema as Stopped } from './stop.js';

/** Schema id written into every report. */
export const REPORT_SCHEMA_ID = 'worldtick-bots-report/1';

const Summary = Type.Object(
  {
    samples: Type.Integer({ minimum: 0 }),
    p50: Type.Number(),
    p90: Type.Number(),
    p99: Type.Number(),
    p999: Type.Number(),
    max: Type.Number(),
    mean: Type.Number(),
  },
  { additionalProperties: false, description: 'latency percentiles, wall milliseconds' },
);

const Counts = {
  /** Bots this process (or the run) was asked to start. */
  clients: Type.Integer({ minimum: 0 }),
  connected: Type.Integer({ minimum: 0 }),
  /** Joins in flight (not yet welcomed) whose sockets a stop dropped (src/bots/join-cancel.ts): neither joined nor failed. */
  cancelledJoins: Type.Integer({ minimum: 0 }),
  joinFailures: Type.Integer({ minimum: 0 }),
  /** Failed joins by reason: the wire error code of a refused hello (`MAINTENANCE`, `UNKNOWN_WORLD`...), `close <code>`, `timeout`, `connect`, `other`. */
  joinFailuresByReason: Type.Record(Type.String(), Type.Integer({ minimum: 0 })),
  /** Sessions closed by the server or lost (not by the bots) before the end, by close code. */
  disconnects: Type.Integer({ minimum: 0 }),
  disconnectsByCode: Type.Record(Type.String(), Type.Integer({ minimum: 0 })),
  measuredSeconds: Type.Number({ minimum: 0 }),
  /** Sum over bots of the seconds each was joined inside the measured window (per-client rates divide by it). */
  clientSeconds: Type.Number({ minimum: 0 }),
  /** Snapshots received in the measured window. */
  snapshots: Type.Integer({ minimum: 0 }),
  /** Bytes received in the measured window. */
  bytesIn: Type.Integer({ minimum: 0 }),
  inputsSent: Type.Integer({ minimum: 0 }),
  errorsReceived: Type.Integer({ minimum: 0 }),
  inconsistencies: Type.Integer({ minimum: 0 }),
  /** Server frames the bots could not read (not msgpack; malformed snapshot or region rows): should be 0. */
  ignoredFrames: Type.Integer({ minimum: 0 }),
  fullDecodeClients: Type.Integer({ minimum: 0 }),
  lightClients: Type.Integer({ minimum: 0 }),
  /** Joins started in the measured window (influx, churn). */
  joinsMeasured: Type.Integer({ minimum: 0 }),
  /** Bots the scenario closed on purpose in the measured window (churn). */
  leavesMeasured: Type.Integer({ minimum: 0 }),
  /** CPU of the process over the measured window, ms (user + system). */
  cpuMs: Type.Number({ minimum: 0 }),
  /** Its user-mode part, ms (the rest is the kernel's: socket reads and writes, loopback TCP). */
  cpuUserMs: Type.Number({ minimum: 0 }),
  /** purchase-storm: purchases sent in the measured window. */
  purchasesSent: Type.Integer({ minimum: 0 }),
  /** purchase-storm: results received for them, by `ok` or TX_* code. */
  purchaseResults: Type.Record(Type.String(), Type.Integer({ minimum: 0 })),
  /** Moves of the world followed (reconnected and joined again), by kind: `redirected` (4014), `leaseLost` (4015), `goingAway` (1001). */
  movesFollowed: Type.Record(Type.String(), Type.Integer({ minimum: 0 })),
  /** Moves given up after the bounded tries, by kind (those bots count in `disconnects` too). */
  moveFailures: Type.Record(Type.String(), Type.Integer({ minimum: 0 })),
  /** Moves followed whose welcome resumed the session (same player), and those joined as a new player. */
  movesResumed: Type.Integer({ minimum: 0 }),
  movesNotResumed: Type.Integer({ minimum: 0 }),
};

/** CPUs the process was allowed to run on at the end (Linux `Cpus_allowed_list`; shows `--cpu` pinning), or null. */
const CpusAllowed = Type.Union([Type.String(), Type.Null()]);

/** Encoded histograms (HdrHistogram V2, compressed base64; values in integer microseconds). */
const Histograms = Type.Object(
  {
    update: Type.String(),
    inputAck: Type.String(),
    join: Type.String(),
    purchase: Type.String(),
    loopDelay: Type.String(),
    /** Gap of each move followed: last snapshot before the close → first snapshot after the reconnect. */
    moveGap: Type.String(),
    /** Between consecutive snapshots of one bot (a move's gap included). */
    snapshotGap: Type.String(),
  },
  { additionalProperties: false },
);

const GroupHistograms = Type.Object(
  { update: Type.String(), inputAck: Type.String(), gap: Type.String() },
  { additionalProperties: false },
);

/**
 * One group's share of a process's window (src/bots/groups.ts): active players, idle players
 * (`--idle-share`), or a non-player class from the token (spectators, bots, observers).
 */
const GroupPartSchema = Type.Object(
  {
    /** Bots of the group that joined. */
    connected: Type.Integer({ minimum: 0 }),
    clientSeconds: Type.Number({ minimum: 0 }),
    snapshots: Type.Integer({ minimum: 0 }),
    bytesIn: Type.Integer({ minimum: 0 }),
    inputsSent: Type.Integer({ minimum: 0 }),
    histograms: GroupHistograms,
  },
  { additionalProperties: false },
);
export type GroupPart = Static<typeof GroupPartSchema>;

/** One group over the whole run (merged over processes). */
const GroupSchema = Type.Object(
  {
    connected: Type.Integer({ minimum: 0 }),
    clientSeconds: Type.Number({ minimum: 0 }),
    snapshots: Type.Integer({ minimum: 0 }),
    inputsSent: Type.Integer({ minimum: 0 }),
    snapshotsPerClientPerSecond: Type.Number(),
    bytesPerClientPerSecond: Type.Number(),
    updateLatencyMs: Summary,
    inputAckRttMs: Summary,
    snapshotGapMs: Summary,
    histograms: GroupHistograms,
  },
  { additionalProperties: false },
);
export type GroupReport = Static<typeof GroupSchema>;

/** What one bots process sends back to the coordinator. */
export const ProcReportSchema = Type.Object(
  {
    proc: Type.Integer({ minimum: 0 }),
    pid: Type.Integer(),
    cpusAllowed: CpusAllowed,
    stopped: Stopped,
    stoppedIn: StoppedIn,
    ...Counts,
    /** Per group (activePlayers, idlePlayers, spectators, bots, observers): only the groups present. */
    groups: Type.Record(Type.String(), GroupPartSchema),
    histograms: Histograms,
  },
  { additionalProperties: false },
);
export type ProcReport = Static<typeof ProcReportSchema>;

const PerProc = Type.Object(
  {
    proc: Type.Integer({ minimum: 0 }),
    pid: Type.Integer(),
    cpusAllowed: CpusAllowed,
    stopped: Stopped,
    stoppedIn: StoppedIn,
    ...Counts,
    groups: Type.Record(Type.String(), GroupPartSchema),
    updateLatencyMs: Summary,
    inputAckRttMs: Summary,
    joinLatencyMs: Summary,
    purchaseRttMs: Summary,
    eventLoopDelayMs: Summary,
    moveGapMs: Summary,
    snapshotGapMs: Summary,
    /** This process's own histograms (merge them to re-derive the totals, or with other runs). */
    histograms: Histograms,
  },
  { additionalProperties: false },
);

/** The merged report (`--report file.json`, and the last line of stdout). */
export const BotsReportSchema = Type.Object(
  {
    schema: Type.Literal(REPORT_SCHEMA_ID),
    scenario: Type.String(),
    url: Type.String(),
    worldId: Type.String(),
    procs: Type.Integer({ minimum: 1 }),
    /** CPU list the bots were pinned to (`--cpu`), or null. */
    cpus: Type.Union([Type.String(), Type.Null()]),
    startedAt: Type.String({ description: 'ISO 8601' }),
    /** True when a signal stopped the run before its window ended: counts and latencies cover `measuredSeconds` only. */
    partial: Type.Boolean(),
    /** The signal that stopped it (`SIGINT`, `SIGTERM`), or null. */
    stoppedBy: Stopped,
    /** The phase it stopped in (`ramp`, `warmup`, `measure`: the earliest of the processes'), or null. */
    stoppedIn: StoppedIn,
    ...Counts,
    updateLatencyMs: Summary,
    inputAckRttMs: Summary,
    joinLatencyMs: Summary,
    /** purchase-storm: purchase sent → txResult received, wall ms. */
    purchaseRttMs: Summary,
    snapshotsPerClientPerSecond: Type.Number(),
    bytesPerClientPerSecond: Type.Number(),
    avgSnapshotBytes: Type.Number(),
    /** CPU of all bots processes over the measured window, % of one core. */
    botsCpuPercent: Type.Number(),
    /** Its user-mode part, % of one core (the rest is kernel time: socket reads and writes). */
    botsCpuUserPercent: Type.Number(),
    /** Bots CPU µs (user + system) per snapshot received in the window: the load generator's cost, independent of how busy the machine is. */
    botsCpuUsPerSnapshot: Type.Number(),
    /** Its user-mode part (the bots' own code, Node and libuv); the rest is the kernel's socket work. */
    botsCpuUserUsPerSnapshot: Type.Number(),
    /**
     * The bots' receive-side lag: lateness of a 1 ms timer in each bots process over the window
     * (src/bots/loop-delay.ts), i.e. how long a frame that became readable could wait for its
     * handler behind the bots' other work. Part of `updateLatencyMs` that the load generator adds.
     */
    eventLoopDelayMs: Summary,
    /** Per move followed (`movesFollowed`): the bot's last snapshot before the close → its first after the reconnect, wall ms. */
    moveGapMs: Summary,
    /**
     * Wall ms between consecutive snapshots of one bot (from its second; a move's gap included): the rate
     * each player saw and how long its view stood still. A server that stops sending (a stall, a paused
     * process) shows here — `updateLatencyMs` only times the snapshots that were sent.
     */
    snapshotGapMs: Summary,
    /** `raw` (the bots' own ws:// client) or `ws` (the ws package). */
    transport: Type.String(),
    /**
     * Per group: active players (inputs), idle players (`--idle-share`: joined, no input), and
     * non-player classes from the token (spectators, bots, observers); only the groups present.
     */
    groups: Type.Record(Type.String(), GroupSchema),
    histograms: Type.Object(
      {
        unit: Type.Literal('microseconds'),
        encoding: Type.Literal('HdrHistogram V2 compressed base64'),
        ...Histograms.properties, // the merged ones, as each process's
      },
      { additionalProperties: false },
    ),
    perProc: Type.Array(PerProc),
  },
  { additionalProperties: false },
);
export type BotsReport = Static<typeof BotsReportSchema>;

/** Run facts the processes do not know. */
export interface ReportMeta {
  scenario: string;
  url: string;
  worldId: string;
  cpus: string | null;
  startedAt: string;
  /** Transport of the bots (`raw` or `ws`). */
  transport: string;
}

const SUMMED = [
  'clientSeconds',
  'clients',
  'connected',
  'cancelledJoins',
  'joinFailures',
  'disconnects',
  'snapshots',
  'bytesIn',
  'inputsSent',
  'errorsReceived',
  'inconsistencies',
  'ignoredFrames',
  'fullDecodeClients',
  'lightClients',
  'joinsMeasured',
  'leavesMeasured',
  'cpuMs',
  'cpuUserMs',
] as const;
type CountKey = (typeof SUMMED)[number];

const r2 = (v: number): number => Math.round(v * 100) / 100;

/** Each process histogram and the summary field the report and each `perProc` entry give of it. */
const SUMMARY_OF = {
  update: 'updateLatencyMs',
  inputAck: 'inputAckRttMs',
  join: 'joinLatencyMs',
  purchase: 'purchaseRttMs',
  loopDelay: 'eventLoopDelayMs',
  moveGap: 'moveGapMs',
  snapshotGap: 'snapshotGapMs',
} as const;
type HistogramKey = keyof typeof SUMMARY_OF;
const HISTOGRAM_KEYS = Object.keys(SUMMARY_OF) as HistogramKey[];
/** `f` of every histogram, by its name. */
const perHistogram = <V>(f: (k: HistogramKey) => V) => Object.fromEntries(HISTOGRAM_KEYS.map((k) => [k, f(k)])) as Record<HistogramKey, V>;
/** The summary fields of the histograms `of` gives, by their report names. */
const summariesOf = (of: (k: HistogramKey) => LatencyHistogram) =>
  Object.fromEntries(HISTOGRAM_KEYS.map((k) => [SUMMARY_OF[k], summarize(of(k))])) as Record<
    (typeof SUMMARY_OF)[HistogramKey],
    LatencySummary
  >;

/**
 * Merge the processes' parts: counts summed, disconnect codes summed, histograms merged by
 * bucket, percentiles computed on the merged histograms; `measuredSeconds` is the longest
 * window. Per-client rates divide by the bot-seconds joined inside the window.
 */
export const mergeReports = (parts: readonly ProcReport[], meta: ReportMeta): BotsReport => {
  const sum = Object.fromEntries(SUMMED.map((k) => [k, 0])) as Record<CountKey, number>;
  const byCode: Record<string, number> = {};
  const failReasons: Record<string, number> = {};
  const txCodes: Record<string, number> = {};
  const followed: Record<string, number> = {};
  const moveFailures: Record<string, number> = {};
  let movesResumed = 0,
    movesNotResumed = 0;
  let purchasesSent = 0;
  let secs = 0;
  for (const p of parts) {
    for (const k of SUMMED) sum[k] += p[k];
    for (const [c, n] of Object.entries(p.disconnectsByCode)) byCode[c] = (byCode[c] ?? 0) + n;
    for (const [c, n] of Object.entries(p.joinFailuresByReason)) failReasons[c] = (failReasons[c] ?? 0) + n;
    for (const [c, n] of Object.entries(p.purchaseResults)) txCodes[c] = (txCodes[c] ?? 0) + n;
    for (const [c, n] of Object.entries(p.movesFollowed)) followed[c] = (followed[c] ?? 0) + n;
    for (const [c, n] of Object.entries(p.moveFailures)) moveFailures[c] = (moveFailures[c] ?? 0) + n;
    movesResumed += p.movesResumed;
    movesNotResumed += p.movesNotResumed;
    purchasesSent += p.purchasesSent;
    secs = Math.max(secs, p.measuredSeconds);
  }
  const groups: Record<string, GroupReport> = {};
  const keys = [...new Set(parts.flatMap((p) => Object.keys(p.groups)))].sort();
  for (const k of keys) {
    const gs = parts.flatMap((p) => (p.groups[k] ? [p.groups[k]] : []));
    let connected = 0,
      clientSeconds = 0,
      snapshots = 0,
      bytesIn = 0,
      inputsSent = 0;
    for (const g of gs) {
      connected += g.connected;
      clientSeconds += g.clientSeconds;
      snapshots += g.snapshots;
      bytesIn += g.bytesIn;
      inputsSent += g.inputsSent;
    }
    const gu = mergeHistograms(gs.map((g) => g.histograms.update));
    const ga = mergeHistograms(gs.map((g) => g.histograms.inputAck));
    const gg = mergeHistograms(gs.map((g) => g.histograms.gap));
    const gsecs = Math.max(1e-9, clientSeconds);
    groups[k] = {
      connected,
      clientSeconds: Math.round(clientSeconds * 1000) / 1000,
      snapshots,
      inputsSent,
      snapshotsPerClientPerSecond: r2(snapshots / gsecs),
      bytesPerClientPerSecond: Math.round(bytesIn / gsecs),
      updateLatencyMs: summarize(gu),
      inputAckRttMs: summarize(ga),
      snapshotGapMs: summarize(gg),
      histograms: { update: encodeHistogram(gu), inputAck: encodeHistogram(ga), gap: encodeHistogram(gg) },
    };
  }
  const merged = perHistogram((k) => mergeHistograms(parts.map((p) => p.histograms[k])));
  // Per-client rates: per joined-bot second of the window (= clients × seconds without churn).
  const botSecs = Math.max(1e-9, sum.clientSeconds);
  const s = Math.max(1e-9, secs);
  const stop = mergeStops(parts);
  return {
    schema: REPORT_SCHEMA_ID,
    scenario: meta.scenario,
    url: meta.url,
    worldId: meta.worldId,
    procs: parts.length,
    cpus: meta.cpus,
    startedAt: meta.startedAt,
    ...stop,
    ...sum,
    cpuMs: Math.round(sum.cpuMs),
    cpuUserMs: Math.round(sum.cpuUserMs),
    transport: meta.transport,
    clientSeconds: Math.round(sum.clientSeconds * 1000) / 1000,
    disconnectsByCode: byCode,
    joinFailuresByReason: failReasons,
    purchasesSent,
    purchaseResults: txCodes,
    movesFollowed: followed,
    moveFailures,
    movesResumed,
    movesNotResumed,
    measuredSeconds: r2(secs),
    ...summariesOf((k) => merged[k]),
    snapshotsPerClientPerSecond: r2(sum.snapshots / botSecs),
    bytesPerClientPerSecond: Math.round(sum.bytesIn / botSecs),
    avgSnapshotBytes: sum.snapshots ? Math.round(sum.bytesIn / sum.snapshots) : 0,
    // Of the window: none measured (a run stopped before it) is no share, not CPU over 1e-9 s.
    botsCpuPercent: secs > 0 ? Math.round((sum.cpuMs / (s * 1000)) * 100) : 0,
    botsCpuUserPercent: secs > 0 ? Math.round((sum.cpuUserMs / (s * 1000)) * 100) : 0,
    botsCpuUsPerSnapshot: sum.snapshots ? r2((sum.cpuMs * 1000) / sum.snapshots) : 0,
    botsCpuUserUsPerSnapshot: sum.snapshots ? r2((sum.cpuUserMs * 1000) / sum.snapshots) : 0,
    groups,
    histograms: {
      unit: 'microseconds',
      encoding: 'HdrHistogram V2 compressed base64',
      ...perHistogram((k) => encodeHistogram(merged[k])),
    },
    perProc: parts.map((p) => ({ ...p, ...summariesOf((k) => decodeHistogram(p.histograms[k])) })),
  };
};
