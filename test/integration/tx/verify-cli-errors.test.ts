/**
 * `npm run verify` tells an operator what went wrong as `worldtick-verify: <code>: <message>`
 * (docs/DURABILITY.md "Verification") on every path, not only the offline one: a usage error, an
 * admin API that cannot be reached, a refused token. `--help` is not an error (exit 0).
 * Before: `--help` exited 2, an unknown flag printed only commander's line, an unreachable admin
 * API printed `worldtick-verify: fetch failed` and a 401 the raw `401 {json}`, and `--help` printed
 * the token of WORLDTICK_ADMIN_TOKEN as the flag's default.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runVerifyCli } from '../../../src/cli/verify.js';
import { freePort } from '../../helpers/server-port.js';
import { type Started, startRuntime } from '../admin/harness.js';

/** Run the CLI in-process, collecting what it writes to stdout and stderr. */
const run = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await runVerifyCli(['node', 'verify', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
};

describe('npm run verify: usage', () => {
  it('--help prints the usage and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: worldtick-verify');
    expect(r.stderr).toBe('');
  });

  it('an unknown flag: exit 2, WT_ERR_OPTION_INVALID naming it', async () => {
    const r = await run(['--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^worldtick-verify: WT_ERR_OPTION_INVALID: unknown option '--bogus'/);
  });

  it('no target or two targets: exit 2, WT_ERR_OPTION_INVALID', async () => {
    const none = await run([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^worldtick-verify: WT_ERR_OPTION_INVALID: give exactly one of --admin-url, --data-dir or --store/);
    const two = await run(['--data-dir', '/nonexistent', '--store', 'sqlite:/nonexistent']);
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/^worldtick-verify: WT_ERR_OPTION_INVALID: /);
  });
});

describe('npm run verify --admin-url: errors carry a code', () => {
  let s: Started;
  beforeAll(async () => {
    s = await startRuntime(['--npcs', '10']);
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
  });

  it('nothing listens at the URL: exit 2, WT_ERR_VERIFY_ADMIN_FAILED with the system reason', async () => {
    const port = await freePort();
    const r = await run(['--admin-url', `http://127.0.0.1:${port}`, '--admin-token', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `^worldtick-verify: WT_ERR_VERIFY_ADMIN_FAILED: cannot reach the admin API at http://127.0.0.1:${port}/api/v1/ledger/verify: .*ECONNREFUSED`,
      ),
    );
  });

  it('a wrong token: exit 2, the server code and message, the HTTP status', async () => {
    const r = await run(['--admin-url', s.base, '--admin-token', 'wrong']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^worldtick-verify: WT_ERR_ADMIN_UNAUTHORIZED: missing or invalid bearer token .*\(HTTP 401 from /);
  });

  it('an answer that is not a verify report (the game port, say): exit 2, WT_ERR_VERIFY_ADMIN_FAILED', async () => {
    const r = await run(['--admin-url', `http://127.0.0.1:${s.runtime.gameServer.port}`, '--admin-token', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^worldtick-verify: WT_ERR_VERIFY_ADMIN_FAILED: /);
  });

  it('the token from WORLDTICK_ADMIN_TOKEN is used, and --help never prints it', async () => {
    const before = process.env.WORLDTICK_ADMIN_TOKEN;
    process.env.WORLDTICK_ADMIN_TOKEN = 'test-admin-token';
    try {
      const help = await run(['--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).not.toContain('test-admin-token');
      const r = await run(['--admin-url', s.base]);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: true });
    } finally {
      if (before === undefined) delete process.env.WORLDTICK_ADMIN_TOKEN;
      else process.env.WORLDTICK_ADMIN_TOKEN = before;
    }
  });

  it('the right token: exit 0 and the report', async () => {
    const r = await run(['--admin-url', s.base, '--admin-token', 'test-admin-token']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, mismatches: [] });
  });
});
