/**
 * Hostile probe: joins abandoned before they apply, against a server with a durable store. A
 * hello writes a session record (resume token → player, `live`, kept 24 h) before the join is
 * applied by the world's next step; a client that connects, sends hello and hangs up at once never
 * receives that token. Before the fix every such hello left a record behind for 24 hours and
 * expired records were never pruned: a connect/hello/close loop grew the sessions table without
 * bound. Asserted: records of joins that never applied are dropped; a joined player's record stays.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/open-store.js';
import type { SessionRecord, Store } from '../../../src/store/types.js';
import { openRaw } from '../../fuzz-helpers/raw-ws.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { settle, startTestServer, type TestServer } from '../net/harness.js';

let ts: TestServer | null = null;
let store: Store | null = null;
afterEach(async () => {
  await ts?.stop();
  await store?.close();
  ts = null;
  store = null;
});

describe('hostile: abandoned joins with a durable store', () => {
  it('a hello whose socket closes before the join applies leaves no session record behind', async () => {
    const real = await openStore({ dataDir: tempDataDir('wt-hostile-').dir });
    store = real;
    // The real store; the test only notes which tokens were written live (a hello's record,
    // committed in the write-behind batch of its turn), to read them back.
    const written: string[] = [];
    const spy: Store = Object.create(real) as Store;
    spy.putSession = (r: SessionRecord) => {
      written.push(r.token);
      return real.putSession(r);
    };
    spy.writeSessions = async (ops) => {
      await real.writeSessions(ops);
      for (const o of ops) if (o.kind === 'session' && o.record.data.live === true) written.push(o.record.token);
    };
    // Join admission off: the 41 hellos are resolved by the store while the world does not step
    // (with it, past net.maxJoinsPerStep they would wait for a step's slot, test/integration/net/join-admission.test.ts).
    ts = await startTestServer({ store: spy, net: { maxJoinsPerStep: 0 } });
    ts.hold = true; // joins stay pending while the sockets hang up
    for (let i = 0; i < 40; i++) {
      const c = await openRaw(ts.url);
      c.send([1, 1, 'w1', `ghost${i}`, i % 2 ? '' : `tok${i}`, null]);
      while (written.length < i + 1) await settle(2);
      c.ws.terminate();
      await c.closed;
    }
    const keeper = await openRaw(ts.url);
    keeper.send([1, 1, 'w1', 'keeper', 'keeper-token', null]);
    while (written.length < 41) await settle(2);
    ts.hold = false;
    const w = await keeper.waitFor(16);
    await ts.idle();
    await settle(50);
    const now = Date.now();
    const left: string[] = [];
    for (const t of written) if (await real.getSession(t, now)) left.push(t);
    expect(left).toEqual([w[6]]);
    expect(ts.server.stats().internalErrors).toBe(0);
  });
});
