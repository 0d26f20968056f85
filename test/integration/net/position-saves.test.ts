/**
 * The periodic save of live players' positions (every 8th sweep, ≈ 2 s per player). better-sqlite3
 * commits synchronously on the event loop that steps the worlds: one transaction per player held the
 * loop for 400 players' fsyncs every 2 s (the admin /healthz answered in up to 1.4 s with 400 bots),
 * and one transaction of every live player held it 31-68 ms at 5,000 players (bench session-writes). So each sweep saves
 * one eighth of the live players (connection id modulo 8) in one transaction, and only those that
 * moved since their last save; a save that failed is written again at the player's next turn.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { playerIdOfToken } from '../../../src/net/durable-sessions.js';
import { openStore } from '../../../src/store/open-store.js';
import type { SessionWrite, Store } from '../../../src/store/types.js';
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

/**
 * The store, with the player writes of each `writeSessions` call noted (`calls`: ids; `xs`: the saved
 * x of each, same order); `failPlayers` fails the next call holding any.
 */
const watched = (real: Store) => {
  const calls: string[][] = [];
  const xs: unknown[][] = [];
  const ctl = { failPlayers: false };
  const spy: Store = Object.create(real) as Store;
  spy.writeSessions = (ops: readonly SessionWrite[]) => {
    const players = ops.flatMap((o) => (o.kind === 'player' ? [o.id] : []));
    if (players.length > 0 && ctl.failPlayers) {
      ctl.failPlayers = false;
      return Promise.reject(new Error('injected store failure'));
    }
    if (players.length > 0) {
      calls.push(players);
      xs.push(ops.flatMap((o) => (o.kind === 'player' ? [o.data?.x] : [])));
    }
    return real.writeSessions(ops);
  };
  return { spy, calls, xs, ctl };
};

const joinAll = async (n: number, prefix: string) => {
  const welcomes = [];
  for (let i = 0; i < n; i++) welcomes.push(await (await ts!.client()).join('w1', `p${i}`, `${prefix}-${i}`));
  await ts!.idle();
  return welcomes;
};

const moveAll = (welcomes: Array<{ playerId: number }>, x: number, y: number): void => {
  const P = ts!.world.stores.Position;
  for (const w of welcomes) {
    P.x[w.playerId] = x;
    P.y[w.playerId] = y;
  }
};

const savedAt = async (token: string) => (await store!.getPlayer(playerIdOfToken(token)))?.data;

