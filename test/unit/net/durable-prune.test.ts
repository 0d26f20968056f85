/**
 * Expired durable session records are pruned (src/net/durable-sessions.ts `prune`, run by the
 * game server's sweep about once a minute): before, nothing ever called the store's
 * `pruneSessions`, so records parked or live under an earlier process and never resumed stayed
 * forever. A real SQLite store with an injected clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DurableSessions } from '../../../src/net/durable-sessions.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/types.js';
import { tempDataDir } from '../../helpers/data-dir.js';

let store: Store | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
});

const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

describe('durable sessions: prune', () => {
  it('deletes expired records and keeps the others', async () => {
    store = await openStore({ dataDir: tempDataDir('wt-prune-').dir });
    let now = 1_000_000;
    const d = new DurableSessions(
      store,
      () => 30,
      () => {},
      () => now,
    );
    d.park('parked-tok', 'g:a', 'w1', 'a', 1, 2); // expires now + 30 s
    const fresh = await d.resolve('w1', 'b', '', null, 0, 0); // live: now + 24 h
    await flush();
    now += 31_000;
    d.prune();
    await flush();
    expect(await store.getSession('parked-tok', 0)).toBeUndefined();
    expect(await store.getSession(fresh.resumeToken, 0)).toBeDefined();
    expect(d.writeErrors).toBe(0);
  });
});
