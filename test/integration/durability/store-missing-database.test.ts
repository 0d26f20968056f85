/**
 * A `--store postgres://…` whose server answers but whose database does not exist (the operator forgot
 * `createdb`): the start is refused with `WT_ERR_STORE_UNAVAILABLE`, and the message says that the
 * database is missing and how to create it. Before, it ended "PostgreSQL at … did not answer at start:
 * check … that the server runs and accepts connections there" — the server had answered.
 */
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import { createRuntime } from '../../../src/server/runtime.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { fileDatabase } from '../../helpers/shared-postgres.js';

const { skip, db } = await fileDatabase();
if (skip) console.warn(`SKIP store-missing-database: ${skip}`);

describe.skipIf(skip !== null)('a PostgreSQL store whose database does not exist', () => {
  it('is refused naming the missing database and createdb, not as a server that did not answer', async () => {
    const url = new URL(db?.url ?? '');
    url.pathname = '/wt_no_such_db';
    const data = tempDataDir('wt-pg-nodb-');
    const args = ['--npcs', '10', '--port', '0', '--admin-port', '0', '--admin-token', 'pg-nodb-token', '--data-dir', data.dir];
    const runtime = createRuntime(parseOptions([...args, '--store', url.href], {}), createLogger('silent'));
    try {
      const err = await runtime.start().then(
        () => null,
        (e: unknown) => e as { code?: string; message?: string },
      );
      expect(err?.code).toBe('WT_ERR_STORE_UNAVAILABLE');
      expect(err?.message).toContain(`database "wt_no_such_db" does not exist on the PostgreSQL at 127.0.0.1:${url.port}`);
      expect(err?.message).toContain('createdb');
      expect(err?.message).not.toContain('did not answer');
    } finally {
      await runtime.stop();
      data.remove();
    }
  });
});
