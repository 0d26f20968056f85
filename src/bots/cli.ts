/**
 * The bots CLI's options (commander): one definition gives parsing, validation (messages name
 * the flag) and `--help`. Every flag is documented in docs/BOTS.md.
 */
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { checkOption } from '../config/schema.js';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { JoinFailureLimit } from './join-check.js';
import { SCENARIO_DOCS, SCENARIO_NAMES, type ScenarioName } from './scenarios.js';

export interface BotsCliOptions {
  url: string;
  world: string;
  scenario: ScenarioName;
  clients: number;
  duration: number;
  warmup: number;
  inputHz: number;
  purchaseHz: number;
  concurrency: number;
  fullEvery: number;
  influx: number;
  churnRate: number;
  seed: number;
  /** Token sent in every bot's hello (the game server derives the session class from it, e.g. `spectator`). */
  token: string;
  /** Share 0..1 of player bots that are idle (joined, reading snapshots, no input), reported as their own group. */
  idleShare: number;
  /** Share 0..1 of all bots that join as spectators (no input), reported as the spectators group. */
  spectatorShare: number;
  procs: number;
  /** CPU numbers to pin to (`--cpu 2,3`), or null. */
  cpu: number[] | null;
  report: string | null;
  progress: boolean;
  /** `raw` (the bots' own ws:// client, default) or `ws` (the ws package; always for wss://). */
  transport: 'raw' | 'ws';
  /** Follow a move of the world (4014 after a redirect, 4015, 1001): reconnect and resume (default true). */
  followMoves: boolean;
  /** Also follow a connection lost without a close frame (1006: a crashed instance, a failover follows). Default false. */
  followLost: boolean;
  /** At the end of the run, every bot leaves (removed at the server's next step, not parked). Default true. */
  leaveAtEnd: boolean;
  /** `--max-join-failures N|P%`: more failed joins than this exit 3 (src/bots/join-check.ts); null: only a run where no bot joined does. */
  maxJoinFailures: JoinFailureLimit | null;
  /** Internal: run as a worker of a multi-process run (options arrive over IPC). */
  worker: boolean;
}

/** Numbers go through the project's one option checker (src/config/schema.ts), as every other option does. */
const num =
  (name: string, min: number, max: number, integer = false) =>
  (v: string): number => {
    const problems: string[] = [];
    const n = checkOption({ kind: 'number', default: min, min, max, integer }, v, `--${name}`, problems);
    if (problems.length) throw new InvalidArgumentError(problems.join('; '));
    return n as number;
  };

/** `--max-join-failures`: `N` (a count, 0..10000000) or `P%` (0..100 of the joins that ended). */
const joinFailureLimit = (v: string): JoinFailureLimit =>
  v.endsWith('%')
    ? { percent: num('max-join-failures', 0, 100)(v.slice(0, -1)) }
    : { count: num('max-join-failures', 0, 10_000_000, true)(v) };

const cpuList = (v: string): number[] => {
  if (!/^\d{1,4}(,\d{1,4})*$/.test(v))
    throw new InvalidArgumentError(`--cpu must be a comma-separated list of CPU numbers such as 1 or 2,3 (got ${JSON.stringify(v)})`);
  const list = v.split(',').map(Number);
  // taskset refuses a CPU the machine does not have: a --procs child would fail to start, one process run unpinned.
  const n = cpus().length;
  const missing = n > 0 ? list.find((c) => c >= n) : undefined;
  if (missing !== undefined) throw new InvalidArgumentError(`--cpu: no CPU ${missing} on this machine (CPUs 0-${n - 1})`);
  return list;
};

const url = (v: string): string => {
  if (!/^wss?:\/\/\S+$/.test(v)) throw new InvalidArgumentError('--url must start with ws:// or wss://');
  return v;
};

