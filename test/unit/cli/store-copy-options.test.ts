/**
 * `npm run store-copy` command line (src/cli/store-copy.ts, in process): usage errors exit 2 with
 * the problem named and create nothing; `--help` lists the refusals and exit codes.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runStoreCopyCli } from '../../../src/cli/store-copy.js';

const dir = mkdtempSync(join(tmpdir(), 'wt-store-copy-opts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = async (...args: string[]): Promise<{ status: number; out: string; err: string }> => {
  let out = '';
  let err = '';
  const status = await runStoreCopyCli(['node', 'store-copy', ...args], { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { status, out, err };
};

describe('npm run store-copy: command line', () => {
  it('needs --from and --to', async () => {
    const r = await run('--from', `sqlite:${dir}`);
    expect(r.status).toBe(2);
    // The line every refusal of store-copy prints (docs/DURABILITY.md): its code, the problem, and that nothing changed.
    expect(r.err).toBe('worldtick-store-copy: WT_ERR_OPTION_INVALID: --to <spec> is required (see --help)\nthe target was not changed\n');
    const none = await run();
    expect(none.err).toMatch(/^worldtick-store-copy: WT_ERR_OPTION_INVALID: --from <spec> is required; --to <spec> is required /);
  });

  it('an unknown option is named first (not the missing --from); no password is echoed', async () => {
    const r = await run('--bogus');
    expect(r).toMatchObject({ status: 2, out: '' });
    expect(r.err).toBe("worldtick-store-copy: WT_ERR_OPTION_INVALID: unknown option '--bogus' (see --help)\nthe target was not changed\n");
    const m = await run('--from', 'postgress://wt:s3cret@db/game', '--to', `sqlite:${join(dir, 'm')}`);
    expect(m.status).toBe(2);
    expect(m.err).toContain('postgress://wt:***@db/game');
    expect(m.err).not.toContain('s3cret');
  });

  it('copies between SQLite and PostgreSQL only, from a valid URL', async () => {
    const both = await run('--from', `sqlite:${dir}`, '--to', `sqlite:${dir}`);
    expect(both.status).toBe(2);
    expect(both.err).toMatch(/WT_ERR_OPTION_INVALID: .*--from and --to must be one sqlite:<data-dir> and one postgres:\/\//);
    const pgpg = await run('--from', 'postgres://a@127.0.0.1:1/x', '--to', 'postgres://a@127.0.0.1:1/y');
    expect(pgpg.status).toBe(2);
    expect(pgpg.err).toMatch(/WT_ERR_OPTION_INVALID: .*--from and --to must be one sqlite:<data-dir> and one postgres:\/\//);
    const url = await run('--from', `sqlite:${dir}`, '--to', 'postgres://[bad');
    expect(url.status).toBe(2);
    expect(url.err).toMatch(/WT_ERR_OPTION_INVALID: .*not a valid PostgreSQL URL/);
  });

  it('a malformed spec is named by its option, --from or --to (before: "--store must be …", an option the tool has not)', async () => {
    const from = await run('--from', dir, '--to', 'postgres://a@127.0.0.1:1/x');
    expect(from.status).toBe(2);
    expect(from.err).toMatch(/WT_ERR_OPTION_INVALID: invalid options: --from must be postgres:\/\/…, postgresql:\/\/…, sqlite:<dir>/);
    const to = await run('--from', `sqlite:${dir}`, '--to', 'sqlite:');
    expect(to.err).toMatch(/WT_ERR_OPTION_INVALID: invalid options: --to sqlite:<dir> needs a directory/);
    expect(`${from.err}${to.err}`).not.toContain('--store');
  });

  it('refuses a data directory without a store, creating nothing there', async () => {
    const missing = join(dir, 'not-here');
    const r = await run('--from', `sqlite:${missing}`, '--to', 'postgres://worldtick@127.0.0.1:1/none');
    expect(r.status).toBe(2);
    expect(r.err).toMatch(/WT_ERR_OPTION_INVALID: .*no store in .*not-here: worldtick\.sqlite not found/);
    expect(existsSync(missing)).toBe(false);
  });

  it('PostgreSQL to SQLite: an unreachable source creates nothing in the target', async () => {
    const missing = join(dir, 'not-made');
    const r = await run('--from', 'postgres://worldtick@127.0.0.1:1/none', '--to', `sqlite:${missing}`);
    expect(r.status).toBe(2);
    expect(r.err).toMatch(/WT_ERR_STORE_UNAVAILABLE: .*cannot connect for the single-instance lock/);
    expect(existsSync(missing)).toBe(false);
  });

  it('--help names the locks, the one transaction and the exit codes', async () => {
    const r = await run('--help');
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/--from <spec>/);
    expect(r.out).toMatch(/ONE transaction/);
    expect(r.out).toMatch(/sqlite:<data-dir> \(absent, or holding no store\)/);
    expect(r.out).toMatch(/worldtick\.sqlite\.copying/);
    expect(r.out).toMatch(/Exit codes: 0 copied and proven equal; 1 a difference/);
    expect(r.out).toMatch(/--accept-source-mismatches +copy a source whose ledger has verify mismatches/);
    expect(r.out).toMatch(/WT_ERR_STORE_COPY_SOURCE_MISMATCH/);
  });
});
