#!/usr/bin/env node
/**
 * `npm start`: parse options, build the runtime, run until SIGINT/SIGTERM, exit 0.
 * A bad option prints a clear message and exits 2 — never a stack trace.
 */
import { isWorldtickError } from '../errors.js';
import { createLogger } from '../log.js';
import { createRuntime } from '../server/runtime.js';
import { helpText, parseOptions, type ServerOptions } from './options.js';

const main = async (): Promise<void> => {
  let options: ServerOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (isWorldtickError(err)) {
      const problems = (err.details as { problems: string[] }).problems;
      process.stderr.write(`worldtick: invalid options:\n${problems.map((p) => `  - ${p}`).join('\n')}\nRun with --help for the list of options.\n`);
      process.exit(2);
    }
    throw err;
  }
  if (options.help) {
    process.stdout.write(helpText() + '\n');
    return;
  }
  const logger = createLogger(options.logLevel as 'info');
  let runtime;
  try {
    runtime = createRuntime(options, logger);
    await runtime.start();
  } catch (err) {
    if (isWorldtickError(err)) {
      logger.fatal({ code: err.code, details: err.details }, err.message);
      process.stderr.write(`worldtick: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    runtime
      .stop()
      .then(() => {
        logger.info('bye');
        logger.flush();
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
};

void main();
