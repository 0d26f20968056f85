/**
 * RedisCoordinator's pub/sub connection gone silent (src/cluster/redis-subscriptions.ts): Redis answers
 * nothing on it and closes nothing (a silent network cut: test/integration/cluster/cut-owner.test.ts).
 * A subscribed connection sends nothing by itself, so the coordinator PINGs it and, once a PING timed out
 * after two command timeouts of silence, gives it up and opens a new one, which subscribes again. The
 * silence here is a real redis-server stopped (SIGSTOP; its connections stay open, the kernel still
 * accepts bytes and connections), started again after it (SIGCONT) — the server started for this file.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisCoordinator } from '../../../src/cluster/redis-coordinator.js';
import { fileRedis, sleep, trackCoordinators, waitFor } from '../../helpers/coordinator-kit.js';

const redis = fileRedis('RedisCoordinator silent subscriber');
const track = trackCoordinators();

/** Ids of the connections subscribed to something (`CLIENT LIST TYPE pubsub`, `sub` > 0). */
const subscriberIds = async (raw: Redis): Promise<string[]> => {
  const list = String(await raw.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
  return list
    .split('\n')
    .filter((l) => /\bsub=[1-9]/.test(l))
    .map((l) => /\bid=(\d+)/.exec(l)?.[1] ?? '');
};

describe.skipIf(!redis.bin)('RedisCoordinator subscriber connection', () => {
  it('is given up after a silence and a new one subscribes again: messages published after it arrive', async () => {
    const c = track(new RedisCoordinator({ connection: redis.server().url, keyPrefix: 'quiet:', commandTimeoutMs: 250 }));
    const got: unknown[] = [];
    // The first SUBSCRIBE also waits for the new connection to open, all within the command timeout:
    // on a loaded machine that can time out (an eighth stress run did, at 100 ms). A starved process
    // can also see a PING time out and give a healthy connection up, which then subscribes again. That
    // is the setup, so it is retried and waited for; the silence below is the test.
    await waitFor('the first subscribe', () =>
      c
        .subscribe('ctl', (m) => got.push(m))
        .then(
          () => true,
          () => undefined,
        ),
    );
    const raw = new Redis(redis.server().url);
    try {
      const before = await waitFor('one subscriber connection', async () => {
        const ids = await subscriberIds(raw);
        return ids.length === 1 ? ids : undefined;
      });
      const pid = Number(/process_id:(\d+)/.exec(await raw.info('server'))?.[1]);
      expect(Number.isSafeInteger(pid)).toBe(true);
      process.kill(pid, 'SIGSTOP');
      try {
        await sleep(2000); // 8 command timeouts: PINGs time out, the silence passes two of them
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      const after = await waitFor('a new subscriber connection', async () => {
        const ids = await subscriberIds(raw);
        return ids.length === 1 && ids[0] !== before[0] ? ids : undefined;
      });
      expect(after).not.toEqual(before);
      await raw.publish('quiet:msg:ctl', '{"type":"after"}');
      await waitFor('the message published after the silence', async () => (got.length > 0 ? true : undefined));
      expect(got).toEqual([{ type: 'after' }]);
    } finally {
      raw.disconnect();
    }
  });
});
