/**
 * Several bots processes (`--procs N`): the coordinator splits the bots, starts one child
 * process per share (pinned with `taskset -c` when `--cpu` is given and taskset exists), lines
 * them up so every process starts its measured window together (after all have ramped), shows
 * their combined progress, and collects each one's {@link ProcReport} over the IPC channel.
 *
 *   coordinator ── start{options} ──▶ worker k      (ramps its share)
 *               ◀── progress / ramped ──
 *               ── go (when all ramped) ──▶          (warm-up, measure)
 *               ◀── result{ProcReport} ──            (exit)
 *
 * Stopped early (the coordinator's `stop` aborted: a SIGINT or SIGTERM), it sends each worker
 * `stop{reason}`; a worker stops the same way on a signal of its own (a terminal's Ctrl-C reaches the
 * whole process group), cancels its joins in flight and reports its partial part as usual, then ends
 * on its own. A later signal changes nothing in a worker: a second press ends the coordinator at once,
 * and the worker with it when the IPC channel closes.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { runFleet } from './bot-fleet.js';
import type { FleetOptions, FleetPhase } from './fleet-options.js';
import { tsxImport } from '../jobs/tsx-worker.js';
import type { ProcReport } from './report.js';
import { watchBotsSignals } from './stop.js';

/** The serialisable part of FleetOptions (what crosses the IPC channel). */
export type WorkerFleetOptions = Omit<FleetOptions, 'onProgress' | 'ramped' | 'stop'>;

type ToWorker = { type: 'start'; options: WorkerFleetOptions } | { type: 'go' } | { type: 'stop'; reason: string };
type FromWorker =
  | { type: 'progress'; phase: FleetPhase; done: number; total: number }
  | { type: 'ramped' }
  | { type: 'result'; report: ProcReport }
  | { type: 'error'; message: string };

/** Share k (0-based) of `total` over `procs`: as even as possible, the remainder to the first. */
export const share = (total: number, procs: number, k: number): number => Math.floor(total / procs) + (k < total % procs ? 1 : 0);

/** True when the `taskset` command (util-linux) can be run. */
export const tasksetAvailable = (): boolean => {
  const r = spawnSync('taskset', ['--version'], { stdio: 'ignore' });
  return r.status === 0;
};

/** Pin this process (all its threads) to `cpus` with `taskset -a -p -c`. Returns false if that failed. */
export const pinSelf = (cpus: readonly number[]): boolean =>
  spawnSync('taskset', ['-a', '-p', '-c', cpus.join(','), String(process.pid)], { stdio: 'ignore' }).status === 0;

export interface RunProcsOptions {
  fleet: WorkerFleetOptions;
  procs: number;
  /** CPUs to pin to: process k gets cpus[k mod length]; null = not pinned. */
  cpus: readonly number[] | null;
  /** Entry script started in worker mode (`<script> --worker`). */
  script: string;
  onProgress?: (phase: FleetPhase, done: number, total: number) => void;
  log?: (line: string) => void;
  /** Aborted (reason: a signal's name): every worker is told to stop and report what it measured. */
  stop?: AbortSignal;
}

const PHASE_ORDER: Record<FleetPhase, number> = { ramp: 0, warmup: 1, measure: 2 };

