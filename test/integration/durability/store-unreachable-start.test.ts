/**
 * A `--store postgres://…` that does not answer at start: exit 2 with `WT_ERR_STORE_UNAVAILABLE`, the
 * message naming where PostgreSQL was looked for (never the password) and what to check. Before, it
 * said only `store unavailable (connection): connect ECONNREFUSED 127.0.0.1:<port>`.
 */
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import { createRuntime } from '../../../src/server/runtime.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { freePort } from '../../helpers/server-port.js';

describe('a PostgreSQL store that does not answer at start', () => {
  it('is refused with WT_ERR_STORE_UNAVAILABLE naming the address and what to check, without the password', async () => {
    const port = await freePort(); // nobody listens there
    const data = tempDataDir('wt-pg-down-');
    const store = `postgres://wt:s3cret-pw@127.0.0.1:${port}/game`;
    const args = ['--npcs', '10', '--port', '0', '--admin-port', '0', '--admin-token', 'pg-down-token', '--data-dir', data.dir];
    const runtime = createRuntime(parseOptions([...args, '--store', store], {}), createLogger('silent'));
    try {
      const err = await runtime.start().then(
        () => null,
        (e: unknown) => e as { code?: string; message?: string },
      );
      expect(err?.code).toBe('WT_ERR_STORE_UNAVAILABLE');
      expect(err?.message).toContain(
        `PostgreSQL at 127.0.0.1:${port}/game did not answer at start: check --store (WORLDTICK_STORE) and that the server runs and accepts connections there`,
      );
      expect(err?.message).not.toContain('s3cret-pw');
    } finally {
      await runtime.stop();
      data.remove();
    }
  });
});
