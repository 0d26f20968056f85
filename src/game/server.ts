/**
 * Running a game: `startServer` builds the runtime (loop runner, game server, admin API, scene
 * pool) around a game definition and starts it; `runMain` is a game's command line (the same
 * options as `npm start`, `--help`, exit 2 on a bad option, clean stop on SIGINT/SIGTERM).
 */
import { shown } from '../core/shown.js';
import { CONFIG_BLOCKS, checkConfigBlock } from '../cli/config-blocks.js';
import { relative } from 'node:path';
import { parseOptionSources, helpText, type ServerOptions } from '../cli/options.js';
import { coerceOption } from '../cli/option-schema.js';
import { didYouMean } from '../cli/did-you-mean.js';
import { OPTION_SPECS } from '../cli/option-specs.js';
import { ErrorCode, isWorldtickError, optionInvalid } from '../errors.js';
import { notAGameProblem } from './option-keys.js';
import { readBuildInfo } from '../admin/build-info.js';
import { exitProcess } from '../cli/exit-process.js';
import { versionText } from '../cli/version-text.js';
import { watchUnhandledRejections } from '../cli/unhandled-rejections.js';
import { EXIT_STOP_FAILED, watchStopSignals } from '../cli/stop-signals.js';
import { createLogger, type Logger } from '../log.js';
import type { ServerHooks } from '../net/game-server-options.js';
import { createRuntime, type Runtime } from '../server/runtime.js';
import type { SimWorld } from '../world/sim-world.js';
import type { ServerWorlds } from './worlds-slot.js';
import type { GameDefinition } from './definition.js';
import { gameWorldConfig } from './world.js';

/** Options of {@link startServer}. */
export interface StartServerOptions {
  /** Command-line style options (`['--port', '0', '--npcs', '100']`; see `npm start -- --help`). Default none. */
  argv?: readonly string[];
  /** Environment read for `WORLDTICK_*` options. Default: none (pass `process.env` to honour it). */
  env?: NodeJS.ProcessEnv;
  /** Options set directly, over argv/env (e.g. `{ port: 0, adminPort: 0, logLevel: 'warn' }`). */
  options?: Partial<ServerOptions>;
  /** Logger (pino). Default: a pino logger on stdout at `logLevel`. */
  logger?: Logger;
  /**
   * Verify who a client is (docs/GAME-API.md "Authenticating players"): called once per `hello`
   * before any player is created, resumed or stored; `{ ok: true, identity, cls? }` or `{ ok: false, reason? }`,
   * or a promise of one. Default: none (the hello token is the identity).
   */
  authenticate?: ServerHooks['authenticate'];
  /** The class of a new session (`player`, `spectator`, `bot`, `observer`). Default: from the hello token. */
  sessionClass?: ServerHooks['sessionClass'];
  /**
   * Print the admin dashboard URL (and the admin token, when one was generated) to stderr as plain
   * lines, as `npm start` does. Default false: `startServer` prints nothing of its own (logs go to
   * `logger`); the token in force is `adminToken` of the result.
   */
  printAdminUrl?: boolean;
}

/** A running server of a game. */
export interface RunningServer {
  readonly runtime: Runtime;
  /** Bound game WebSocket port (`ws://host:port`). */
  readonly port: number;
  /** Bound admin HTTP port. */
  readonly adminPort: number;
  /** Admin bearer token in force. */
  readonly adminToken: string;
  /**
   * The default world (id "1") as it is now. Read it when needed rather than keeping it: in cluster
   * mode a migration or takeover of world 1 installs a restored copy in its place (a kept one is the
   * old, stopped world, and keeps it in memory).
   */
  readonly world: SimWorld;
  /**
   * Create, delete and list worlds from game code (a match world per lobby queue): the admin API's
   * world routes in process (docs/GAME-API.md "Creating and ending worlds").
   */
  readonly worlds: ServerWorlds;
  /** Stop every service and the loop (sessions closed with 1001). */
  stop(): Promise<void>;
}

const given = (argv: readonly string[], env: NodeJS.ProcessEnv, flag: string, envName: string): boolean =>
  argv.some((a) => a === `--${flag}` || a.startsWith(`--${flag}=`)) || (env[envName] !== undefined && env[envName] !== '');

