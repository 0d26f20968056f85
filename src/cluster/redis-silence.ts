/**
 * Giving up a Redis connection that has gone silent (src/cluster/redis-coordinator.ts for commands,
 * src/cluster/redis-subscriptions.ts for pub/sub): a silent network cut (no FIN, RST or ICMP) closes
 * nothing, and the old connection would come back only with TCP's next retransmission after the heal,
 * whose interval doubles up to 2 minutes while the cut lasts (test/integration/cluster/cut-owner.test.ts).
 * So once a command times out on a connection that has answered nothing for `silentMs`, the connection
 * is dropped and ioredis opens a new one (which connects as soon as the link is back).
 */
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';

/** The silence of one connection, as its owner reports its answers and failures. */
export interface SilenceWatch {
  /** Redis answered on the connection (a reply, a message): its silence starts again now. */
  answered(): void;
  /** A command failed with `err`: when it timed out and the connection has been silent for `silentMs`, drop it (ioredis reconnects). */
  failed(err: unknown): void;
}

/**
 * Watch `redis` (ms of silence `silentMs` before it is given up; never once `closed()`). A new
 * connection's silence counts from its `ready`. Given up once per silence: the new one has its own.
 */
export const watchSilence = (redis: Redis, silentMs: number, closed: () => boolean): SilenceWatch => {
  let answeredAt = performance.now();
  const answered = (): void => {
    answeredAt = performance.now();
  };
  redis.on('ready', answered);
  return {
    answered,
    failed(err) {
      if (closed() || !(err instanceof Error) || err.message !== 'Command timed out') return;
      if (redis.status !== 'ready' || performance.now() - answeredAt < silentMs) return;
      answered();
      redis.disconnect(true);
    },
  };
};
