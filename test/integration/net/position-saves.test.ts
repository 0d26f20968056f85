/**
 * The periodic save of live players' positions (every 8th sweep, ≈ 2 s) is ONE store transaction
 * for all of them. better-sqlite3 commits synchronously on the event loop that steps the worlds,
 * and each commit fsyncs: one transaction per player held the loop for 400 players' fsyncs at
 * once every 2 s (measured: the admin /healthz answered in up to 1.4 s with 400 bots).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { playerIdOfToken } from '../../../src/net/durable-sessions.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/types.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { settle, startTestServer, type TestServer } from './harness.js';

let ts: TestServer | null = null;
let store: Store | null = null;
afterEach(async () => {
  await ts?.stop();
  ts = null;
  await store?.close();
  store = null;
});

describe('durable session writes are batched', () => {
  it('are saved in one transaction per periodic save, whatever the number of players', async () => {
    store = await openStore({ dataDir: tempDataDir('wt-positions-').dir });
    ts = await startTestServer({ store });
    const n = 12;
    const welcomes = [];
    for (let i = 0; i < n; i++) {
      const c = await ts.client();
      welcomes.push(await c.join('w1', `p${i}`, `walk-token-${i}`));
    }
    await ts.idle();
    // Move every player so the saved position differs from the join's.
    const P = ts.world.stores.Position;
    for (const w of welcomes) {
      P.x[w.playerId] = 123;
      P.y[w.playerId] = 456;
    }
    const before = store.stats().transactions;
    // Wait for one periodic save (every 8th sweep of 250 ms), nothing else writing meanwhile.
    const saved = async (): Promise<boolean> => (await store!.getPlayer(playerIdOfToken('walk-token-0')))?.data.x === 123;
    for (let i = 0; i < 40 && !(await saved()); i++) await settle(100);
    expect(await saved()).toBe(true);
    for (let i = 0; i < n; i++) expect((await store.getPlayer(playerIdOfToken(`walk-token-${i}`)))?.data).toMatchObject({ x: 123, y: 456 });
    // One for the save (one per player, 12, before); the sweep's prune may add two (expired sessions,
    // then anonymous players: one transaction each when nothing is left to delete).
    expect(store.stats().transactions - before).toBeLessThanOrEqual(3);
  });

  it('players disconnecting together are parked in one transaction (write-behind), and a resume reads the parked record', async () => {
    store = await openStore({ dataDir: tempDataDir('wt-parks-').dir });
    ts = await startTestServer({ store });
    const clients = [];
    const welcomes = [];
    for (let i = 0; i < 12; i++) {
      const c = await ts.client();
      welcomes.push(await c.join('w1', `p${i}`, `park-token-${i}`));
      clients.push(c);
    }
    await ts.idle();
    const before = store.stats().transactions;
    ts.hold = true; // every disconnect is applied by the same step
    for (const c of clients) c.close();
    await Promise.all(clients.map((c) => c.closed()));
    await settle(50);
    ts.hold = false;
    await ts.idle();
    await settle(50);
    for (const w of welcomes) expect((await store.getSession(w.resumeToken, 0))?.data).toMatchObject({ live: false });
    // One for the 12 parks (two per player, 24, before); a periodic save or prune may fall in the window.
    expect(store.stats().transactions - before).toBeLessThanOrEqual(3);
    const again = await ts.client();
    expect(await again.join('w1', 'p0', 'park-token-0', welcomes[0].resumeToken)).toMatchObject({ resumed: true });
  });
});
