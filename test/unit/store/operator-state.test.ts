/**
 * Operator state in the store (migration 3, `operator_state`): the same checks over SQLite and a
 * real PostgreSQL (started here; skipped with a message only where it cannot be had) — put,
 * replace, read back after reopening, fenced writes refused for a stale token, delete.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isWorldtickError } from '../../../src/errors.js';
import type { Store } from '../../../src/store/types.js';
import { type StoreHandle, sqliteAndPostgres } from '../../helpers/store-factories.js';

const factories = await sqliteAndPostgres('operator state');

for (const { factory, name } of factories) {
  describe.skipIf(!factory)(`operator state: ${name}`, () => {
    let handle: StoreHandle;
    let store: Store;
    beforeEach(async () => {
      handle = await factory!.create();
      store = await handle.open();
    });
    afterEach(async () => {
      await store.close();
      await handle.dispose();
    });

    it('put, replace, survive a reopen, delete', async () => {
      expect(await store.getOperatorState('world:a')).toBeUndefined();
      await store.putOperatorState('world:a', { format: 1, maintenance: { on: true, reason: 'r', since: 'x' }, tasks: [] });
      await store.putOperatorState('world:a', { format: 1, maintenance: { on: false, reason: '', since: null }, tasks: [{ name: 't' }] });
      await store.putOperatorState('runtime', { format: 1, maintenance: { on: true, reason: 'up', since: 'y' } });
      await store.close();
      store = await handle.open();
      const a = await store.getOperatorState('world:a');
      expect(a?.state).toEqual({ format: 1, maintenance: { on: false, reason: '', since: null }, tasks: [{ name: 't' }] });
      expect(a?.updatedAt).toBeGreaterThan(0);
      expect((await store.getOperatorState('runtime'))?.state).toMatchObject({ maintenance: { on: true } });
      expect(await store.deleteOperatorState('world:a')).toBe(true);
      expect(await store.deleteOperatorState('world:a')).toBe(false);
      expect(await store.getOperatorState('world:a')).toBeUndefined();
    });

    it('a fenced write with a stale token is refused and changes nothing', async () => {
      await store.fence({ worldId: 'w', token: 5 });
      await store.putOperatorState('world:w', { v: 1 }, { fence: { worldId: 'w', token: 5 } });
      let code = 'resolved';
      try {
        await store.putOperatorState('world:w', { v: 2 }, { fence: { worldId: 'w', token: 4 } });
      } catch (err) {
        code = isWorldtickError(err) ? err.code : String(err);
      }
      expect(code).toBe('WT_ERR_STORE_FENCED');
      expect((await store.getOperatorState('world:w'))?.state).toEqual({ v: 1 });
    });
  });
}
