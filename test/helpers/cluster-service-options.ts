/**
 * The options of a ClusterService built directly by a test (no runtime around it): an enforcing
 * instance `instanceId` with no worlds, capacity 100, no load and nothing to close, its URLs
 * `ws://<id>:1` and `http://<id>:2`, a silent logger. A test passes its coordinator and whatever it
 * varies (worlds, store, lease TTL, a logger it reads, adopt, the stored-world lookups).
 */
import { createLogger } from '../../src/log.js';
import type { ClusterServiceOptions } from '../../src/server/cluster-types.js';

type Varied = Pick<ClusterServiceOptions, 'coordinator' | 'instanceId'> & Partial<ClusterServiceOptions>;

export const clusterServiceOptions = (o: Varied): ClusterServiceOptions => ({
  leaseTtlMs: 6000,
  enforce: true,
  logger: createLogger('silent'),
  worlds: () => [],
  gameUrl: () => `ws://${o.instanceId}:1`,
  adminUrl: () => `http://${o.instanceId}:2`,
  capacity: () => 100,
  load: () => ({ sessions: 0, stepCostMs: 0, cpu: 0 }),
  closeSessions: () => 0,
  ...o,
});
