/**
 * The cluster's rows of the option table (src/cli/option-specs.ts, where they are spread in place:
 * `--help` keeps its order): coordination Redis, instance id, secret, leases, fencing, standby copies,
 * balancing, advertised host (docs/CLUSTER.md).
 */
import type { OptionSpec } from './option-spec.js';

/** The cluster options, in `--help` order. */
export const CLUSTER_OPTION_SPECS: readonly OptionSpec[] = [
  {
    key: 'redis',
    flag: 'redis',
    env: 'WORLDTICK_REDIS',
    kind: 'string',
    default: '',
    doc: 'cluster mode: redis://host:port of the coordination Redis shared by every instance (docs/CLUSTER.md); empty = one instance',
  },
  {
    key: 'instanceId',
    flag: 'instance-id',
    env: 'WORLDTICK_INSTANCE_ID',
    kind: 'string',
    default: '',
    doc: "cluster: id of this instance (letters, digits, '.', '_', ':', '-'; empty = generated at start)",
  },
  {
    key: 'clusterSecret',
    flag: 'cluster-secret',
    env: 'WORLDTICK_CLUSTER_SECRET',
    kind: 'string',
    default: '',
    doc: 'cluster: shared secret (>= 16 bytes) signing redirect tickets (empty = the admin token, which must then be given and long enough)',
  },
  {
    key: 'clusterSecretPrevious',
    flag: 'cluster-secret-previous',
    env: 'WORLDTICK_CLUSTER_SECRET_PREVIOUS',
    kind: 'string',
    default: '',
    doc: 'cluster: accept-only ticket secret (>= 16 bytes) during a rotation of --cluster-secret (or of the admin token it defaults to): the previous one (or, before the switch, the next one); tickets it signed are accepted, none is signed with it (empty = none, or without --cluster-secret --admin-token-previous; docs/ADMIN.md "Rotating the admin token")',
  },
  {
    key: 'leaseTtlSeconds',
    flag: 'lease-ttl',
    env: 'WORLDTICK_LEASE_TTL',
    kind: 'number',
    default: 6,
    min: 0.3,
    max: 600,
    doc: 'cluster: world lease TTL in wall seconds (renewed every third of it; an instance cut off from Redis stops stepping before it ends)',
  },
  {
    key: 'fenceLockWaitSeconds',
    flag: 'fence-lock-wait',
    env: 'WORLDTICK_FENCE_LOCK_WAIT',
    kind: 'number',
    default: 0,
    min: 0,
    max: 60,
    doc: "cluster: wall seconds a new owner's fencing-token announce waits for the world's fence row in the store (0 = a sixth of --lease-ttl, between 0.05 and 1; else less than a third of --lease-ttl)",
  },
  {
    key: 'standbyCopies',
    flag: 'standby-copies',
    env: 'WORLDTICK_STANDBY_COPIES',
    kind: 'int',
    default: -1,
    min: -1,
    max: 1000,
    doc: 'cluster: how many instances restore each stored admin world at start as a standby copy (-1 = every instance; 0 = none: a world whose owner dies is taken from the store all the same; n = the n instances ranked first for it by rendezvous hashing among the live ones)',
  },
  {
    key: 'balanceIntervalSeconds',
    flag: 'balance-interval',
    env: 'WORLDTICK_BALANCE_INTERVAL',
    kind: 'number',
    default: 60,
    min: 0,
    max: 86_400,
    doc: 'cluster: wall seconds between load-balance rounds on the instance with the smallest id (0 = only on demand, POST /api/v1/cluster/balance)',
  },
  {
    key: 'advertiseHost',
    flag: 'advertise-host',
    env: 'WORLDTICK_ADVERTISE_HOST',
    kind: 'string',
    default: '',
    doc: 'cluster: host name in the game/admin URLs this instance advertises to the others (empty = --host)',
  },
];
