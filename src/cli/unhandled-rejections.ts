/**
 * What a server process does with a promise rejection nothing handled (src/game/server.ts `runMain`,
 * so `npm start` and every game's main). Node's default ends the process (exit 1, no final
 * checkpoint): a game's promise callback that throws — `deliverToWorld` refusing a payload built from
 * client input, a `.then` of `purchaseForPlayer` with a bug — would take down every world and session
 * of the process, one client message being enough. A throw inside the step is contained (the message
 * is discarded, a system faults only its world); a throw in a promise callback is contained here the
 * same way: it is logged (error level; at most one line per {@link LOG_EVERY_MS}, with how many were
 * not logged since), counted in `/metrics` `worldtick_unhandled_rejections_total`, and the server goes
 * on. The rejected promise changed nothing after its throw, so no engine state is left half-written.
 * Uncaught exceptions (a throw in a timer callback) still end the process: Node cannot say what they
 * left behind.
 */
import type { Logger } from '../log.js';

/** Wall ms between two log lines about unhandled rejections (the rest are counted). */
export const LOG_EVERY_MS = 10_000;

/** Options of {@link watchUnhandledRejections}. */
export interface UnhandledRejectionOptions {
  logger: Logger;
  /** Counts them (the admin's `worldtick_unhandled_rejections_total`, src/admin/metrics.ts); none: not exported. */
  counter?: { inc(): void };
  /** Wall ms between log lines. Default {@link LOG_EVERY_MS}. */
  logEveryMs?: number;
}

/** The handle of {@link watchUnhandledRejections}. */
export interface UnhandledRejections {
  /** Unhandled rejections since the watch began. */
  count(): number;
  /** Remove the process handler. */
  dispose(): void;
}

const codeOf = (reason: unknown): string | undefined => {
  const code = (reason as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/** Install the process's `unhandledRejection` handler (see the module comment). */
export const watchUnhandledRejections = (o: UnhandledRejectionOptions): UnhandledRejections => {
  const counter = o.counter ?? null;
  const every = o.logEveryMs ?? LOG_EVERY_MS;
  let total = 0;
  let notLogged = 0;
  let lastLogAt = Number.NEGATIVE_INFINITY;
  const onRejection = (reason: unknown): void => {
    total++;
    counter?.inc();
    const now = Date.now();
    if (now - lastLogAt < every) {
      notLogged++;
      return;
    }
    lastLogAt = now;
    const err = reason instanceof Error ? reason : new Error(`non-Error rejection (${typeof reason})`);
    o.logger.error(
      { err, code: codeOf(reason), total, notLoggedSince: notLogged },
      'unhandled promise rejection (a promise callback threw and nothing caught it; catch it in the game): counted, the server goes on',
    );
    notLogged = 0;
  };
  process.on('unhandledRejection', onRejection);
  return { count: () => total, dispose: () => process.off('unhandledRejection', onRejection) };
};
