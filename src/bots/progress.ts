/**
 * Progress display of the bots CLI on stderr: a cli-progress bar when stderr is a TTY, plain
 * lines otherwise (at most one a second per phase, plus phase changes and completions), or
 * nothing (`--no-progress`).
 */
import { SingleBar } from 'cli-progress';
import type { FleetPhase } from './fleet-options.js';

export interface ProgressView {
  /** Ramp: bots joined of total; warmup: seconds; measure: seconds elapsed of the window. */
  update(phase: FleetPhase, done: number, total: number): void;
  /** Write a message line (a stop, a warning): under a TTY's bar it takes the bar's line, the bar redrawn below it. */
  log(line: string): void;
  stop(): void;
}

const UNIT: Record<FleetPhase, string> = { ramp: 'joined', warmup: 's warm-up', measure: 's measured' };

/** A progress view writing to `stream` (a bar if `stream.isTTY`, else lines). */
export const createProgressView = (stream: NodeJS.WriteStream, enabled: boolean): ProgressView => {
  const log = (line: string): void => void stream.write(`${line}\n`);
  if (!enabled) return { update: () => {}, log, stop: () => {} };
  if (stream.isTTY) {
    const bar = new SingleBar({
      stream,
      format: 'bots {phase} [{bar}] {value}/{total} {unit}',
      hideCursor: true,
      clearOnComplete: false,
      barsize: 30,
    });
    let phase: FleetPhase | null = null;
    return {
      update(p, done, total) {
        if (phase === null) bar.start(total, done, { phase: p, unit: UNIT[p] });
        else if (p !== phase) {
          bar.setTotal(total);
          bar.update(done, { phase: p, unit: UNIT[p] });
        } else bar.update(done);
        phase = p;
      },
      // The bar's line holds the bar and no newline: clear it (column 1, erase to the end), write the message,
      // and save the cursor again (ESC 7) at the start of the line below, where the bar goes on: the bar's stop
      // restores the cursor saved at its start (ESC 8), which would put the summary over the message.
      log: (line) => {
        if (phase !== null && bar.isActive) stream.write(`\x1b[1G\x1b[0K${line}\n\x1b7`);
        else log(line);
      },
      stop: () => {
        if (phase !== null) bar.stop();
      },
    };
  }
  let last = { phase: '', at: 0, done: -1 };
  return {
    update(p, done, total) {
      const now = Date.now();
      const changed = p !== last.phase;
      const complete = done >= total && last.done < total;
      if (!changed && !complete && now - last.at < 1000) return;
      if (!changed && done === last.done) return;
      stream.write(`bots: ${p} ${done}/${total} ${UNIT[p]}\n`);
      last = { phase: p, at: now, done };
    },
    log,
    stop: () => {},
  };
};
