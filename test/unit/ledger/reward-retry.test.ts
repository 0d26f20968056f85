/**
 * Server-side rewards survive a store outage longer than the ledger's deadline: answered
 * TX_UNAVAILABLE at first, resubmitted with the same key until the store takes them, committed
 * once (src/ledger/reward-retry.ts). A real SQLite store whose file is capped (disk full).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_REWARDS_RETRYING, grantRewardDurably } from '../../../src/ledger/reward-retry.js';
import { attachLedger, bindPlayer, detachLedger } from '../../../src/ledger/world-ledger.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { spawnPlayer } from '../../../src/world/spawn.js';
import { createGameWorld, defineGame, grantPlayerReward } from '../../../src/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { fillSqlite } from '../../helpers/full-sqlite.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const game = defineGame({ name: 'reward-retry-test' });

describe('server-side rewards across a store outage', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  const setup = () => {
    const dir = tempDataDir('wt-reward-retry-');
    cleanup.push(() => dir.remove());
    const store = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => store.close());
    const world = createGameWorld(game, { id: 'rr', capacity: 16 });
    // A short deadline: an outage of a few hundred ms already outlives it.
    attachLedger(world, { store, epoch: 'inc-1', rateLimit: { perSecond: 0 }, deadlineMs: 150 });
    cleanup.push(() => detachLedger(world));
    const p = spawnPlayer(world, 1, 1);
    bindPlayer(world, p, 't:bob');
    const l = world.ledger;
    if (!l) throw new Error('no ledger');
    return { world, store, p, l };
  };

  it('a reward earned while the store is full is committed once the store heals, exactly once', async () => {
    const { world, store, p, l } = setup();
    await fillSqlite(store);
    const pending = grantPlayerReward(world, p, { key: 'round:1', coins: 40 });
    let settled = false;
    void pending.then(() => (settled = true));
    // Well past the ledger's deadline: the first submit was answered TX_UNAVAILABLE and is waiting.
    for (let i = 0; i < 100 && l.stats.rewardResubmits < 2; i++) await sleep(20);
    expect(settled).toBe(false);
    expect(l.stats.rewardsRetrying).toBe(1);
    expect(l.stats.rewardResubmits).toBeGreaterThanOrEqual(2);
    expect(l.stats.results['reward:TX_UNAVAILABLE']).toBeGreaterThanOrEqual(1);
    store.setMaxPageCount(1_000_000_000);
    const r = await pending;
    expect(r).toMatchObject({ status: 'ok', key: 'game:round:1@inc-1', coinsDelta: 40 });
    expect(l.stats.rewardsRetrying).toBe(0);
    expect(l.stats.rewardsAbandoned).toBe(0);
    const entries = await store.readLedger({ playerId: 't:bob' });
    expect(entries.filter((e) => e.key === 'game:round:1@inc-1')).toHaveLength(1);
    expect((await store.ledgerBalance('t:bob')).coins).toBe(40);
  });

  it('a reward still waiting when the ledger is detached is abandoned, counted, answered TX_UNAVAILABLE', async () => {
    const { world, store, l } = setup();
    await fillSqlite(store);
    const pending = grantRewardDurably(world, { playerId: 't:bob', key: 'chain:x:1:5@inc-1', coins: 3 });
    for (let i = 0; i < 100 && l.stats.rewardsRetrying === 0; i++) await sleep(20);
    expect(l.stats.rewardsRetrying).toBe(1);
    await detachLedger(world);
    const r = await pending;
    expect(r).toMatchObject({ status: 'rejected', code: 'TX_UNAVAILABLE' });
    expect(l.stats.rewardsAbandoned).toBe(1);
    expect(l.stats.rewardsRetrying).toBe(0);
    store.setMaxPageCount(1_000_000_000);
    expect(await store.readLedger({ playerId: 't:bob' })).toHaveLength(0);
  });

  it('past the wait-list bound a reward is abandoned at once', async () => {
    const { world, store, l } = setup();
    await fillSqlite(store);
    l.stats.rewardsRetrying = MAX_REWARDS_RETRYING; // as if the list were full
    const r = await grantRewardDurably(world, { playerId: 't:bob', key: 'chain:x:1:6@inc-1', coins: 3 });
    expect(r).toMatchObject({ status: 'rejected', code: 'TX_UNAVAILABLE' });
    expect(l.stats.rewardsAbandoned).toBe(1);
    expect(l.stats.rewardResubmits).toBe(0);
    l.stats.rewardsRetrying = 0;
  });
});