/** The scheduler keys that are also options. */
const SCHEDULER_OPTIONS = ['timeScale', 'tickIntervalSeconds'] as const;

/** Resolve a game's server options: argv and env over the game's world defaults, `options` over all. */
export const resolveServerOptions = (game: GameDefinition, o: StartServerOptions = {}): ServerOptions => {
  const notGame = notAGameProblem(game, 'startServer/runMain');
  if (notGame) throw optionInvalid([notGame]);
  const shape = startOptionsProblems(o);
  if (shape.length) throw optionInvalid(shape);
  const argv = o.argv ?? [];
  const env = o.env ?? {};
  const { options: parsed, given: givenKeys } = parseOptionSources(argv, env);
  if (game.world.size !== undefined && !given(argv, env, 'world-size', 'WORLDTICK_WORLD_SIZE')) parsed.worldSize = game.world.size;
  if (game.world.npcs !== undefined && !given(argv, env, 'npcs', 'WORLDTICK_NPCS')) parsed.npcs = game.world.npcs;
  // The game's scheduler defaults for the keys that are also options (timeScale, tickIntervalSeconds):
  // the runtime builds the default world's config from the options, which would silently beat the
  // game's `world.config` with the options' defaults (timeScale 60: the life simulation's). A game's
  // timeScale defaults to GAME_DEFAULT_TIME_SCALE (1). A flag, env value or config-file value still wins.
  const sim = gameWorldConfig(game).simulation;
  if (sim !== undefined && sim !== null && typeof sim === 'object') {
    for (const key of SCHEDULER_OPTIONS) {
      const v = (sim as Record<string, unknown>)[key];
      if (typeof v !== 'number' || givenKeys.has(key)) continue;
      parsed[key] = v;
    }
  }
  // The game's starting coins: `--starting-coins`' default (a flag, env value or config file still wins).
  if (game.startingCoins !== null && !givenKeys.has('startingCoins')) parsed.startingCoins = game.startingCoins;
  if (game.world.physics !== undefined && !givenKeys.has('physics')) parsed.physics = game.world.physics;
  const fileNet = parsed.net;
  if (Object.keys(game.net).length)
    parsed.net =
      typeof fileNet === 'object' && fileNet !== null && !Array.isArray(fileNet)
        ? { ...game.net, ...fileNet }
        : (fileNet ?? { ...game.net });
  return { ...parsed, ...checkDirectOptions(o.options) };
};

/** What is wrong with the shape of `startServer`'s second argument (a JavaScript caller's null, an argv that is a string...). */
const startOptionsProblems = (o: unknown): string[] => {
  if (typeof o !== 'object' || o === null || Array.isArray(o))
    return [`startServer/runMain options must be an object { argv?, env?, options?, ... } (got ${shown(o)})`];
  const { argv, env, options } = o as Record<string, unknown>;
  const problems: string[] = [];
  if (argv !== undefined && (!Array.isArray(argv) || argv.some((a) => typeof a !== 'string')))
    problems.push(`argv must be an array of strings (got ${shown(argv)})`);
  if (
    env !== undefined &&
    (typeof env !== 'object' || env === null || Object.values(env).some((v) => v !== undefined && typeof v !== 'string'))
  )
    problems.push(`env must be an object of strings, as process.env (got ${shown(env)})`);
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options)))
    problems.push(`options must be an object of server options (got ${shown(options)})`);
  return problems;
};

/** Option blocks `options` may carry, each checked as a config file's block is. */
const BLOCK_KEYS = new Set(CONFIG_BLOCKS);

/**
 * `startServer`'s `options`, checked as a flag's value would be (`options.startingCoins must be ...`)
 * and refused when a key is not an option: a value set directly must not skip the checks argv, env
 * and a config file get. Throws `WT_ERR_OPTION_INVALID` listing every problem.
 */