describe('durable session writes are batched', () => {
  it('each sweep saves one eighth of the live players in one transaction; every player within a period', async () => {
    store = await openStore({ dataDir: tempDataDir('wt-positions-').dir });
    const { spy, calls, xs } = watched(store);
    ts = await startTestServer({ store: spy });
    const n = 40;
    const welcomes = await joinAll(n, 'walk-token');
    moveAll(welcomes, 123, 456); // the saved position now differs from the join's
    const allSaved = async () => {
      for (let i = 0; i < n; i++) if ((await savedAt(`walk-token-${i}`))?.x !== 123) return false;
      return true;
    };
    for (let i = 0; i < 60 && !(await allSaved()); i++) await settle(100);
    for (let i = 0; i < n; i++) expect(await savedAt(`walk-token-${i}`)).toMatchObject({ x: 123, y: 456 });
    // The writes of the move: a sweep's save of the players' first positions may still have been
    // waiting for its turn of the write-behind queue when they moved (seen on a loaded machine).
    const moves = calls.flatMap((ids, c) => {
      const moved = ids.filter((_, i) => xs[c]?.[i] === 123);
      return moved.length > 0 ? [moved] : [];
    });
    // Before: all 40 in one transaction. Now 40 consecutive connection ids over 8 slots: 5 a sweep.
    expect(Math.max(...moves.map((c) => c.length))).toBe(n / 8);
    expect(new Set(moves.flat()).size).toBe(n);
    // At most 8 sweeps' saves (a period); one per player was 40. (The writes holding the moved
    // players are counted, not the store's transactions: a prune or checkpoint may fall in the window.)
    expect(moves.length).toBeLessThanOrEqual(8);
  });

  it('a player that did not move is not written again; one that moves is, at its next turn', async () => {
    store = await openStore({ dataDir: tempDataDir('wt-still-').dir });
    const { spy, calls } = watched(store);
    ts = await startTestServer({ store: spy });
    const welcomes = await joinAll(16, 'still-token');
    moveAll(welcomes, 10, 20);
    for (let i = 0; i < 16; i++) await expect.poll(() => savedAt(`still-token-${i}`)).toMatchObject({ x: 10, y: 20 });
    const first = calls.flat().length;
    await settle(2600); // over a whole period (8 sweeps of 250 ms): nobody moved
    expect(calls.flat().length).toBe(first); // before: every player again, every 2 s
    const P = ts.world.stores.Position;
    P.x[welcomes[3].playerId] = 77;
    for (let i = 0; i < 40 && (await savedAt('still-token-3'))?.x !== 77; i++) await settle(100);
    expect(await savedAt('still-token-3')).toMatchObject({ x: 77, y: 20 });
    expect(calls.flat().slice(first)).toEqual([playerIdOfToken('still-token-3')]);
  });

  it('a save that failed is written again at the next turn, though the players did not move since', async () => {
    store = await openStore({ dataDir: tempDataDir('wt-retry-').dir });
    const { spy, calls, ctl } = watched(store);
    ts = await startTestServer({ store: spy });
    const welcomes = await joinAll(8, 'retry-token');
    for (let i = 0; i < 60 && calls.flat().length < 8; i++) await settle(100); // everyone's first save
    ctl.failPlayers = true;
    moveAll(welcomes, 300, 301);
    for (let i = 0; i < 40 && ctl.failPlayers; i++) await settle(100);
    expect(ctl.failPlayers).toBe(false); // a save failed
    for (let i = 0; i < 8; i++) await expect.poll(() => savedAt(`retry-token-${i}`), { timeout: 10_000 }).toMatchObject({ x: 300, y: 301 });
  });

  it('players disconnecting together are parked in one transaction (write-behind), and a resume reads the parked record', async () => {
    store = await openStore({ dataDir: tempDataDir('wt-parks-').dir });
    const parkCalls: string[][] = []; // the tokens parked by each writeSessions call
    const spy: Store = Object.create(store) as Store;
    const real = store;
    spy.writeSessions = (ops: readonly SessionWrite[]) => {
      const parked = ops.flatMap((o) => (o.kind === 'session' && o.record.data?.live === false ? [o.record.token] : []));
      if (parked.length > 0) parkCalls.push(parked);
      return real.writeSessions(ops);
    };
    ts = await startTestServer({ store: spy });
    const clients = [];
    const welcomes = [];
    for (let i = 0; i < 12; i++) {
      const c = await ts.client();
      welcomes.push(await c.join('w1', `p${i}`, `park-token-${i}`));
      clients.push(c);
    }
    await ts.idle();
    expect(parkCalls).toEqual([]);
    ts.hold = true; // every disconnect is applied by the same step
    for (const c of clients) c.close();
    await Promise.all(clients.map((c) => c.closed()));
    await ts.sessionFactsQueued(clients.length); // every disconnect waits for the step (a fixed wait: not on a loaded machine)
    ts.hold = false;
    await ts.idle();
    await settle(50);
    for (const w of welcomes) expect((await store.getSession(w.resumeToken, 0))?.data).toMatchObject({ live: false });
    // The 12 parks in one transaction (before: two per player, 24). Counting the store's transactions
    // in the window also counted periodic saves and sweeps that happened to fall in it (4 on a CI run).
    expect(parkCalls).toHaveLength(1);
    expect([...(parkCalls[0] ?? [])].sort()).toEqual(welcomes.map((w) => w.resumeToken).sort());
    const again = await ts.client();
    expect(await again.join('w1', 'p0', 'park-token-0', welcomes[0].resumeToken)).toMatchObject({ resumed: true });
  });
});
