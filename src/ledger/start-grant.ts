/**
 * The one-time starting coins of a player (ledger reward `start-grant`), made reliable: submitted
 * when the player is bound, retried while the store is unavailable, and awaited by the player's
 * purchases — a purchase is never decided against a balance that lacks a grant still in flight
 * (it waits at most its own deadline, then is answered TX_UNAVAILABLE: nothing recorded).
 *
 * Why: the grant used to be fire-and-forget. Under load (a slow store, a long queue) it could
 * outlive its deadline and be answered TX_UNAVAILABLE while the player's first purchase, queued
 * just after it, was decided without it — a durable TX_INSUFFICIENT_FUNDS, replayed for that key
 * forever (found by bench/crash-campaign.ts, window `checkpoint` on PostgreSQL).
 */
import { TxCode } from '../errors.js';
import type { TxResult } from './decide.js';

/** Backoff between attempts of a grant the store could not take (wall ms), and attempts per call (~1 min). */
export const START_GRANT_RETRY_MS = { first: 50, max: 1000, attempts: 64 } as const;

/**
 * Start grants per player id: the promise while one is in flight, `true` once it is settled (then a
 * purchase goes straight to the ledger: no wait, no timer). Entries of players no longer bound are
 * dropped (world-ledger.ts `releasePlayer`), so the map holds bound players and grants in flight.
 */
export type StartGrants = Map<string, Promise<boolean> | true>;

/**
 * The grant of `playerId` in `grants`: resolves true once the grant is settled — committed (now or
 * by an earlier run: replayed) or refused for good (a key conflict: an earlier grant with other
 * coins stands); the entry then becomes `true` — false when the store still could not take it after
 * {@link START_GRANT_RETRY_MS}.attempts or `attached()` turned false (the ledger was detached); a
 * false result is forgotten, so the next call tries again. A settled grant is kept as `true` only
 * while `keep()` holds (the player is still bound); otherwise it is forgotten too: the grant is
 * durable, so a later call is answered by the store as a replay, never granted twice.
 */
export const ensureStartGrant = (
  grants: StartGrants,
  playerId: string,
  submit: () => Promise<TxResult>,
  attached: () => boolean,
  keep: () => boolean = () => true,
): Promise<boolean> => {
  const had = grants.get(playerId);
  if (had === true) return Promise.resolve(true);
  if (had) return had;
  const run = async (): Promise<boolean> => {
    let wait: number = START_GRANT_RETRY_MS.first;
    for (
      let attempt = 0;
      attempt < START_GRANT_RETRY_MS.attempts && attached();
      attempt++, wait = Math.min(START_GRANT_RETRY_MS.max, wait * 2)
    ) {
      const r = await submit();
      // Committed, or settled for good (e.g. TX_KEY_CONFLICT: granted earlier with other coins): nothing to wait for.
      if (r.status === 'ok' || r.code !== TxCode.UNAVAILABLE) return true;
      await new Promise((res) => setTimeout(res, wait).unref());
    }
    return false;
  };
  const p = run().then((ok) => {
    if (grants.get(playerId) === p) {
      if (ok && keep()) grants.set(playerId, true);
      else grants.delete(playerId);
    }
    return ok;
  });
  grants.set(playerId, p);
  return p;
};
