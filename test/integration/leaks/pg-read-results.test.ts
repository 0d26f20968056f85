/**
 * A PostgreSQL read's rows are not kept once it returned (docs/DURABILITY.md "PostgreSQL"). pg's
 * `Client#_connect` keeps its callback for as long as the connection lives (a closure of the same
 * scope stays registered on the socket), and pg-pool's `query()` hands that callback the closure
 * that settles the query's promise: the first `pool.query` on each new pooled connection kept its
 * whole result, rows and all, for the connection's life. Found by the cluster leak test
 * (deleted-world-heap-cluster.test.ts) on loaded machines, where the pool opened a connection for an
 * orphan scan's listing and the listing's rows named a world deleted since.
 *
 * A child process (test/helpers/pg-read-heap-main.ts) stores world records under distinctive ids,
 * lists them with four listings at once (the pool opens connections for them), deletes them; a V8
 * heap snapshot of it (test/helpers/heap-strings.ts) then holds no string with one of those ids.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { childNodeArgs } from '../../helpers/child-node.js';
import { heapSnapshotEnv, retainedStrings } from '../../helpers/heap-strings.js';
import { fileDatabase } from '../../helpers/shared-postgres.js';

const { skip, db } = await fileDatabase();
if (skip) console.warn(`skipping PostgreSQL read-results heap test: ${skip}`);
const ROOT = new URL('../../../', import.meta.url).pathname;
const PREFIX = 'rows-5c1e-'; // the ids: `rows-5c1e-0` … `-5` (the child gets the prefix without its dash)

describe.skipIf(skip !== null)('a PostgreSQL read keeps nothing of its rows', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-heap-pg-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('listings on new pooled connections: no stored id of a deleted record is retained', { timeout: 60_000 }, async () => {
    const child = spawn(
      process.execPath,
      [...(await childNodeArgs('test/helpers/pg-read-heap-main.ts')), db?.url ?? '', PREFIX.slice(0, -1)],
      {
        cwd: ROOT,
        env: { ...process.env, ...heapSnapshotEnv(dir) },
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    try {
      const lines = createInterface({ input: child.stdout });
      const first = await new Promise<string>((resolve, reject) => {
        lines.once('line', resolve);
        child.once('exit', (code) => reject(new Error(`child exited ${code} before ready`)));
      });
      // Each listing saw every record, and the deletes left none.
      expect(JSON.parse(first)).toEqual({ ready: true, seen: [6, 6, 6, 6], left: 0 });
      expect(await retainedStrings(child, dir, PREFIX)).toEqual([]);
    } finally {
      child.stdin.end();
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    }
  });
});
