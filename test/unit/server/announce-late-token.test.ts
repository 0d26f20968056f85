/**
 * An announce answered after its lease was given back (a takeover whose announce the store had not answered within
 * the control tick's bound) must not tell `onToken` its token: the runtime sets it as the fence token of the world's
 * ledger service (src/server/runtime.ts), a token no lease held here carries. Real SQLite store whose `fence` of w2
 * waits for the test; a cluster service over an in-process hub on a clock the test moves.
 */
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { gate, setUp, sleep } from '../../helpers/tick-two-worlds.js';

describe('an announce answered after its lease was given back', () => {
  it('does not set the world token (onToken)', async () => {
    const data = tempDataDir('wt-announce-late-');
    const store = new SqliteStore({ dataDir: data.dir });
    const fenced = gate<void>();
    const tokens: Array<[string, number]> = [];
    try {
      const x = await setUp(store, {
        store: {
          fence: async (f) => {
            if (f.worldId === 'w2') await fenced.wait;
            return store.fence(f);
          },
        },
        adopt: async () => true,
        onToken: (w, t) => tokens.push([w, t]),
      });
      expect((await x.b.acquire('w2', 'b', 500)).ok).toBe(true);
      await x.c.kick();
      x.clock.now = 600;
      x.worlds.push(x.w2);
      await x.c.kick(); // granted token 2, announce hangs: given back
      expect(x.hub.lease('w2')).toBeUndefined();
      fenced.open();
      await sleep(10); // the late answer of token 2 arrives; the lease is not held here
      expect(tokens.filter(([w]) => w === 'w2')).toEqual([]); // before: [['w2', 2]]
    } finally {
      fenced.open();
      await store.close();
      data.remove();
    }
  });
});
