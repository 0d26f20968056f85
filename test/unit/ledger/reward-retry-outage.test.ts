/**
 * Server-side rewards during a long store outage, at the wait-list bound, with the real pieces: a
 * SQLite store whose file is capped (disk full), a game world with a ledger. 10,000 rewards wait;
 * the 10,001st is abandoned at once and counted; once the store heals, every waiting reward
 * commits exactly once (checked in the ledger itself), the balances are the sums, and granting
 * some again with the same keys (a re-simulated step) replays them: nothing new.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_REWARDS_RETRYING, grantRewardDurably } from '../../../src/ledger/reward-retry.js';
import { attachLedger, detachLedger } from '../../../src/ledger/world-ledger.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { createGameWorld, defineGame } from '../../../src/index.js';
import type { TxResult } from '../../../src/ledger/decide.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { fillSqlite } from '../../helpers/full-sqlite.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const game = defineGame({ name: 'reward-outage-test' });
const PLAYERS = 20;

describe('server-side rewards: a store outage at the wait-list bound', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('10,000 wait, the next is abandoned; after the heal each commits once, duplicates replay', async () => {
    const dir = tempDataDir('wt-reward-outage-');
    cleanup.push(() => dir.remove());
    const store = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => store.close());
    const world = createGameWorld(game, { id: 'ro', capacity: 16 });
    attachLedger(world, { store, epoch: 'inc-1', rateLimit: { perSecond: 0 }, deadlineMs: 100 });
    cleanup.push(() => detachLedger(world));
    const l = world.ledger;
    if (!l) throw new Error('no ledger');
    await fillSqlite(store);

    const req = (i: number) => ({ playerId: `t:p${i % PLAYERS}`, key: `chain:c:${i}:1@inc-1`, coins: 1 + (i % 3) });
    const first: Array<Promise<TxResult>> = [];
    for (let i = 0; i < MAX_REWARDS_RETRYING; i++) first.push(grantRewardDurably(world, req(i)));
    for (let i = 0; i < 200 && l.stats.rewardsRetrying < MAX_REWARDS_RETRYING; i++) await sleep(20);
    expect(l.stats.rewardsRetrying).toBe(MAX_REWARDS_RETRYING);
    // Past the bound: answered TX_UNAVAILABLE at once (after its own first attempt), counted.
    const over = await grantRewardDurably(world, req(MAX_REWARDS_RETRYING));
    expect(over).toMatchObject({ status: 'rejected', code: 'TX_UNAVAILABLE' });
    expect(l.stats.rewardsAbandoned).toBe(1);
    expect(l.stats.rewardsRetrying).toBe(MAX_REWARDS_RETRYING);

    store.setMaxPageCount(1_000_000_000);
    const results = await Promise.all(first);
    expect(results.filter((r) => r.status !== 'ok')).toEqual([]);
    expect(l.stats.rewardsRetrying).toBe(0);
    expect(l.stats.rewardsAbandoned).toBe(1);
    // The same rewards granted again (a re-simulated step): replayed, nothing new.
    const again = await Promise.all(Array.from({ length: 500 }, (_, i) => grantRewardDurably(world, req(i))));
    expect(again.every((r) => r.status === 'ok' && r.replayed === true)).toBe(true);

    let entries = 0;
    for (let p = 0; p < PLAYERS; p++) {
      const rows = await store.readLedger({ playerId: `t:p${p}`, limit: 100_000 });
      const keys = new Set(rows.map((e) => e.key));
      expect(keys.size).toBe(rows.length); // no key twice
      entries += rows.length;
      let want = 0;
      for (let i = p; i < MAX_REWARDS_RETRYING; i += PLAYERS) want += 1 + (i % 3);
      expect((await store.ledgerBalance(`t:p${p}`)).coins).toBe(want);
    }
    expect(entries).toBe(MAX_REWARDS_RETRYING); // the abandoned one is not in the ledger
  }, 30_000);
});
