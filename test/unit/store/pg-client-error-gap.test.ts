/**
 * A pooled PostgreSQL client that errors between pg-pool handing it out and the store's own listener
 * (src/store/postgres-tx.ts `guardedClient`). pg-pool drops its idle `error` listener synchronously
 * when it hands a client out; the store listens only after `await pool.connect()`. A FATAL arriving in
 * the same chunk as a new connection's ReadyForQuery (PostgreSQL shutting down) was emitted in that
 * gap with no listener: an uncaught exception that took the process down (fresh-clone CI,
 * player-data-routes). Here the error is emitted in exactly that gap, through the pool's `acquire`
 * event (fired just before the hand-out) and a microtask (run before the awaiting store resumes).
 */
import { describe, expect, it } from 'vitest';
import type pg from 'pg';
import { openStore } from '../../../src/store/open-store.js';
import { fileDatabase } from '../../helpers/shared-postgres.js';

const { skip, db } = await fileDatabase();

describe.skipIf(skip !== null)(`a pooled client's error before the store listens${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('does not throw (no listener-less error event); the store keeps working', async () => {
    const store = await openStore({ store: db?.url ?? '' });
    try {
      const pool = Reflect.get(store, 'pool') as pg.Pool;
      const thrown: unknown[] = [];
      let emitted = 0;
      const onAcquire = (client: pg.PoolClient): void => {
        queueMicrotask(() => {
          emitted++;
          try {
            client.emit('error', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }));
          } catch (err) {
            thrown.push(err);
          }
        });
      };
      pool.on('acquire', onAcquire);
      await store.ledgerBalance('p1').catch(() => undefined); // the client is marked broken, or not: either is fine
      pool.removeListener('acquire', onAcquire);
      expect(emitted).toBeGreaterThan(0);
      expect(thrown).toEqual([]);
      expect((await store.ledgerBalance('p1')).coins).toBe(0);
    } finally {
      await store.close();
    }
  });
});
