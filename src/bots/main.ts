/**
 * `npm run bots -- --clients 1000 --duration 15 [--procs 4] [--report r.json]`: thousands of
 * simulated sessions from one command against a running server, then a latency report
 * (docs/BOTS.md). Progress and a human-readable summary on stderr; the merged report as one
 * JSON line on stdout (the `net` bench parses it) and, with `--report`, in a file.
 * Exit codes: 0 done, 1 a bots process failed, 2 bad options or unavailable scenario, 3 the joins failed
 * (no bot joined, or more join failures than `--max-join-failures`; the report is written), 128 + the
 * signal's number (130 SIGINT, 143 SIGTERM) when a signal stopped the run: the bots stop ramping or
 * measuring, the joins in flight are cancelled (`cancelledJoins`), the bots close, and the report
 * written is partial (`partial: true`, `stoppedBy`); the process then ends on its own; a second
 * SIGINT or SIGTERM exits at once, writing nothing (docs/BOTS.md "Stopping a run").
 */
import { writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { CommanderError } from 'commander';
import { runFleet } from './bot-fleet.js';
import { parseBotsArgs, type BotsCliOptions } from './cli.js';
import { pinSelf, runProcs, runWorker, tasksetAvailable, type WorkerFleetOptions } from './procs.js';
import { byCount, joinsFailed, JOINS_FAILED_EXIT } from './join-check.js';
import { createProgressView } from './progress.js';
import { mergeReports, type BotsReport, type ProcReport } from './report.js';
import { scenarioUnavailable, type BotScenario } from './scenarios.js';
import { watchBotsSignals } from './stop.js';

/** `  moves followed: redirected 200 (resumed 200, not 0), 0 failed; gap ms p50 … p99 … max …`, or '' without moves. */
const moves = (r: BotsReport): string => {
  const list = (o: Record<string, number>) =>
    Object.entries(o)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
  const f = list(r.movesFollowed);
  const x = list(r.moveFailures);
  if (!f && !x) return '';
  const g = r.moveGapMs;
  return `  moves followed: ${f || 'none'} (resumed ${r.movesResumed}, not ${r.movesNotResumed}); failed: ${x || 'none'}; gap ms p50 ${g.p50}  p99 ${g.p99}  max ${g.max}  (${g.samples} samples)`;
};

/** Where the summary's PARTIAL line says a run stopped. */
const STOPPED_IN = {
  ramp: () => 'during the ramp: no window measured',
  warmup: () => 'during the warm-up: no window measured',
  measure: (s: number) => `after ${s}s of the window`,
} as const;

const summary = (r: BotsReport): string => {
  const line = (name: string, s: BotsReport['updateLatencyMs']) =>
    `  ${name} p50 ${s.p50}  p90 ${s.p90}  p99 ${s.p99}  p99.9 ${s.p999}  max ${s.max}  (${s.samples} samples)\n`;
  return (
    (r.partial ? `bots: PARTIAL report: stopped by ${r.stoppedBy} ${STOPPED_IN[r.stoppedIn ?? 'measure'](r.measuredSeconds)}\n` : '') +
    `bots: ${r.scenario}, ${r.procs} process(es): ${r.connected}/${r.clients} connected, ${r.cancelledJoins ? `${r.cancelledJoins} joins cancelled, ` : ''}${r.joinFailures} join failures${byCount(r.joinFailuresByReason)}, ${r.disconnects} disconnected${byCount(r.disconnectsByCode, 'close ')}, ${r.measuredSeconds}s measured\n` +
    line('update latency ms:', r.updateLatencyMs) +
    line('snapshot gap ms:  ', r.snapshotGapMs) +
    line('input ack rtt ms: ', r.inputAckRttMs) +
    line('join latency ms:  ', r.joinLatencyMs) +
    (r.purchasesSent
      ? `${line('purchase rtt ms:  ', r.purchaseRttMs)}  purchases: ${r.purchasesSent} sent, results ${JSON.stringify(r.purchaseResults)}\n`
      : '') +
    `  per client: ${r.snapshotsPerClientPerSecond} snapshots/s, ${r.bytesPerClientPerSecond} B/s, ${r.avgSnapshotBytes} B/snapshot; ${r.inputsSent} inputs sent\n` +
    (moves(r) ? `${moves(r)}\n` : '') +
    (r.joinsMeasured || r.leavesMeasured ? `  during the window: ${r.joinsMeasured} joins, ${r.leavesMeasured} leaves\n` : '') +
    Object.entries(r.groups)
      .map(
        ([k, g]) =>
          `  ${k}: ${g.connected} bots, ${g.snapshotsPerClientPerSecond} snapshots/s each, update latency p50 ${g.updateLatencyMs.p50}  p99 ${g.updateLatencyMs.p99}  p99.9 ${g.updateLatencyMs.p999} ms\n`,
      )
      .join('') +
    `  ${r.fullDecodeClients} full-decode clients (${r.inconsistencies} inconsistencies, ${r.ignoredFrames} ignored frames), ${r.lightClients} light; bots CPU ${r.botsCpuPercent}% of a core (user ${r.botsCpuUserPercent}%), ${r.botsCpuUsPerSnapshot} µs per snapshot (user ${r.botsCpuUserUsPerSnapshot}), transport ${r.transport}\n` +
    line('bots event-loop delay ms:', r.eventLoopDelayMs)
  );
};

const run = async (o: BotsCliOptions): Promise<void> => {
  const unavailable = scenarioUnavailable(o.scenario);
  if (unavailable) {
    process.stderr.write(`bots: ${unavailable}\n`);
    process.exit(2);
  }
  const view = createProgressView(process.stderr, o.progress);
  const log = view.log; // a line of its own, also under the progress bar
  const fleet: WorkerFleetOptions = {
    url: o.url,
    worldId: o.world,
    scenario: o.scenario as BotScenario,
    clients: o.clients,
    durationSeconds: o.duration,
    warmupSeconds: o.warmup,
    inputHz: o.inputHz,
    purchaseHz: o.scenario === 'purchase-storm' ? o.purchaseHz : 0,
    connectConcurrency: o.concurrency,
    fullDecodeEvery: o.fullEvery,
    influxClients: o.scenario === 'influx' ? o.influx : 0,
    churnPerSecond: o.scenario === 'churn' ? o.churnRate : 0,
    seed: o.seed,
    token: o.token,
    idleShare: o.idleShare,
    spectatorShare: o.spectatorShare,
    transport: o.transport,
    followMoves: o.followMoves,
    followLost: o.followLost,
    leaveAtEnd: o.leaveAtEnd,
  };
  const stop = new AbortController();
  watchBotsSignals({
    stop,
    first: (sig) => log(`bots: ${sig}: stopping; closing the bots and writing a partial report (${sig} again to exit at once)`),
    repeated: (sig) => log(`bots: ${sig} repeated within 1 s: the same stop (the terminal and npm both deliver it)`),
    second: (sig) => {
      log(`bots: ${sig} again: exiting at once, no report`);
      process.exit(128 + (osConstants.signals[sig] ?? 0));
    },
  });
  const startedAt = new Date().toISOString();
  let parts: ProcReport[];
  try {
    if (o.procs === 1) {
      if (o.cpu) {
        if (!tasksetAvailable()) log('bots: taskset not found: bots are not pinned');
        else if (!pinSelf(o.cpu)) log(`bots: taskset could not pin this process to CPU ${o.cpu.join(',')}`);
      }
      parts = [await runFleet({ ...fleet, onProgress: view.update, stop: stop.signal })];
    } else {
      parts = await runProcs({
        fleet,
        procs: o.procs,
        cpus: o.cpu,
        script: fileURLToPath(import.meta.url),
        onProgress: view.update,
        log,
        stop: stop.signal,
      });
    }
  } catch (err) {
    view.stop();
    log(`bots: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  view.stop();
  const report = mergeReports(parts, {
    scenario: o.scenario,
    url: o.url,
    worldId: o.world,
    cpus: o.cpu ? o.cpu.join(',') : null,
    startedAt,
    transport: o.transport,
  });
  process.stderr.write(summary(report));
  // Stopped by a signal before a window ended: 128 + its number (a stop after every window ended changes nothing).
  // No process.exit: the process ends once its bots' sockets and timers are gone, so one left behind shows.
  // A run that ended on its own but whose joins failed (no bot joined; over --max-join-failures): 3, its reasons on stderr.
  const failedJoins = report.stoppedBy === null ? joinsFailed(report, o.maxJoinFailures) : null;
  if (failedJoins) log(failedJoins);
  process.exitCode =
    report.stoppedBy !== null ? 128 + (osConstants.signals[report.stoppedBy as NodeJS.Signals] ?? 0) : failedJoins ? JOINS_FAILED_EXIT : 0;
  process.stdout.write(`${JSON.stringify(report)}\n`); // first: a report file that cannot be written loses nothing
  try {
    if (o.report) writeFileSync(o.report, `${JSON.stringify(report, null, 2)}\n`);
  } catch (err) {
    log(`bots: --report: could not write ${o.report} (the report is on stdout): ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
};

const main = (): void => {
  let o: BotsCliOptions;
  try {
    o = parseBotsArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2);
    throw err;
  }
  if (o.worker) runWorker();
  else void run(o);
};

main();