/** Build the commander program (output functions injectable for tests). */
export const botsProgram = (out: { writeOut: (s: string) => void; writeErr: (s: string) => void }): Command =>
  new Command()
    .name('npm run bots --')
    .description('worldtick load-test bots: simulated sessions against a game server, then a latency report (docs/BOTS.md)')
    .configureOutput(out)
    .exitOverride()
    .allowExcessArguments(false)
    .option('--url <ws-url>', 'game server', url, 'ws://127.0.0.1:7700')
    .option('--world <id>', 'world to join', '1')
    .addOption(
      new Option('--scenario <name>', `what the bots do: ${SCENARIO_NAMES.map((n) => `\n  ${n}: ${SCENARIO_DOCS[n]}`).join('')}\n`)
        .choices(SCENARIO_NAMES)
        .default('steady'),
    )
    .option('--clients <n>', 'bots joined while ramping (the steady population)', num('clients', 1, 100_000, true), 100)
    .option('--duration <seconds>', 'measured window', num('duration', 0.1, 86_400), 10)
    .option('--warmup <seconds>', 'unmeasured time after the ramp', num('warmup', 0, 3600), 1)
    .option('--input-hz <n>', 'random-walk inputs per second per bot (steady, influx, churn)', num('input-hz', 0, 1000), 2)
    .option('--purchase-hz <n>', 'purchase-storm: purchases per second per bot', num('purchase-hz', 0.01, 1000), 5)
    .option('--concurrency <n>', 'connections opened at once while ramping', num('concurrency', 1, 10_000, true), 100)
    .option(
      '--full-every <n>',
      'every nth bot decodes snapshots in full and checks its entity view; the others read only the snapshot head',
      num('full-every', 1, 100_000, true),
      1,
    )
    .option('--influx <n>', 'influx: bots joining within 1 s at the start of the measured window', num('influx', 0, 100_000, true), 0)
    .option('--churn-rate <per-second>', 'churn: bots leaving (and as many joining) per second', num('churn-rate', 0, 10_000), 0)
    .option('--seed <n>', "seed of the bots' generators (random walk, crowd inputs, churn picks)", num('seed', 0, 0xffffffff, true), 1)
    .option(
      '--token <string>',
      "token in every bot's hello; the server derives the session class from it (spectator, bot, observer; docs/PROTOCOL.md). '' or a bare class name: each bot a player of its own; any other token is one identity, one player per world",
      '',
    )
    .option(
      '--idle-share <0..1>',
      'share of the (player) bots that are idle: joined and reading snapshots but sending no input (a menu, AFK); reported as the idlePlayers group',
      num('idle-share', 0, 1),
      0,
    )
    .option(
      '--spectator-share <0..1>',
      'share of all the bots that join as spectators (token spectator, no input), the rest being players (--idle-share applies to them); one window for every group',
      num('spectator-share', 0, 1),
      0,
    )
    .option('--procs <n>', 'bots processes; the bots are split between them and the results merged', num('procs', 1, 64, true), 1)
    .option(
      '--cpu <list>',
      'pin the bots to these CPUs with taskset (process k on cpu[k mod n]); ignored with a warning where taskset is missing',
      cpuList,
    )
    .option(
      '--max-join-failures <n|p%>',
      'exit 3 when more joins fail than this: a count, or a percentage of the joins (e.g. 5%); without it only a run where no bot joined exits 3',
      joinFailureLimit,
    )
    .option('--report <file.json>', 'also write the merged JSON report to this file')
    .addOption(
      new Option('--transport <name>', "raw: the bots' own minimal ws:// client (cheap; wss:// uses the ws package); ws: the ws package")
        .choices(['raw', 'ws'])
        .default('raw'),
    )
    .option('--no-progress', 'no progress bar or progress lines on stderr')
    .option(
      '--follow-moves',
      'when the world moves (closed 4014 after a redirect, 4015, or 1001), reconnect and resume as a client does, and report the moves and their gaps (default)',
      true,
    )
    .option('--no-follow-moves', 'end a bot whose world moves (counted in disconnects)')
    .option(
      '--follow-lost',
      'with --follow-moves: also follow a connection lost without a close frame (1006: its instance crashed, a failover follows) as a move of kind lost',
      false,
    )
    .option(
      '--leave-at-end',
      'at the end of the run every bot sends leave: the server removes its player at once, nothing stays parked (default)',
      true,
    )
    .option(
      '--no-leave-at-end',
      'at the end of the run the bots just close their sockets: the server parks their players for its resume grace',
    )
    .addOption(new Option('--worker', 'internal: worker process of --procs').hideHelp());

/**
 * Parse argv (without node and script). Throws commander's CommanderError on a bad option
 * (after writing the message through `out.writeErr`) and on `--help` (exitCode 0).
 */
export const parseBotsArgs = (
  argv: readonly string[],
  out = { writeOut: (s: string) => void process.stdout.write(s), writeErr: (s: string) => void process.stderr.write(s) },
): BotsCliOptions => {
  const program = botsProgram(out);
  program.parse([...argv], { from: 'user' });
  const o = program.opts<
    Omit<BotsCliOptions, 'cpu' | 'report' | 'worker' | 'maxJoinFailures'> & {
      cpu?: number[];
      report?: string;
      worker?: boolean;
      maxJoinFailures?: JoinFailureLimit;
    }
  >();
  const refuse = (msg: string): never => {
    out.writeErr(`error: ${msg}\n`);
    throw new InvalidArgumentError(msg);
  };
  if (o.procs > o.clients) refuse(`--procs (${o.procs}) must not exceed --clients (${o.clients})`);
  // A scenario without its rate would run as steady, silently.
  if (o.scenario === 'influx' && o.influx < 1)
    refuse('--scenario influx needs --influx <n> (bots joining at the start of the window), at least 1');
  if (o.scenario === 'churn' && !(o.churnRate > 0))
    refuse('--scenario churn needs --churn-rate <per-second> (bots leaving and joining), above 0');
  // A scenario's own rate given to another scenario would be ignored, silently.
  const onlyFor = { influx: 'influx', churnRate: 'churn', purchaseHz: 'purchase-storm' } as const;
  for (const [key, scenario] of Object.entries(onlyFor) as [keyof typeof onlyFor, ScenarioName][])
    if (o.scenario !== scenario && program.getOptionValueSource(key) === 'cli')
      refuse(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is for --scenario ${scenario} (the scenario is ${o.scenario})`);
  // The report file is written at the end of the run: a directory that is not there would lose it.
  const reportDir = o.report === undefined ? null : dirname(resolve(o.report));
  if (reportDir !== null && !existsSync(reportDir)) refuse(`--report: directory ${reportDir} does not exist`);
  return { ...o, cpu: o.cpu ?? null, report: o.report ?? null, worker: o.worker ?? false, maxJoinFailures: o.maxJoinFailures ?? null };
};
