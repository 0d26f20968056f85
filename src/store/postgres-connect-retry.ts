/**
 * A start's first connects to PostgreSQL (the store's open, src/store/postgres-store.ts; the store lock,
 * src/server/pg-store-lock.ts) on a server slow to accept: a connect not answered within the connect
 * timeout (1 s) is tried again, a refusal is not (docs/DURABILITY.md "One server per data directory").
 */

/** Connects a start makes (the store's open, its lock) before giving up, when each is not answered within the connect timeout. */
export const START_CONNECT_ATTEMPTS = 3;

/** What `pg` says of a connect not answered in time: its client's own, and its pool's for one it was connecting. */
const CONNECT_TIMEOUTS = new Set(['timeout expired', 'Connection terminated due to connection timeout']);

/**
 * `fn` (a start's first work on PostgreSQL), run again while it fails with a connect not answered within the
 * connect timeout (that connection sent nothing; a server slow to accept on a busy host), up to
 * {@link START_CONNECT_ATTEMPTS} in all; `onRetry` told before each retry. Any other failure (a refusal, a
 * login, a missing database) is thrown at once.
 */
export const retryConnectTimeouts = async <T>(fn: () => Promise<T>, onRetry: (attempt: number) => void = () => {}): Promise<T> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= START_CONNECT_ATTEMPTS || !(err instanceof Error) || !CONNECT_TIMEOUTS.has(err.message)) throw err;
      onRetry(attempt);
    }
  }
};
