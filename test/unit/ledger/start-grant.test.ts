/**
 * The starting coins and a player's first purchase when the store cannot take the grant in time
 * (found by bench/crash-campaign.ts, window `checkpoint` on PostgreSQL: under load the grant
 * outlived its deadline and the first purchase, queued right after it, was recorded as
 * TX_INSUFFICIENT_FUNDS with 1,000,000 starting coins — replayed for that key forever).
 * A real SQLite store in a temporary directory, capped like a full disk while the player binds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TxResult } from '../../../src/ledger/decide.js';
import { attachLedger, bindPlayer, detachLedger, START_GRANT_KEY, submitPurchase } from '../../../src/ledger/world-ledger.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { spawnPlayer } from '../../../src/world/spawn.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const FILLER = {
  worldId: 'sg',
  playerId: 'filler',
  kind: 'reward' as const,
  item: null,
  quantity: 0,
  unitPrice: 0,
  coinsDelta: 1,
  status: 'ok' as const,
  code: null,
  fingerprint: 'reward|1||0',
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('start grant before the first purchase', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('a grant the store refused is retried, and the purchase waits for it: ok, never TX_INSUFFICIENT_FUNDS', async () => {
    const dir = tempDataDir('wt-start-grant-');
    cleanup.push(() => dir.remove());
    const store = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => store.close());
    const world = createSimWorld({ id: 'sg', capacity: 64, seed: 1 });
    attachLedger(world, { store, startingCoins: 100, deadlineMs: 100, rateLimit: { perSecond: 0 } });
    cleanup.push(() => detachLedger(world));

    // Disk full while the player binds (the file capped at its size, its free space used up by
    // another player's rewards): the grant's commit fails until its 100 ms deadline.
    store.setMaxPageCount(store.pageCount());
    for (let i = 0; i < 10_000; i++) {
      const filler = { ...FILLER, key: `fill-${i}`, createdAt: Date.now() };
      if (
        !(await store.commitLedger([filler]).then(
          () => true,
          () => false,
        ))
      )
        break;
    }
    const eid = spawnPlayer(world, 1, 1);
    bindPlayer(world, eid, 'bob');
    await sleep(250);
    expect(await store.findLedgerEntries([{ playerId: 'bob', key: START_GRANT_KEY }])).toEqual([]);
    store.setMaxPageCount(1_000_000_000);

    // The client: the same key again after every TX_UNAVAILABLE (nothing was recorded for it).
    const answers: TxResult[] = [];
    for (let attempt = 0; attempt < 50 && answers.at(-1)?.status !== 'ok'; attempt++) {
      const before = answers.length;
      submitPurchase(world, { playerId: 'bob', key: 'buy-0', item: 'arrow', quantity: 1, expectedPrice: 1 }, (r) => answers.push(r));
      for (let i = 0; i < 400 && answers.length === before; i++) {
        world.ingest.drain(world, 100); // the step's ingest phase applies ok results and answers them
        await sleep(10);
      }
    }
    expect(answers.filter((r) => r.code !== 'TX_UNAVAILABLE').map((r) => [r.status, r.code])).toEqual([['ok', null]]);
    const entries = await store.findLedgerEntries([
      { playerId: 'bob', key: START_GRANT_KEY },
      { playerId: 'bob', key: 'buy-0' },
    ]);
    expect(entries.map((e) => [e.key, e.status])).toEqual([
      [START_GRANT_KEY, 'ok'],
      ['buy-0', 'ok'],
    ]);
    expect((await store.ledgerBalance('bob')).coins).toBe(99);
    // Settled: later purchases go straight to the ledger (the grant is not asked again).
    expect(world.ledger?.startGrants.get('bob')).toBe(true);
    const next: TxResult[] = [];
    submitPurchase(world, { playerId: 'bob', key: 'buy-1', item: 'arrow', quantity: 1, expectedPrice: 1 }, (r) => next.push(r));
    for (let i = 0; i < 400 && next.length === 0; i++) {
      world.ingest.drain(world, 100);
      await sleep(10);
    }
    expect(next.map((r) => r.status)).toEqual(['ok']);
    expect((await store.ledgerBalance('bob')).coins).toBe(98);
  });

  it('a start grant recorded earlier with other coins (key conflict) does not hold purchases back', async () => {
    const dir = tempDataDir('wt-start-grant-');
    cleanup.push(() => dir.remove());
    const store = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => store.close());
    const before = createSimWorld({ id: 'sg', capacity: 64, seed: 1 });
    attachLedger(before, { store, startingCoins: 50, rateLimit: { perSecond: 0 } });
    bindPlayer(before, spawnPlayer(before, 1, 1), 'carol');
    for (let i = 0; i < 200 && (await store.ledgerBalance('carol')).coins !== 50; i++) await sleep(5);
    await detachLedger(before);
    // Started again with other starting coins: the grant's key conflicts; the purchase is decided all the same.
    const world = createSimWorld({ id: 'sg', capacity: 64, seed: 1 });
    attachLedger(world, { store, startingCoins: 100, rateLimit: { perSecond: 0 } });
    cleanup.push(() => detachLedger(world));
    bindPlayer(world, spawnPlayer(world, 1, 1), 'carol');
    const answers: TxResult[] = [];
    submitPurchase(world, { playerId: 'carol', key: 'buy-0', item: 'arrow', quantity: 1, expectedPrice: 1 }, (r) => answers.push(r));
    for (let i = 0; i < 400 && answers.length === 0; i++) {
      world.ingest.drain(world, 100);
      await sleep(10);
    }
    expect(answers.map((r) => [r.status, r.code])).toEqual([['ok', null]]);
    expect((await store.ledgerBalance('carol')).coins).toBe(49);
  });
});
