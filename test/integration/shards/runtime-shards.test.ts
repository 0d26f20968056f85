/**
 * Shard workers follow the world they serve through the runtime: the default world started with
 * `--shards 1` gets a worker pool over its physics, and after a restart from the data directory
 * the restored default world (a new world object with new stores) gets workers over its own
 * physics, not the discarded world's.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import { createRuntime, type Runtime } from '../../../src/server/runtime.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const data = tempDataDir('wt-shards-rt-');
const start = async (): Promise<Runtime> => {
  const flags = ['--npcs', '400', '--port', '0', '--admin-port', '0', '--stats-interval', '0', '--admin-token', 'tok'];
  const options = parseOptions([...flags, '--data-dir', data.dir, '--shards', '1', '--shard-mode', 'shards'], {});
  const runtime = createRuntime(options, createLogger('silent'));
  await runtime.start();
  return runtime;
};
const waitFor = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
};

describe('shard workers in the runtime', () => {
  afterAll(() => data.remove());

  it('the default world, and after a restart the restored default world, step their own physics on the workers', async () => {
    const first = await start();
    const w1 = first.defaultWorld;
    const pool1 = w1.physics?.pool;
    expect(pool1?.stats().ready).toBe(1);
    await waitFor(() => (pool1?.stats().dispatched ?? 0) > 0);
    expect(pool1?.stats().dispatched).toBeGreaterThan(0);
    await first.stop();
    expect(w1.physics?.pool).toBeNull(); // workers stopped with the runtime

    const second = await start();
    try {
      const w2 = second.defaultWorld;
      expect(second.checkpointer.report('1')?.restored).toBeTruthy();
      expect(w2).not.toBe(w1);
      const pool2 = w2.physics?.pool;
      expect(pool2).toBeTruthy();
      expect(pool2).not.toBe(pool1);
      expect(pool2?.stats().ready).toBe(1);
      await waitFor(() => (pool2?.stats().dispatched ?? 0) > 0);
      expect(pool2?.stats().dispatched).toBeGreaterThan(0);
    } finally {
      await second.stop();
    }
  });
});