const checkDirectOptions = (options: Partial<ServerOptions> | undefined): Partial<ServerOptions> => {
  if (options === undefined) return {};
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (BLOCK_KEYS.has(key)) {
      // Checked as a config file's block is (src/cli/config-blocks.ts): a `periodic: 5` threw a TypeError building the runtime.
      const r = checkConfigBlock(key, value);
      if (r.problems.length) problems.push(...r.problems.map((m) => `options.${m}`));
      else out[key] = r.value;
      continue;
    }
    const spec = OPTION_SPECS.find((s) => s.key === key);
    if (!spec) {
      const hint = didYouMean(key, [...OPTION_SPECS.map((s) => s.key), ...BLOCK_KEYS]);
      problems.push(`options.${key} is not a server option${hint} (see npm start -- --help; config blocks: ${[...BLOCK_KEYS].join(', ')})`);
      continue;
    }
    const v = coerceOption(spec, value, `options.${key}`, problems);
    if (v !== undefined) out[key] = v;
  }
  if (problems.length) throw optionInvalid(problems);
  return out;
};

/**
 * Start a server running `game`: its default world "1" and worlds created through the admin API
 * are worlds of the game. Throws coded errors on bad options (`WT_ERR_OPTION_INVALID`), a busy
 * port (`WT_ERR_PORT_IN_USE`) or a throwing `populate` / `onWorldCreated` (`WT_ERR_GAME_HOOK_FAILED`).
 */
export const startServer = async (game: GameDefinition, o: StartServerOptions = {}): Promise<RunningServer> => {
  const options = resolveServerOptions(game, o);
  const logger = o.logger ?? createLogger(options.logLevel as 'info');
  const runtime = createRuntime(
    options,
    logger,
    game,
    { authenticate: o.authenticate, sessionClass: o.sessionClass },
    { printAdminUrl: o.printAdminUrl === true },
  );
  try {
    await runtime.start();
  } catch (err) {
    await runtime.stop().catch(() => {});
    throw err;
  }
  return {
    runtime,
    port: runtime.gameServer.port,
    adminPort: runtime.admin.port,
    adminToken: runtime.adminToken,
    get world() {
      return runtime.defaultWorld;
    },
    worlds: runtime.worlds,
    stop: () => runtime.stop(),
  };
};

/**
 * A game's `--help` text: the option table with the defaults the game's server runs with — the game's
 * `world` (size, npcs, physics, time scale, step length) and `startingCoins` over the engine's — titled
 * with the game's name and version. `usage`: the command shown (without `[options]`).
 */
export const gameHelpText = (game: GameDefinition, usage: string): string => {
  const resolved = resolveServerOptions(game);
  const defaults: Record<string, string | number | boolean> = {};
  for (const s of OPTION_SPECS) {
    const v: unknown = resolved[s.key];
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') defaults[s.key] = v;
  }
  return helpText({
    title: `${game.name} (game version ${game.version}) — a worldtick ${readBuildInfo().version} game server`,
    usage,
    defaults,
  });
};

/** The command that started this process, for `--help` (`node --import tsx main.ts`). */
const thisCommand = (): string => {
  const script = process.argv[1];
  if (script === undefined) return 'node <main>';
  const rel = relative(process.cwd(), script);
  return ['node', ...process.execArgv, rel.startsWith('..') ? script : rel].join(' ');
};

/** Print a coded option/config error as the option parser does (the problem list on stderr), exit 2. */
const refuseOptions = (problems: readonly string[]): never => {
  process.stderr.write(
    `worldtick: invalid options:\n${problems.map((p) => `  - ${p}`).join('\n')}\nRun with --help for the list of options.\n`,
  );
  process.exit(2);
};

/** A start failure: bad options or config (as at parse time) or another coded error exit 2; anything else exits 1. */
const reportStartFailure = (logger: Logger, err: unknown): never => {
  if (isWorldtickError(err, ErrorCode.OPTION_INVALID) || isWorldtickError(err, ErrorCode.CONFIG_INVALID))
    return refuseOptions((err.details as { problems?: string[] } | undefined)?.problems ?? [err.message]);
  if (isWorldtickError(err)) {
    // With a cause (a game hook's own error), the error with its stack and cause's: where to look.
    logger.fatal({ code: err.code, details: err.details, ...(err.cause === undefined ? {} : { err }) }, err.message);
    process.stderr.write(`worldtick: ${err.message}\n`);
    process.exit(2);
  }
  logger.fatal({ err }, 'start failed');
  process.exit(1);
};

/** Wall ms a completed stop waits for in-flight file or DNS requests before ending the process anyway (src/cli/exit-process.ts). */
const EXIT_GRACE_MS = 2000;

