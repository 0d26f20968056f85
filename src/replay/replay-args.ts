/**
 * The command line of `npm run replay` (src/replay/main.ts), parsed as the operator tools parse
 * theirs (src/cli/cli-parse.ts): `--help` exits 0; a usage error is one line
 * `worldtick-replay: WT_ERR_OPTION_INVALID: <what was wrong> (see --help)`, exit 2.
 */
import { Command } from 'commander';
import { ErrorCode } from '../errors.js';
import { parseCliArgs } from '../cli/cli-parse.js';

/** What the replay was asked to do. */
export interface ReplayArgs {
  log: string;
  quiet: boolean;
  /** `--game <module>[#export]`, when given. */
  game?: string;
}

/** Where the parser writes (the process's streams in main.ts). */
export interface ReplayIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Every line the tool writes to stderr starts with this. */
export const REPLAY_TOOL = 'worldtick-replay';

/** Parse `argv` (node, script, ...args): the arguments, or the exit code when the replay should not run. */
export const parseReplayArgs = (argv: readonly string[], io: ReplayIo): ReplayArgs | number => {
  const program = new Command('npm run replay --')
    .description('replay an input log recorded with --record from its seed or its starting checkpoint, and check every recorded state hash')
    .argument('<log>', 'the input log (a file written by --record)')
    .option('--quiet', 'print only mismatches and the result, not every matching hash')
    .option('--game <module>', "the game definition of a game world's log: path/to/game.ts[#export] (default: the life-sim game)")
    .addHelpText(
      'after',
      '\nExit codes: 0 every recorded hash matched; 1 a mismatch or divergence; 2 a bad log, a missing or altered\nstarting checkpoint, or a usage error.',
    )
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  const parsed = parseCliArgs(program, argv, { tool: REPLAY_TOOL, code: ErrorCode.OPTION_INVALID, err: io.err });
  if (parsed !== null) return parsed;
  const o = program.opts<{ quiet?: boolean; game?: string }>();
  const log = program.args[0] ?? '';
  return { log, quiet: o.quiet === true, ...(o.game !== undefined ? { game: o.game } : {}) };
};
