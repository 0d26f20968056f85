/**
 * Fuzz: the operator tools (`npm run verify`, `backup`, `restore`, `store-copy`) run in process with seeded
 * command lines: their own flags and others, values that are real paths (a stopped server's data directory, a
 * backup, an empty directory, a text file, a missing path), store specs (`sqlite:` of those, PostgreSQL URLs of a
 * closed port, other schemes), admin URLs of a closed port, and odd strings. Everything runs in a throwaway
 * directory (the working directory too, and WORLDTICK_DATA_DIR), so a default or relative path writes nowhere else.
 *
 * Asserted for every run: it resolves an exit code the tool documents (0 done, 1 a difference, 2 usage or an
 * error, 3 in use), never throws; on a code other than 0 its error line is `<tool>: <CODE>: <message>` with a
 * code (a worldtick `WT_ERR_…`, restore's own, or a PostgreSQL SQLSTATE), never a bare JavaScript error
 * (`Cannot read properties…`, `… is not a function`, a stack).
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runBackupCli } from '../../../src/cli/backup.js';
import { runRestoreCli } from '../../../src/cli/restore.js';
import { runStoreCopyCli } from '../../../src/cli/store-copy.js';
import { runVerifyCli } from '../../../src/cli/verify.js';
import { bootDataDirRuntime } from '../../helpers/data-dir-runtime.js';
import { createRng, fuzzScale, fuzzSeed, type Rng, fuzzTimeout } from '../../fuzz-helpers/rng.js';

const SEED = fuzzSeed(0x0c11);
const RUNS = Math.round(120 * fuzzScale());

type Tool = 'verify' | 'backup' | 'restore' | 'store-copy';
const FLAGS: Record<Tool, readonly string[]> = {
  verify: ['--admin-url', '--admin-token', '--data-dir', '--store'],
  backup: ['--data-dir', '--store', '--out'],
  restore: ['--data-dir', '--store', '--config'],
  'store-copy': ['--from', '--to', '--accept-source-mismatches'],
};
/** What a JavaScript error's message looks like, printed where a coded one belongs. */
const JS_ERROR = /Cannot read propert|is not a function|is not defined|is not iterable|Maximum call stack|Cannot convert|\n\s+at /;
/** `<tool>: <CODE>: …`: a worldtick code, restore's, or a PostgreSQL SQLSTATE (five characters). */
const CODED = /^worldtick-[a-z-]+: (WT_ERR_[A-Z_]+|[0-9A-Z]{5}): \S/m;

let root = '';
let cwd = '';
const paths: Record<string, string> = {};

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'wt-cli-fuzz-'));
  // Everything below runs there, the runtime that makes the server's directory too (until stop 67's tsx fix, one
  // started with the working directory elsewhere never finished its stop: test/integration/cli/other-cwd.test.ts).
  cwd = process.cwd();
  process.chdir(root);
  // A stopped server's data directory (a world, its checkpoint, the ledger), and a backup of it.
  paths.server = join(root, 'server');
  const { rt } = await bootDataDirRuntime(paths.server);
  await rt.stop();
  paths.backup = join(root, 'server.backup');
  expect(await runBackupCli(['node', 'backup', '--data-dir', paths.server, '--out', paths.backup])).toBe(0);
  paths.empty = join(root, 'empty');
  mkdirSync(paths.empty);
  paths.text = join(root, 'notes.txt');
  writeFileSync(paths.text, 'not a store\n');
  paths.config = join(root, 'config.json');
  writeFileSync(paths.config, JSON.stringify({ dataDir: join(root, 'cfg-data') }));
  paths.missing = join(root, 'missing', 'deeper');
  vi.stubEnv('WORLDTICK_DATA_DIR', join(root, 'env-data'));
  for (const k of ['WORLDTICK_STORE', 'WORLDTICK_CONFIG', 'WORLDTICK_ADMIN_TOKEN']) vi.stubEnv(k, undefined as unknown as string);
}, 60_000);

afterAll(() => {
  process.chdir(cwd);
  vi.unstubAllEnvs();
  rmSync(root, { recursive: true, force: true });
});

