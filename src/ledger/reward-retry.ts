/**
 * Server-side rewards resubmitted until the store takes them. A purchase answered
 * `TX_UNAVAILABLE` is retried by its client with the same key; a reward the server itself earned
 * (a chain step, a game's round end) has no client to retry it, so a store outage longer than the
 * ledger's deadline (2 s) used to lose it. The key is the reward's idempotency key, so resubmitting
 * is safe: it is committed once, and a resubmit after an ambiguous failure is answered `replayed`.
 *
 *   grantRewardDurably ── grantReward ── ok / refused for good ─────────────► resolved
 *                               └─ TX_UNAVAILABLE ─ wait (100 ms doubling to 5 s, ×0.5–1.5) ─┘ (while attached)
 *
 * Bounded: at most {@link MAX_REWARDS_RETRYING} rewards wait per world; past it, or once the
 * ledger is detached (the world was deleted or moved, the server shuts down), the reward is
 * answered `TX_UNAVAILABLE` and counted as abandoned (`rewardsAbandoned`). A process that dies with
 * rewards waiting loses them unless a restore re-simulates the steps that earned them (their keys
 * are per world step: docs/DURABILITY.md).
 */
import { TxCode } from '../errors.js';
import { rejection, type RewardRequest, type TxResult } from './decide.js';
import { grantReward, type LedgerWorld } from './world-ledger.js';

/** Wait before the first resubmit, and the longest wait (wall ms: operational, not gameplay time). */
export const REWARD_RETRY_MS = { first: 100, max: 5000 } as const;
/** Rewards per world waiting for the store at most. */
export const MAX_REWARDS_RETRYING = 10_000;

const unavailable = (r: TxResult): boolean => r.status !== 'ok' && r.code === TxCode.UNAVAILABLE;

/**
 * Grant a server-side reward and resubmit it while the store is unavailable. Resolves with the
 * durable result (`ok`, or a rejection that is final), or `TX_UNAVAILABLE` when it was abandoned.
 */
export const grantRewardDurably = async (world: LedgerWorld, req: RewardRequest): Promise<TxResult> => {
  const l = world.ledger;
  if (!l) return rejection({ kind: 'reward', ...req }, TxCode.UNAVAILABLE);
  let r = await grantReward(world, req);
  if (!unavailable(r)) return r;
  const st = l.stats;
  if (st.rewardsRetrying >= MAX_REWARDS_RETRYING) {
    st.rewardsAbandoned++;
    return r;
  }
  st.rewardsRetrying++;
  try {
    let wait: number = REWARD_RETRY_MS.first;
    while (world.ledger === l) {
      // Jittered (×0.5–1.5, wall time: operational, never gameplay): thousands of rewards refused by one
      // outage would otherwise all resubmit in the same timer phase once the store heals.
      await new Promise((res) => setTimeout(res, wait * (0.5 + Math.random())).unref());
      if (world.ledger !== l) break;
      st.rewardResubmits++;
      r = await grantReward(world, req);
      if (!unavailable(r)) return r;
      wait = Math.min(REWARD_RETRY_MS.max, wait * 2);
    }
    st.rewardsAbandoned++;
    return r;
  } finally {
    st.rewardsRetrying--;
  }
};
