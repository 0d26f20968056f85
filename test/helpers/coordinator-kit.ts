/**
 * Small tools of the Coordinator tests (test/unit/cluster/coordinator-contract.test.ts,
 * redis-coordinator.test.ts): a sleep, a poll with a cap, and a lease result that must be a grant.
 */
import type { LeaseGranted, LeaseResult } from '../../src/cluster/coordinator.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a non-undefined value (5 s cap, then the test fails). */
export const waitFor = async <T>(what: string, check: () => Promise<T | undefined>): Promise<T> => {
  const deadline = Date.now() + 5000;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
};

/** `r` as a grant; throws (failing the test) on a refusal. */
export const granted = (r: LeaseResult): LeaseGranted => {
  if (!r.ok) throw new Error(`expected a grant, got refusal (owner ${JSON.stringify(r.owner)})`);
  return r;
};
