/**
 * The settings of suite `soak-cluster` (bench/soak-cluster.ts), read from the environment: the
 * `SOAK_*` variables its module comment lists; without one, its default (shorter with `--quick`).
 */

const env = (name: string, d: number): number => (process.env[name] ? Number(process.env[name]) : d);

/** One run's settings (seconds are wall seconds). */
export interface SoakClusterSettings {
  seconds: number;
  sampleEvery: number;
  warmup: number;
  playersN: number;
  botsN: number;
  killEvery: number;
  redisEvery: number;
  gapMs: number;
  npcs: number;
  leaseTtl: number;
  quietEvery: number;
  snapshotsOn: boolean;
  /** `SOAK_KEEP_SNAPSHOTS=<dir>`: copies of the heap snapshots kept there (to open in DevTools or diff again). */
  keepSnapshots: string | null;
  churnOn: boolean;
  pgEvery: number;
  churnGapMs: number;
  churnLifeMs: number;
  churnNpcs: number;
  churnPlayersN: number;
}

/** The settings of a run (`quick`: the suite runner's `--quick`). */
export const soakClusterSettings = (quick: boolean): SoakClusterSettings => {
  const seconds = env('SOAK_SECONDS', quick ? 60 : 300);
  return {
    seconds,
    sampleEvery: env('SOAK_SAMPLE_SECONDS', quick ? 5 : 15),
    warmup: env('SOAK_WARMUP_SECONDS', Math.min(45, Math.round(seconds / 6))),
    playersN: env('SOAK_PLAYERS', 16),
    botsN: env('SOAK_BOTS', 20),
    killEvery: env('SOAK_KILL_SECONDS', quick ? 25 : 60),
    redisEvery: env('SOAK_REDIS_SECONDS', quick ? 40 : 120),
    gapMs: env('SOAK_MOVE_GAP_MS', 1000),
    npcs: env('SOAK_NPCS', 200),
    leaseTtl: env('SOAK_LEASE_TTL', 2),
    quietEvery: env('SOAK_QUIET_SECONDS', quick ? 30 : 150),
    snapshotsOn: process.env.SOAK_SNAPSHOTS === '1',
    keepSnapshots: process.env.SOAK_KEEP_SNAPSHOTS || null,
    churnOn: process.env.SOAK_CHURN_WORLDS !== '0',
    pgEvery: env('SOAK_PG_SECONDS', quick ? 50 : 180),
    churnGapMs: env('SOAK_CHURN_GAP_MS', 500),
    churnLifeMs: env('SOAK_CHURN_LIFE_MS', 2000),
    churnNpcs: env('SOAK_CHURN_NPCS', 20),
    churnPlayersN: env('SOAK_CHURN_PLAYERS', 3),
  };
};

/** The settings as the results record them (`settings`), with the worlds of the run. */
export const recordedSettings = (s: SoakClusterSettings, worlds: readonly string[]): Record<string, unknown> => ({
  seconds: s.seconds,
  warmup: s.warmup,
  sampleEvery: s.sampleEvery,
  playersN: s.playersN,
  botsN: s.botsN,
  npcs: s.npcs,
  leaseTtl: s.leaseTtl,
  killEvery: s.killEvery,
  redisEvery: s.redisEvery,
  gapMs: s.gapMs,
  worlds,
  churnOn: s.churnOn,
  churnGapMs: s.churnGapMs,
  churnLifeMs: s.churnLifeMs,
  churnNpcs: s.churnNpcs,
  churnPlayersN: s.churnPlayersN,
  pgEvery: s.pgEvery,
});
