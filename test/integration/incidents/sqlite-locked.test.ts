/**
 * Incident drill: another process holds the SQLite store's write lock (`BEGIN IMMEDIATE` and nothing
 * more: a backup script, a stuck `sqlite3` shell). A real server process on a real file; the lock is
 * taken by a second connection from this test process. What the operator must see: `/metrics` says
 * the store is unavailable and why (`worldtick_store_unavailable{reason="busy"}`, which the shipped
 * alert `WorldtickStoreUnavailable` fires on), the log says so once rather than every 10 steps, the
 * admin API keeps answering, and the recovery is logged (docs/ADMIN.md "Runbook").
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/game-process.js';
import { incidentServer } from '../../helpers/incident-server.js';

const s = incidentServer({ name: 'sqlite', npcs: 50 });
const { get, metric } = s;

describe('incident: another process holds the SQLite write lock', () => {
  it('the store reports busy on /metrics, the failure is logged once, admin answers, the recovery is logged', async () => {
    await waitFor(
      async () => ((await metric(/^worldtick_world_records_total\{world="1",outcome="written"\} (\S+)$/m)) ?? 0) >= 1 || undefined,
    );
    expect(await metric(/^worldtick_store_lock_wait_seconds (\S+)$/m)).toBe(2);
    expect(await metric(/^worldtick_store_unavailable\{reason="busy"\} (\S+)$/m)).toBeUndefined();

    const other = new Database(join(s.dataDir, 'worldtick.sqlite'));
    other.exec('BEGIN IMMEDIATE');
    try {
      // A world record every 10 steps: each fails busy; after the first, a write waits 0.1 s for the lock, not 2 s.
      await waitFor(
        async () => ((await metric(/^worldtick_world_records_total\{world="1",outcome="failed"\} (\S+)$/m)) ?? 0) >= 3 || undefined,
      );
      expect(await metric(/^worldtick_store_unavailable\{reason="busy"\} (\S+)$/m)).toBe(1);
      expect(await metric(/^worldtick_store_unavailable_since_seconds (\S+)$/m)).toBeGreaterThan(0);
      expect(await metric(/^worldtick_store_lock_wait_seconds (\S+)$/m)).toBe(0.1);
      expect(await metric(/^worldtick_store_unavailable_errors_total (\S+)$/m)).toBeGreaterThanOrEqual(3);
      // The admin API answers while the store is stuck.
      expect((await get('/healthz')).status).toBe(200);
      expect((await get('/api/v1/worlds/1/stats')).status).toBe(200);
      // One line for the outage so far (then at most one per 10 s), naming the store's reason: a warning
      // while the outage is short (error once it lasts STORE_OUTAGE_ERROR_MS, src/persist/write-failure-log.ts).
      const failed = s.p.lines.filter((l) => l.msg === 'world record write failed');
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({
        level: 40,
        world: '1',
        failures: 1,
        reason: 'unavailable',
        err: { code: 'WT_ERR_STORE_UNAVAILABLE' },
      });
      expect(failed[0]?.err.message).toMatch(/store unavailable \(busy\): database is locked/);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    const recovered = await waitFor(() => s.p.lines.find((l) => l.msg === 'world record write recovered'));
    expect(recovered.level).toBe(30);
    expect(recovered.world).toBe('1');
    expect(recovered.failures).toBeGreaterThanOrEqual(3);
    await waitFor(async () => ((await metric(/^worldtick_store_unavailable\{reason="busy"\} (\S+)$/m)) === undefined ? true : undefined));
    expect(await metric(/^worldtick_store_lock_wait_seconds (\S+)$/m)).toBe(2);
  }, 30_000);
});
