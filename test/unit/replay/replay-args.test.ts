/**
 * `npm run replay`'s command line (src/replay/replay-args.ts; main.ts prints the rest of its errors
 * the same way): `--help` exits 0 and lists the options and exit codes; a usage error is one line
 * `worldtick-replay: WT_ERR_OPTION_INVALID: <what> (see --help)`, exit 2; a file that is no log is
 * `worldtick-replay: WT_ERR_REPLAY_LOG_INVALID: …`. Before: `--help` printed the usage line and
 * exited 2, an unknown flag or a second file printed the same bare usage line without saying what was
 * wrong, and other errors carried no tool name (a bad log) or no code (a bad --game).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseReplayArgs } from '../../../src/replay/replay-args.js';
import { childNodeArgs } from '../../helpers/child-node.js';

const parse = (...args: string[]): { result: ReturnType<typeof parseReplayArgs>; out: string; err: string } => {
  let out = '';
  let err = '';
  const result = parseReplayArgs(['node', 'replay', ...args], { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { result, out, err };
};

describe('npm run replay: command line', () => {
  it('a log, --quiet and --game in any order', () => {
    expect(parse('a.wtlog').result).toEqual({ log: 'a.wtlog', quiet: false });
    expect(parse('--game', 'g.ts#game', '--quiet', 'a.wtlog').result).toEqual({ log: 'a.wtlog', quiet: true, game: 'g.ts#game' });
  });

  it('--help: the usage, the options and the exit codes, exit 0', () => {
    const r = parse('--help');
    expect(r.result).toBe(0);
    expect(r.out).toMatch(/^Usage: npm run replay -- \[options\] <log>/);
    expect(r.out).toMatch(/--game <module>/);
    expect(r.out).toMatch(/Exit codes: 0 every recorded hash matched; 1 a mismatch or divergence; 2 /);
    expect(r.err).toBe('');
  });

  it.each([
    [[], "missing required argument 'log'"],
    [['--bogus', 'a.wtlog'], "unknown option '--bogus'"],
    [['a.wtlog', 'b.wtlog'], 'too many arguments'],
    [['a.wtlog', '--game'], "option '--game <module>' argument missing"],
  ])('%j: exit 2, one coded line saying what was wrong', (args, what) => {
    const r = parse(...args);
    expect(r.result).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^worldtick-replay: WT_ERR_OPTION_INVALID: .*\(see --help\)\n$/);
    expect(r.err).toContain(what);
  });
});

describe('npm run replay: errors after parsing carry the tool and the code', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-replay-args-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a file that is no input log, a --game that cannot be loaded', async () => {
    const notLog = join(dir, 'notes.txt');
    writeFileSync(notLog, '{"a":1}\n');
    const cli = await childNodeArgs('src/replay/main.ts');
    const fail = (args: string[]) =>
      promisify(execFile)(process.execPath, [...cli, ...args]).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );
    const [log, game] = await Promise.all([fail([notLog]), fail([notLog, '--game', join(dir, 'missing.ts')])]);
    expect(log.code).toBe(2);
    expect(log.stderr).toBe(`worldtick-replay: WT_ERR_REPLAY_LOG_INVALID: ${notLog} is not a worldtick input log (no header frame)\n`);
    expect(game.code).toBe(2);
    expect(game.stderr).toMatch(/^worldtick-replay: WT_ERR_OPTION_INVALID: invalid options: --game: .*missing\.ts could not be loaded/);
  });
});
