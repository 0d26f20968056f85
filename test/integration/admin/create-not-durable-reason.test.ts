/**
 * `POST /api/v1/worlds` answered 503 `WT_ERR_WORLD_NOT_DURABLE` says why, as docs/CLUSTER.md
 * "Creates on a loaded instance" shows it (`… its record could not be written … store unavailable
 * (busy): database is locked`) and as the checkpoint route does: the store's error ends the
 * message. Before, the answer was only `world "w" could not be made durable: its
 * record could not be written`, the reason in the server log alone.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { call, useRuntime } from './harness.js';

describe('a create refused by the store names the store error', () => {
  const s = useRuntime(['--npcs', '10'], 60_000);

  it('write lock held by another connection: 503 with the store error; released, the create succeeds', async () => {
    // A backup script or a stuck sqlite3 shell holding the write lock (a real second connection).
    const other = new Database(join(s.runtime.options.dataDir, 'worldtick.sqlite'));
    other.exec('BEGIN IMMEDIATE');
    try {
      const r = await call(s.base, 'POST', '/api/v1/worlds', { body: { id: 'w' } });
      expect([r.status, r.json.code]).toEqual([503, 'WT_ERR_WORLD_NOT_DURABLE']);
      expect(r.json.message).toMatch(/^world "w" could not be made durable: its record could not be written: store unavailable \(busy\)/);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    // The failed create is undone in the background (docs/ADMIN.md "A create answered 503"): retried, as the 503 says.
    let ok = await call(s.base, 'POST', '/api/v1/worlds', { body: { id: 'w' } });
    for (const end = Date.now() + 15_000; ok.status === 503 && Date.now() < end; ) {
      await new Promise((r) => setTimeout(r, 200));
      ok = await call(s.base, 'POST', '/api/v1/worlds', { body: { id: 'w' } });
    }
    expect([ok.status, ok.json.message]).toEqual([201, undefined]);
  });
});