/**
 * End the process after a stop (src/cli/exit-process.ts) and never resolve: the exit may wait for a
 * request in flight (often the last log line's write), and code chained after `runMain` must not run
 * meanwhile (it could exit with a code of its own).
 */
const endAfterStop = (code: number, logger: Logger): Promise<never> => {
  exitProcess(code, logger, EXIT_GRACE_MS);
  return new Promise<never>(() => {});
};

/**
 * A game's command line (`npm start` is `runMain(lifeSimGame)`): parse `argv` (default
 * `process.argv.slice(2)`) and `process.env`; `--help` / `--version` print and return. Then the
 * SIGINT/SIGTERM handlers are installed (src/cli/stop-signals.ts) and the server starts, printing the
 * admin dashboard URL on stderr and logging `server ready` with the bound ports. The first signal stops
 * cleanly — during start, after start's current step — and exits 0, or 1 when a final checkpoint
 * failed (the `runtime stopped` summary); a second signal, or `--stop-timeout` seconds without the stop
 * completing, exit 1 at once with a log line. Where a libuv thread is blocked in a file or DNS
 * operation (which `process.exit` would wait for forever) the process ends itself with SIGKILL
 * instead, after a log line (src/cli/exit-process.ts). A bad option or config prints the problems and exits 2,
 * never a stack trace. `hooks`: the game server's `authenticate` and `sessionClass` hooks (as
 * {@link StartServerOptions}). The promise resolves only after `--help` / `--version`; otherwise the
 * process exits.
 */
export const runMain = async (
  game: GameDefinition,
  argv: readonly string[] = process.argv.slice(2),
  hooks: ServerHooks = {},
): Promise<void> => {
  let options: ServerOptions;
  try {
    options = resolveServerOptions(game, { argv, env: process.env });
  } catch (err) {
    if (isWorldtickError(err)) refuseOptions((err.details as { problems: string[] }).problems);
    throw err;
  }
  if (options.version) {
    process.stdout.write(versionText()); // worldtick first, then node and the native packages (src/cli/version-text.ts)
    return;
  }
  if (options.help) {
    process.stdout.write(`${gameHelpText(game, thisCommand())}\n`);
    return;
  }
  const rootLogger = createLogger(options.logLevel as 'info');
  let runtime: Runtime;
  try {
    // The person who started it reads the dashboard URL (and a generated token) on stderr.
    runtime = createRuntime(options, rootLogger, game, hooks, { printAdminUrl: true });
  } catch (err) {
    return reportStartFailure(rootLogger, err);
  }
  const logger = runtime.logger; // cluster mode: binds `instance`
  // Before anything starts (building the runtime starts nothing): a signal during a long restore must stop cleanly too.
  const stop = watchStopSignals({ logger, stopTimeoutSeconds: options.stopTimeoutSeconds, exit: (code) => exitProcess(code, logger) });
  // A game's promise callback that throws is logged and counted, not the end of every world (src/cli/unhandled-rejections.ts).
  watchUnhandledRejections({ logger, counter: runtime.admin.metrics.unhandledRejections });
  try {
    await runtime.start(stop.signal);
  } catch (err) {
    if (!stop.signal.aborted) {
      await runtime.stop().catch(() => {});
      return reportStartFailure(logger, err);
    }
    if (err !== stop.signal.reason) logger.warn({ err }, 'start failed after a stop was requested');
    logger.info('start ended early: stopping');
  }
  if (!stop.signal.aborted) {
    // No local for the world: this frame stays suspended until the stop, and the default world is replaced
    // when a migration or takeover installs a restored copy of it (cluster mode); a local kept the first one.
    const world = runtime.defaultWorld.id;
    logger.info({ game: game.name, port: runtime.gameServer.port, adminPort: runtime.admin.port, world }, 'server ready');
    await stop.stopRequested;
  }
  try {
    await runtime.stop();
  } catch (err) {
    logger.error({ err }, 'shutdown failed');
    return endAfterStop(EXIT_STOP_FAILED, logger);
  }
  stop.done();
  const failed = runtime.shutdown?.failed ?? [];
  if (failed.length) {
    logger.error({ failed: failed.map((f) => f.world) }, 'exiting with code 1: final checkpoints not written');
    return endAfterStop(EXIT_STOP_FAILED, logger);
  }
  logger.info('bye');
  return endAfterStop(0, logger);
};
