/**
 * A player's ledger bindings are released when its entity is removed (the session's `remove`
 * fact), and a returning player is bound again from the durable ledger: its start grant is a
 * replay of the stored entry, never a second grant. A real SQLite store in a temporary directory.
 */
import { playerRow } from '../../../components/player-table.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { TxResult } from '../../../src/ledger/decide.js';
import {
  attachLedger,
  bindPlayer,
  detachLedger,
  ledgerRetained,
  START_GRANT_KEY,
  submitPurchase,
  walletOf,
} from '../../../src/ledger/world-ledger.js';
import { defineSessionIngest, SESSION_INGEST_TYPE, type LeaveFact } from '../../../src/net/player-facts.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { spawnPlayer } from '../../../src/world/spawn.js';
import { createSimWorld, type SimWorld } from '../../../src/world/sim-world.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const EMPTY = { eidOf: 0, playerOf: 0, catchingUp: 0, startGrants: 0, cachedBalances: 0 };

describe('ledger bindings released with the player', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  const setup = (): { world: SimWorld; store: SqliteStore } => {
    const dir = tempDataDir('wt-release-');
    cleanup.push(() => dir.remove());
    const store = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => store.close());
    const world = createSimWorld({ id: 'rel', capacity: 64, seed: 1 });
    defineSessionIngest(world);
    attachLedger(world, { store, startingCoins: 100, rateLimit: { perSecond: 0 } });
    cleanup.push(() => detachLedger(world));
    return { world, store };
  };

  /** Run the ingest phase until `done` holds (catch-ups, results). */
  const until = async (world: SimWorld, done: () => boolean): Promise<void> => {
    for (let i = 0; i < 400 && !done(); i++) {
      world.ingest.drain(world, 100);
      await sleep(5);
    }
    expect(done()).toBe(true);
  };

  /** Remove player `eid` through its session's `remove` fact, as the session registry does. */
  const remove = (world: SimWorld, eid: number): void => {
    const owner = world.stores.Player.session[playerRow(world.stores, eid)] ?? 0;
    const fact: LeaveFact = { op: 'remove', player: eid, owner, removed: [] };
    world.ingest.push(SESSION_INGEST_TYPE, eid, fact);
    world.ingest.drain(world, 100);
  };

  const join = async (world: SimWorld, id: string): Promise<number> => {
    const eid = spawnPlayer(world, 1, 1);
    bindPlayer(world, eid, id);
    await until(world, () => walletOf(world, id) !== null && world.ledger?.startGrants.get(id) === true);
    return eid;
  };

  const buy = async (world: SimWorld, id: string, key: string): Promise<TxResult> => {
    const got: TxResult[] = [];
    submitPurchase(world, { playerId: id, key, item: 'arrow', quantity: 1, expectedPrice: 1 }, (r) => got.push(r));
    await until(world, () => got.length > 0);
    return got[0] as TxResult;
  };

  it('a player that leaves and comes back 5 times gets its start grant once; nothing is retained between visits', async () => {
    const { world, store } = setup();
    const l = world.ledger;
    if (!l) throw new Error('no ledger');
    for (let visit = 0; visit < 5; visit++) {
      const eid = await join(world, 'dave');
      // Caught up from the ledger: the grant once, minus one arrow per earlier visit.
      await until(world, () => walletOf(world, 'dave')?.coins === 100 - visit);
      expect((await buy(world, 'dave', `buy-${visit}`)).status).toBe('ok');
      expect(walletOf(world, 'dave')?.coins).toBe(99 - visit);
      remove(world, eid);
      expect(ledgerRetained(l)).toEqual(EMPTY);
    }
    const entries = await store.readLedger({ playerId: 'dave', afterSeq: 0 });
    expect(entries.filter((e) => e.key === START_GRANT_KEY)).toHaveLength(1);
    expect((await store.ledgerBalance('dave')).coins).toBe(95);
  });

  it('a player removed while its grant and catch-up are in flight leaves nothing behind once they settle', async () => {
    const { world, store } = setup();
    const l = world.ledger;
    if (!l) throw new Error('no ledger');
    for (let i = 0; i < 20; i++) {
      const eid = spawnPlayer(world, 1, 1);
      bindPlayer(world, eid, `p${i}`);
      remove(world, eid);
    }
    expect(l.eidOf.size).toBe(0);
    // The grants settle after the players left: committed, but not kept in memory.
    for (let i = 0; i < 200 && (l.startGrants.size > 0 || l.service.queued > 0); i++) await sleep(5);
    await l.service.flush();
    world.ingest.drain(world, 100);
    expect(ledgerRetained(l)).toEqual(EMPTY);
    expect((await store.ledgerBalance('p7')).coins).toBe(100);
    // And a returning one is not granted again.
    await join(world, 'p7');
    expect(walletOf(world, 'p7')?.coins).toBe(100);
    const entries = await store.readLedger({ playerId: 'p7', afterSeq: 0 });
    expect(entries.filter((e) => e.key === START_GRANT_KEY)).toHaveLength(1);
  });

  it('a ledger id bound again to another entity keeps that binding when its old entity is removed', async () => {
    const { world } = setup();
    const l = world.ledger;
    if (!l) throw new Error('no ledger');
    const first = await join(world, 'erin');
    const second = await join(world, 'erin'); // a second session with the same token: the id moves
    remove(world, first);
    expect(l.eidOf.get('erin')).toBe(second);
    expect(walletOf(world, 'erin')?.coins).toBe(100);
    remove(world, second);
    expect(ledgerRetained(l)).toEqual(EMPTY);
  });
});
