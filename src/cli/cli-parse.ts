/**
 * Command-line parsing shared by the operator tools (`npm run verify`, `backup`, `restore`,
 * `store-copy`): commander parses quietly, and every usage error is one line
 * `<tool>: <code>: <what was wrong> (see --help)`, as every other error of the tool.
 */
import { type Command, CommanderError } from 'commander';

/** How {@link parseCliArgs} reports. */
export interface CliParseOptions {
  /** The tool's name, the line's prefix (`worldtick-backup`). */
  tool: string;
  /** The code of a usage error (`WT_ERR_OPTION_INVALID`, restore's `WT_ERR_RESTORE_USAGE`). */
  code: string;
  /** Where the error line goes (stderr). */
  err: (text: string) => void;
  /** Lines after the error line (`the target was not changed`). */
  after?: string;
}

/**
 * Parse `argv` (node, script, ...flags) into `program`. Returns `null` when the command should
 * run, else its exit code: 0 after `--help` (the usage went to the output), 2 after a usage error
 * (an unknown option, a missing value or argument) printed with its code.
 */
export const parseCliArgs = (program: Command, argv: readonly string[], o: CliParseOptions): number | null => {
  program.exitOverride().configureOutput({ outputError: () => {} });
  try {
    program.parse([...argv]);
    return null;
  } catch (err) {
    if (err instanceof CommanderError && err.exitCode === 0) return 0;
    const message = (err instanceof Error ? err.message : String(err)).replace(/^error: /, '');
    o.err(`${o.tool}: ${o.code}: ${message} (see --help)\n${o.after ?? ''}`);
    return 2;
  }
};