/** A value for a flag: a real path, a store spec, a URL, or an odd string. */
const flagValue = (rng: Rng, run: number): string => {
  const fresh = (): string => {
    // A copy of the server's directory each time it may be written (restore, a copy's target).
    const dir = join(root, `copy-${run}-${rng.int(0, 1e6)}`);
    cpSync(paths.server, dir, { recursive: true });
    return dir;
  };
  const path = (): string => rng.pick([paths.server, paths.backup, paths.empty, paths.text, paths.missing, paths.config, root]);
  return rng.pick<() => string>([
    path,
    path,
    fresh,
    () => `sqlite:${path()}`,
    () => `sqlite:${fresh()}`,
    () => rng.pick(['postgres://127.0.0.1:1/wt', 'postgresql://u:p@127.0.0.1:1/wt?sslmode=disable', 'postgres://', 'postgres://%zz@/']),
    () => rng.pick(['http://127.0.0.1:1', 'https://127.0.0.1:1/', 'http://', 'ftp://x', 'not a url']),
    () => rng.pick(['', ' ', 'sqlite:', 'mysql://x', '-', '--', '=', 'x'.repeat(5000), '😀\u0001', '../', '.']),
    () => join(root, `new-${run}-${rng.int(0, 1e6)}`, rng.pick(['', 'out.backup'])),
  ])();
};

/** A command line for `tool`: its flags (some repeated, some as --flag=value), others, the backup as restore's argument. */
const argvOf = (rng: Rng, tool: Tool, run: number): string[] => {
  const argv = ['node', tool];
  if (tool === 'restore' && rng.chance(0.85)) argv.push(rng.chance(0.7) ? paths.backup : flagValue(rng, run));
  const n = rng.int(0, 4);
  for (let i = 0; i < n; i++) {
    const flag = rng.chance(0.85) ? rng.pick(FLAGS[tool]) : rng.pick(['--help', '--bogus', '-x', '--data', '--out', '--store=']);
    if (flag === '--accept-source-mismatches' || flag === '--help' || flag === '-x') argv.push(flag);
    else if (rng.chance(0.2)) argv.push(`${flag}=${flagValue(rng, run)}`);
    else if (rng.chance(0.95)) argv.push(flag, flagValue(rng, run));
    else argv.push(flag);
  }
  // Restore's default data directory is WORLDTICK_DATA_DIR (throwaway): also aim it at a real store now and then.
  if (tool === 'restore' && !argv.some((a) => a.startsWith('--data-dir') || a.startsWith('--store')) && rng.chance(0.5))
    argv.push('--data-dir', flagValue(rng, run));
  return argv;
};

const run = async (tool: Tool, argv: string[]): Promise<{ code: number; out: string; err: string }> => {
  let out = '';
  let err = '';
  const io = { out: (t: string) => void (out += t), err: (t: string) => void (err += t) };
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((t) => {
    out += String(t);
    return true;
  });
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((t) => {
    err += String(t);
    return true;
  });
  try {
    const code =
      tool === 'verify'
        ? await runVerifyCli(argv)
        : tool === 'backup'
          ? await runBackupCli(argv)
          : tool === 'restore'
            ? await runRestoreCli(argv, process.env, io)
            : await runStoreCopyCli(argv, io);
    return { code, out, err };
  } finally {
    so.mockRestore();
    se.mockRestore();
  }
};

describe('fuzz: the operator tools with any command line', () => {
  it(`${RUNS} runs (seed ${SEED}): a documented exit code, and a coded error line`, { timeout: fuzzTimeout(300_000) }, async () => {
    const rng = createRng(SEED);
    const codes = new Map<string, number>();
    for (let i = 0; i < RUNS; i++) {
      const tool = rng.pick<Tool>(['verify', 'backup', 'restore', 'store-copy']);
      const argv = argvOf(rng, tool, i);
      const at = `seed ${SEED} run ${i}: ${tool} ${JSON.stringify(argv.slice(2)).slice(0, 400)}`;
      const r = await run(tool, argv);
      codes.set(`${tool} ${r.code}`, (codes.get(`${tool} ${r.code}`) ?? 0) + 1);
      expect([0, 1, 2, 3], `${at}: exit ${r.code}; ${r.err.slice(0, 300)}`).toContain(r.code);
      expect(JS_ERROR.test(r.err) || JS_ERROR.test(r.out), `${at}: a JavaScript error printed: ${r.err.slice(0, 400)}`).toBe(false);
      const help = argv.includes('--help');
      if (r.code === 2 && !help) expect(CODED.test(r.err), `${at}: error line without a code: ${r.err.slice(0, 400)}`).toBe(true);
    }
    console.log(`operator cli fuzz: seed ${SEED}, ${RUNS} runs, exits ${JSON.stringify(Object.fromEntries(codes))}`);
  });
});