/** Run `procs` bots processes and return their reports (in process order). Rejects if one fails. */
export const runProcs = (o: RunProcsOptions): Promise<ProcReport[]> => {
  const taskset = o.cpus !== null && tasksetAvailable();
  if (o.cpus !== null && !taskset) o.log?.('bots: taskset not found: bots processes are not pinned');
  const children: ChildProcess[] = [];
  const state = Array.from({ length: o.procs }, () => ({ phase: 'ramp' as FleetPhase, done: 0, total: 0, rampTotal: 0, ramped: false }));
  const reports: (ProcReport | null)[] = new Array(o.procs).fill(null);
  let firstBot = o.fleet.firstBot ?? 0;
  const showProgress = (): void => {
    const phase = state.reduce<FleetPhase>((m, s) => (PHASE_ORDER[s.phase] < PHASE_ORDER[m] ? s.phase : m), 'measure');
    const inPhase = state.filter((s) => s.phase === phase);
    if (phase === 'ramp') {
      let done = 0,
        total = 0;
      for (const s of state) {
        total += s.rampTotal;
        done += s.phase === 'ramp' ? s.done : s.rampTotal;
      }
      o.onProgress?.(phase, done, total);
    } else o.onProgress?.(phase, Math.min(...inPhase.map((s) => s.done)), inPhase[0].total);
  };
  return new Promise<ProcReport[]>((resolve, reject) => {
    let failed = false;
    const fail = (err: Error): void => {
      if (failed) return;
      failed = true;
      for (const c of children) c.kill('SIGTERM');
      reject(err);
    };
    for (let k = 0; k < o.procs; k++) {
      const options: WorkerFleetOptions = {
        ...o.fleet,
        proc: k,
        firstBot,
        clients: share(o.fleet.clients, o.procs, k),
        influxClients: share(o.fleet.influxClients ?? 0, o.procs, k),
        churnPerSecond: (o.fleet.churnPerSecond ?? 0) / o.procs,
      };
      state[k].rampTotal = state[k].total = options.clients;
      // Steady bots are numbered 0..clients-1 across processes (window joins: see bot-fleet.ts).
      firstBot += options.clients;
      // TypeScript sources run under tsx; the built package (dist/*.js) needs no loader.
      const node = [process.execPath, ...(o.script.endsWith('.ts') ? tsxImport() : []), o.script, '--worker'];
      const [cmd, ...args] = taskset ? ['taskset', '-c', String(o.cpus![k % o.cpus!.length]), ...node] : node;
      const child = spawn(cmd!, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      children.push(child);
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        stderr = (stderr + d).slice(-2000);
      });
      child.on('message', (raw) => {
        const m = raw as FromWorker;
        if (m.type === 'progress') {
          Object.assign(state[k], { phase: m.phase, done: m.done, total: m.total });
          showProgress();
        } else if (m.type === 'ramped') {
          state[k].ramped = true;
          if (state.every((s) => s.ramped)) for (const c of children) c.send({ type: 'go' } satisfies ToWorker);
        } else if (m.type === 'result') {
          reports[k] = m.report;
          if (reports.every((r) => r !== null)) resolve(reports as ProcReport[]);
        } else if (m.type === 'error') fail(new Error(`bots process ${k}: ${m.message}`));
      });
      child.on('exit', (code) => {
        if (reports[k] === null)
          fail(new Error(`bots process ${k} exited with code ${code} before reporting${stderr ? `: ${stderr.trim()}` : ''}`));
      });
      // A child that started and died at once (taskset refusing its CPU) fails the `start` send (EPIPE): its exit,
      // with its stderr, says why. Only a spawn that failed (no pid) is reported from here.
      child.on('error', (err) => {
        if (child.pid === undefined) fail(new Error(`bots process ${k} could not start: ${err.message}`));
      });
      child.send({ type: 'start', options } satisfies ToWorker);
    }
    const stop = (): void => {
      for (const c of children) if (c.connected) c.send({ type: 'stop', reason: String(o.stop?.reason) } satisfies ToWorker);
    };
    if (o.stop?.aborted) stop();
    else o.stop?.addEventListener('abort', stop, { once: true });
  });
};

/** Worker mode (`--worker`): wait for `start`, run the share, report over IPC, exit. */
export const runWorker = (): void => {
  const send = (m: FromWorker, then?: () => void): void => {
    process.send?.(m, undefined, {}, then);
  };
  let reported = false;
  // The coordinator went away before our report (killed): do not linger as an orphan. After the report
  // the process ends on its own once its bots' sockets and timers are gone (the coordinator waits for it).
  process.on('disconnect', () => {
    if (!reported) process.exit(1);
  });
  const stop = new AbortController();
  // A signal after the stop changes nothing here: ending the run at once is the coordinator's call. A second
  // press reaches the coordinator too (Ctrl-C signals the whole group), which exits at once, and this process
  // follows when the channel closes ('disconnect' above). A worker that exited on a late repeat of the first
  // press (a relay's copy more than REPEAT_WINDOW_MS after the group's, on a loaded machine) lost its part of
  // a stop that was meant to report.
  watchBotsSignals({ stop, second: () => {} });
  let go: (() => void) | null = null;
  const goSignal = new Promise<void>((r) => {
    go = r;
  });
  process.on('message', (raw) => {
    const m = raw as ToWorker;
    if (m.type === 'go') go?.();
    else if (m.type === 'stop') {
      if (!stop.signal.aborted) stop.abort(m.reason);
    } else if (m.type === 'start') {
      let lastSent = 0;
      runFleet({
        ...m.options,
        stop: stop.signal,
        onProgress: (phase, done, total) => {
          const now = Date.now();
          if (now - lastSent < 100 && done < total) return; // throttle the IPC chatter
          lastSent = now;
          send({ type: 'progress', phase, done, total });
        },
        ramped: () => {
          send({ type: 'ramped' });
          return goSignal;
        },
      })
        .then((report) => {
          reported = true;
          send({ type: 'result', report }, () => process.disconnect?.());
        })
        .catch((err: unknown) => {
          send({ type: 'error', message: err instanceof Error ? err.message : String(err) }, () => process.disconnect?.());
        });
    }
  });
};
