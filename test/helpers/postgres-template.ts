/**
 * A new test server's data folder, copied from initdb's output instead of an initdb of its own: the
 * output of initdb (with the options {@link startPostgres} uses) is kept between runs in the OS temp
 * dir, under a key of everything it depends on outside the repository (the PostgreSQL binaries, the
 * options, the user it runs as, the locale and time zone environment). A copy (`cp -a`, ~0.1 s) costs
 * a fraction of an initdb (~0.7 s of CPU on a quiet machine; ~13 servers a suite run).
 *
 * The template is made whole in a folder of its own and then renamed into place: a run finds either
 * no template or a complete one; two runs making it at once both finish and one rename wins. The
 * template is never started, so each copy is what initdb would have written (the same system
 * identifier in each: these servers never replicate to each other).
 */
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readlinkSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Runs a command as the user that owns the servers' files (`postgres` when the tests run as root). */
export type RunAs = (cmd: string, args: string[]) => Promise<unknown>;

const INITDB_ARGS = ['-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'];

const localTime = (): string => {
  try {
    return readlinkSync('/etc/localtime');
  } catch {
    return '';
  }
};

/** The template's folder for these binaries and this environment (it may not exist yet). */
const templateDir = (pgBin: string): string => {
  const bin = statSync(join(pgBin, 'postgres'));
  const env = ['LANG', 'LC_ALL', 'LC_CTYPE', 'LC_COLLATE', 'LC_MESSAGES', 'TZ'].map((k) => `${k}=${process.env[k] ?? ''}`);
  const key = createHash('sha256')
    .update(JSON.stringify([pgBin, bin.size, bin.mtimeMs, INITDB_ARGS, process.getuid?.(), env, localTime()]))
    .digest('hex')
    .slice(0, 16);
  return join(tmpdir(), `wt-pg-template-${key}`);
};

/**
 * Writes a fresh cluster into `data` (which must not exist): a copy of the kept initdb output, made first
 * when there is none. `owner` (when set) is who runs the server: the template's folders are given to it.
 */
export const initDataDir = async (
  pgBin: string,
  data: string,
  runAs: RunAs,
  owner: { uid: number; gid: number } | undefined,
): Promise<void> => {
  const template = templateDir(pgBin);
  if (existsSync(join(template, 'data', 'PG_VERSION'))) {
    await runAs('cp', ['-a', join(template, 'data'), data]);
    return;
  }
  const making = mkdtempSync(`${template}.making-`);
  if (owner) chownSync(making, owner.uid, owner.gid);
  try {
    await runAs(join(pgBin, 'initdb'), ['-D', join(making, 'data'), ...INITDB_ARGS]);
    await runAs('cp', ['-a', join(making, 'data'), data]);
    try {
      renameSync(making, template);
    } catch {
      // Another run put its template in place first (or a folder is in the way): this one is dropped.
    }
  } finally {
    rmSync(making, { recursive: true, force: true });
  }
};
