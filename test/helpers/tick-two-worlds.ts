/**
 * A cluster service over an in-process hub on a clock the test moves, owning w1, with w2 to be hosted next:
 * the control-tick tests of store calls that hang (test/unit/server/announce-bounded.test.ts,
 * tick-store-reads-bounded.test.ts).
 */
import { LocalCoordinator, LocalHub } from '../../src/cluster/local-coordinator.js';
import { ClusterService } from '../../src/server/cluster-service.js';
import type { ClusterServiceOptions } from '../../src/server/cluster-types.js';
import type { SqliteStore } from '../../src/store/sqlite-store.js';
import { createSimWorld, type SimWorld } from '../../src/world/sim-world.js';
import { clusterServiceOptions } from './cluster-service-options.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A promise the test resolves. */
export const gate = <T>(): { wait: Promise<T>; open: (v: T) => void } => {
  let open: (v: T) => void = () => {};
  const wait = new Promise<T>((r) => {
    open = r;
  });
  return { wait, open };
};

/**
 * Instance `a` owns w1 (TTL 1 s); at 600 ms w2 is hosted here too and `before` (run on the hub first) says who
 * held it. Returns what the test drives; `varied` sets the hooks whose read of w2 hangs.
 */
export const setUp = async (store: SqliteStore, varied: Partial<ClusterServiceOptions>) => {
  const clock = { now: 0 };
  const hub = new LocalHub(() => clock.now);
  const w1 = createSimWorld({ id: 'w1', capacity: 10, seed: 1 });
  const w2 = createSimWorld({ id: 'w2', capacity: 10, seed: 2 });
  const worlds: SimWorld[] = [w1];
  const c = new ClusterService(
    clusterServiceOptions({
      coordinator: new LocalCoordinator({ hub }),
      instanceId: 'a',
      leaseTtlMs: 1000,
      worlds: () => worlds,
      store: { fence: (f) => store.fence(f) },
      ...varied,
    }),
  );
  return { clock, hub, w1, w2, worlds, c, b: new LocalCoordinator({ hub }) };
};

/** Kick `c` and say whether its tick ended within 4 s. */
export const tickEnds = async (c: ClusterService): Promise<string> =>
  Promise.race([c.kick().then(() => 'tick ended'), sleep(4000).then(() => 'tick still waiting')]);
