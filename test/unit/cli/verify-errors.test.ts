/**
 * `npm run verify` tells an operator what failed with a code, as restore and store-copy do
 * (`worldtick-<tool>: <code>: <message>`): a store that cannot be reached is
 * `WT_ERR_STORE_UNAVAILABLE`, a PostgreSQL refusal its SQLSTATE. Before, only the message was printed.
 * An `--admin-url` that is no http(s) URL, or an `--admin-token` a header cannot carry, is `WT_ERR_OPTION_INVALID`
 * naming the flag and the value; before, Node's `ERR_INVALID_URL: Invalid URL` named neither (operator-cli-fuzz).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runVerifyCli } from '../../../src/cli/verify.js';
import { freePort } from '../../helpers/server-port.js';

afterEach(() => vi.restoreAllMocks());

/** Run the CLI, collecting what it writes to stderr. */
const run = async (args: string[]): Promise<{ code: number; stderr: string }> => {
  let stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const code = await runVerifyCli(['node', 'verify', ...args]);
  return { code, stderr };
};

describe('npm run verify: errors carry a code', () => {
  it('a PostgreSQL store nobody answers: exit 2, WT_ERR_STORE_UNAVAILABLE named', async () => {
    const port = await freePort();
    const r = await run(['--store', `postgres://wt@127.0.0.1:${port}/game`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^worldtick-verify: WT_ERR_STORE_UNAVAILABLE: store unavailable \(connection\)/);
  });

  it.each([
    [['--admin-url', './data'], '--admin-url must be the server\'s admin API, an http:// or https:// URL (got "./data")'],
    [['--admin-url', 'ftp://127.0.0.1:7701'], "--admin-url must be the server's admin API, an http:// or https:// URL"],
    [['--admin-url', 'http://127.0.0.1:7701', '--admin-token', 'tök'], '--admin-token must be printable ASCII'],
  ])('%j: exit 2, WT_ERR_OPTION_INVALID naming the flag, nothing sent', async (args, problem) => {
    const fetched = vi.spyOn(globalThis, 'fetch');
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^worldtick-verify: WT_ERR_OPTION_INVALID: /);
    expect(r.stderr).toContain(problem);
    expect(fetched).not.toHaveBeenCalled();
  });
});
