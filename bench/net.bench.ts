/**
 * Suite `net` (issue 12):
 * 1. Snapshot encoding per step for 1,000 and 5,000 sessions each seeing ~50 entities (no
 *    sockets), and msgpackr's `pack` of the same messages, for the ratio; interest queries; the
 *    whole replicate phase (stub transport) at a 20 Hz and a 60 Hz step (`snapshotHz` 20).
 * 2. End to end (bench/net-e2e.ts): the server pinned to CPU 0 (taskset), bots on CPU 1,
 *    20 Hz, 1,000 / 2,500 / 5,000 sessions on the default world (10,000 NPCs) and on the crowd
 *    scenario (docs/SCENARIOS.md); 10,000 sessions (a quarter spectators) on the default world:
 *    latency p50/p99/p99.9, snapshots and bytes per client per second, server and bots CPU,
 *    server µs per session-snapshot next to the transport floor measured in the same run
 *    (bare ws.send and uWS publish of same-sized frames to the same sockets), disconnects.
 *    And 10,000 sessions in a realistic mix (issue 12): 2,500 active players (moving), 5,000
 *    idle players (joined, reading snapshots, no input: menus, AFK) and 2,500 spectators, with
 *    per-group latency p50/p99/p99.9 and snapshots/s (`e2e10000Mix`), next to the all-active
 *    run (7,500 moving players + 2,500 spectators, `e2e10000`), which is kept: it is the harder
 *    figure (docs/NET-SCALE.md).
 * 3. Idle capacity: 50,000 idle sessions in one process, memory per session.
 *
 * `WT_NET_ONLY=10k npm run bench -- net` runs only the two 10,000-session runs (pinned as
 * above) and writes bench/results/net-10k.json (the full suite's net.json is left as it is);
 * `WT_NET_ONLY=10k-mix` runs only the mixed one; `WT_NET_ONLY=5k` only the 5,000-session
 * default-world run (bench/results/net-5k.json); with `WT_NET_STORE=1` that run four times, without
 * and with the embedded SQLite store `npm start` uses (bench/results/net-5k-store.json). `WT_NET_AB=spread1` (or `spread2`, other order)
 * adds the same run with the active players' overload spread off; `WT_NET_PROBE_EVERY=10` probes
 * the transport floor on a tenth of the sockets (bench/net-e2e.ts). Add `--quick` for a small smoke of the path;
 * `WT_NET_CLIENTS=3000` sizes the "10k" runs differently (same shares); `WT_NET_AB=1` runs the mix
 * with the overload floors off first (A/B in one sitting).
 * `WT_NET_ONLY=bots` measures the load generator's CPU per snapshot against a fixed-rate sender,
 * ws package vs the bots' raw transport, at 2,000 and 10,000 sockets (or `WT_NET_CLIENTS`)
 * (bench/net-bots-cost.ts, bench/results/net-bots.json; net-bots-<N>.json with WT_NET_CLIENTS=N).
 * `WT_NET_ONLY=regions` compares exact snapshots with shared region frames (net option
 * `viewMode`, docs/NET-SCALE.md "Region frames"): the replicate phase in process, then end to end
 * at `WT_NET_SIZES` (default 1000,2500,5000) on `WT_NET_SCENARIOS` (default,crowd), the two modes
 * back to back per size; writes bench/results/net-regions.json.
 * `WT_NET_ONLY=idle` runs only the idle capacity (bench/net-idle.ts, bench/results/net-idle.json).
 * `WT_NET_ONLY=floor-split` splits the transport floor (bench/net-floor-split.ts, its WT_FLOOR_* env;
 * bench/results/net-floor-split.json).
 * `WT_NET_NETNS=<name>` (after `bash bench/netns-setup.sh <name>`, as root) runs any of these with
 * the bots in that network namespace behind a veth pair, so their TCP receive path runs on their
 * own core instead of the server's (bench/net-netns.ts); result files get a `-netns` suffix.
 * `WT_NET_ONLY=placement` (with `WT_NET_NETNS`) compares the two placements end to end, ABBA per
 * size (`WT_NET_SIZES`, default 2500,5000), into bench/results/net-placement.json.
 */
import type { Suite, SuiteContext } from './harness.js';
import { botsCost } from './net-bots-cost.js';
import { pinServer } from './net-bots-proc.js';
import { type E2eOptions, e2e } from './net-e2e.js';
import { floorSplitInSuite } from './net-floor-split.js';
import { idleCapacity } from './net-idle.js';
import { encodingBench, queryBench, replicatePhaseBench } from './net-in-process.js';
import { OVERLOAD_OFF, replicateMixPhase } from './net-mix-phase.js';
import { describePlacement, LOOPBACK, type NetPlacement, readNetPlacement } from './net-netns.js';

/** `WT_NET_ONLY`: '' (whole suite), '10k' (both 10k runs), '10k-mix' (the mixed one only). */
const ONLY = process.env.WT_NET_ONLY ?? '';
/**
 * `WT_NET_AB=1`: the "10k" runs first run the mix with the overload floors off (net
 * `overloadIdlePlayerMinHz` / `overloadNonPlayerMinHz` 10000, `overloadReplicateBudgetMs` 60000:
 * the normal floors and budget only), recorded
 * as `e2e<N>MixNoOverload`, then as usual (defaults: 1 Hz / 0.25 Hz under sustained overload);
 * `WT_NET_AB=2` runs the two in the other order (to balance the machine's drift between them).
 * Either first runs the replicate phase alone on the mix (bench/net-mix-phase.ts), off then on;
 * `WT_NET_ONLY=mix-phase` runs only that (twice each), into bench/results/net-mix-phase.json.
 */
const AB = process.env.WT_NET_AB ?? '';
if (AB !== '' && AB !== '1' && AB !== '2' && AB !== 'spread1' && AB !== 'spread2') {
  console.error(`WT_NET_AB must be 1, 2, spread1 or spread2 (got ${JSON.stringify(AB)})`);
  process.exit(2);
}
/**
 * `WT_NET_AB=spread1`: the "10k" runs first run the mix with the active players' overload spread
 * off (net `overloadActivePlayerMinHz` 10000: active players at the step rate whatever it costs,
 * the policy before the spread), recorded as `e2e<N>MixNoSpread`, then as usual (default spread:
 * down to 10 Hz); `spread2` runs the two in the other order (docs/NET-SCALE.md "Active-player spread").
 */
const SPREAD_OFF = { overloadActivePlayerMinHz: 10_000 };
/**
 * `WT_NET_OPTS`: JSON net options merged into the "10k" mix runs and the `5k` run (both sides of an
 * A/B; the A/B's own options win), e.g. `{"overloadLateFactor":0,"overloadActiveShare":0}` to force
 * the spread at a size whose loop is on time, or `{"activeInputMs":10000}` to count every bot of
 * the 5k run as an active player (their random walk leaves ~1 in 16 without an input for 2 s).
 */
const EXTRA_NET = ((): Record<string, unknown> | undefined => {
  const raw = process.env.WT_NET_OPTS;
  if (!raw) return undefined;
  try {
    const v: unknown = JSON.parse(raw);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {}
  console.error(`WT_NET_OPTS must be a JSON object (got ${JSON.stringify(raw)})`);
  process.exit(2);
})();
/**
 * `WT_NET_STORE=1` (with `WT_NET_ONLY=5k`): the 5,000-session run four times, without a durable store
 * and with the embedded SQLite store `npm start` uses (none, SQLite, SQLite, none), into one record.
 */
const STORE_AB = process.env.WT_NET_STORE === '1';

/** `WT_NET_CLIENTS`: size of the "10k" runs instead of 10,000 (e.g. a mid-size check of the same mix). */
const SIZE = Number(process.env.WT_NET_CLIENTS ?? 0);
if (!Number.isInteger(SIZE) || SIZE < 0 || SIZE > 20_000) {
  console.error(`WT_NET_CLIENTS must be an integer 0..20000 (got ${JSON.stringify(process.env.WT_NET_CLIENTS)})`);
  process.exit(2);
}
if (!['', '10k', '10k-mix', '5k', 'regions', 'mix-phase', 'bots', 'floor-split', 'placement', 'idle'].includes(ONLY)) {
  console.error(
    `WT_NET_ONLY must be 10k, 10k-mix, 5k, mix-phase, regions, bots, floor-split, placement or idle (got ${JSON.stringify(ONLY)})`,
  );
  process.exit(2);
}

/** The 10,000-session mix's e2e options: 25 % active, 50 % idle players, 25 % spectators, one bots process; `more` on top. */
const mixOptions = (clients: number, seconds: number, pin: ReturnType<typeof pinServer>, more: Partial<E2eOptions> = {}): E2eOptions => ({
  clients,
  seconds,
  scenario: 'default',
  pin,
  spectatorShare: 0.25,
  idleShare: 0.5,
  oneBotsProcess: true,
  ...more,
});

/**
 * The 10,000-session runs: the realistic mix (25% active, 50% idle players, 25% spectators), then
 * (unless `mixOnly`) the all-active one (75% moving players, 25% spectators).
 */
const tenK = async (ctx: SuiteContext, pin: ReturnType<typeof pinServer>, secs: number, mixOnly: boolean): Promise<void> => {
  const big = SIZE > 0 ? SIZE : ctx.quick ? 400 : 10_000;
  const mix = (net?: E2eOptions['net']): E2eOptions =>
    mixOptions(big, secs, pin, net || EXTRA_NET ? { net: { ...EXTRA_NET, ...net } } : {});
  // The A/B's "off" run: the normal floors and budget only (the policy before the overload floors).
  const off = async (): Promise<void> => {
    ctx.log(`e2e default: ${big} clients, the mix, overload floors OFF (A/B), 20 Hz, ${secs} s`);
    ctx.record(`e2e${big}MixNoOverload`, await e2e(ctx, mix(OVERLOAD_OFF)));
  };
  const spreadOff = async (): Promise<void> => {
    ctx.log(`e2e default: ${big} clients, the mix, active-player spread OFF (A/B), 20 Hz, ${secs} s`);
    ctx.record(`e2e${big}MixNoSpread`, await e2e(ctx, mix(SPREAD_OFF)));
  };
  if (AB === '1' || AB === '2') {
    // The replicate phase alone first (no sockets): what the overload floors save the server.
    for (const on of [false, true])
      ctx.record(`replicatePhaseMix${big}Overload${on ? 'On' : 'Off'}`, await replicateMixPhase(ctx, big, on));
  }
  if (AB === '1') await off();
  if (AB === 'spread1') await spreadOff();
  ctx.log(`e2e default: ${big} WebSocket clients: 25% active players, 50% idle players (no input), 25% spectators, 20 Hz, ${secs} s`);
  ctx.record(`e2e${big}Mix`, await e2e(ctx, mix()));
  if (AB === '2') await off();
  if (AB === 'spread2') await spreadOff();
  if (mixOnly) return;
  ctx.log(
    `e2e default: ${big} WebSocket clients, a quarter of them spectators (second bots process), every player moving, 20 Hz, ${secs} s`,
  );
  ctx.record(`e2e${big}`, await e2e(ctx, { clients: big, seconds: secs, scenario: 'default', pin, spectatorShare: 0.25 }));
};

/** `WT_NET_SIZES`: comma-separated session counts of the regions comparison (default 1000,2500,5000). */
const REGION_SIZES = (process.env.WT_NET_SIZES ?? '1000,2500,5000').split(',').filter(Boolean).map(Number);
/** `WT_NET_MIX=1`: the regions comparison also runs the 10,000-session mix (`WT_NET_CLIENTS` sizes it) in both modes. */
const REGION_MIX = process.env.WT_NET_MIX === '1';
/** `WT_NET_SCENARIOS`: default,crowd (default both) for the regions comparison. */
const REGION_SCENARIOS = (process.env.WT_NET_SCENARIOS ?? 'default,crowd').split(',') as ('default' | 'crowd')[];

/**
 * `WT_NET_ONLY=regions`: exact snapshots vs shared region frames (net option `viewMode`,
 * docs/NET-SCALE.md "Region frames"), the two modes back to back at each size so they share the
 * machine's load: the replicate phase without sockets, then end to end. Writes
 * bench/results/net-regions.json.
 */
const regionsComparison = async (ctx: SuiteContext, pin: ReturnType<typeof pinServer>): Promise<void> => {
  for (const mode of ['exact', 'regions'] as const) await replicatePhaseBench(ctx, 5000, 20, mode);
  const sizes = ctx.quick ? [200] : REGION_SIZES;
  const secs = ctx.quick ? 3 : 10;
  for (const scenario of REGION_SCENARIOS) {
    for (const clients of sizes) {
      for (const viewMode of ['exact', 'regions'] as const) {
        ctx.log(`e2e ${scenario} ${viewMode}: ${clients} WebSocket clients (bots process), 20 Hz, ${secs} s`);
        const name = `e2e${scenario === 'crowd' ? 'Crowd' : ''}${clients}${viewMode === 'regions' ? 'Regions' : 'Exact'}`;
        ctx.record(name, await e2e(ctx, { clients, seconds: secs, scenario, pin, viewMode }));
      }
    }
  }
  if (REGION_MIX) {
    const big = SIZE > 0 ? SIZE : ctx.quick ? 400 : 10_000;
    for (const viewMode of ['exact', 'regions'] as const) {
      ctx.log(`e2e default ${viewMode}: ${big} clients, 25% active, 50% idle players, 25% spectators, 20 Hz, ${secs} s`);
      ctx.record(`e2e${big}Mix${viewMode === 'regions' ? 'Regions' : 'Exact'}`, await e2e(ctx, mixOptions(big, secs, pin, { viewMode })));
    }
  }
  ctx.record('note', 'WT_NET_ONLY=regions: exact vs regions back to back per size (same sitting); loadAverage per run.');
};

/**
 * `WT_NET_DEAF=<s>` (the `5k` and `placement` runs): the players' bots process is stopped for the
 * first s seconds of the window, which then closes (bench/net-e2e.ts `deafSeconds`): the server's
 * capacity with no client competing for a core. Runs are recorded with a `Deaf` suffix, result
 * files with `-deaf`.
 */
const DEAF = Number(process.env.WT_NET_DEAF ?? 0);
if (!Number.isInteger(DEAF) || DEAF < 0 || DEAF > 9) {
  console.error(
    `WT_NET_DEAF must be an integer 0..9 seconds, shorter than the 10 s window (got ${JSON.stringify(process.env.WT_NET_DEAF)})`,
  );
  process.exit(2);
}
const DEAF_OPT = DEAF > 0 ? { deafSeconds: DEAF } : {};
const DEAF_NAME = DEAF > 0 ? 'Deaf' : '';

/** `WT_NET_SIZES` of the placement comparison (default 2500,5000). */
const PLACEMENT_SIZES = (process.env.WT_NET_SIZES ?? '2500,5000').split(',').filter(Boolean).map(Number);

/**
 * `WT_NET_ONLY=placement` (needs `WT_NET_NETNS`): the default world end to end with the bots on
 * loopback and behind the veth pair (bench/net-netns.ts), in the order loopback, veth, veth,
 * loopback at each size so both share the sitting's drift. Records `e2e<N>Loopback1`, `e2e<N>Veth1`,
 * `e2e<N>Veth2`, `e2e<N>Loopback2`; writes bench/results/net-placement.json.
 */
const placementComparison = async (ctx: SuiteContext, pin: ReturnType<typeof pinServer>, veth: NetPlacement): Promise<void> => {
  const sizes = ctx.quick ? [200] : PLACEMENT_SIZES;
  const secs = ctx.quick ? 3 : 10;
  for (const clients of sizes) {
    const seen = { loopback: 0, veth: 0 };
    for (const which of ['loopback', 'veth', 'veth', 'loopback'] as const) {
      const k = ++seen[which];
      ctx.log(`e2e default: ${clients} WebSocket clients, bots on ${which} (${k}), 20 Hz, ${secs} s`);
      const place = which === 'veth' ? veth : LOOPBACK;
      ctx.record(
        `e2e${clients}${which === 'veth' ? 'Veth' : 'Loopback'}${DEAF_NAME}${k}`,
        await e2e(ctx, { clients, seconds: secs, scenario: 'default', pin, place, ...DEAF_OPT }),
      );
    }
  }
  ctx.record('note', 'WT_NET_ONLY=placement: loopback vs veth (bench/net-netns.ts) ABBA per size, same sitting; loadAverage per run.');
};

/** Result file of each `WT_NET_ONLY` (bench/results/<name>.json); `10k` and `10k-mix` write net-10k. */
const SUITE_NAMES: Record<string, string> = {
  regions: 'net-regions',
  'mix-phase': 'net-mix-phase',
  '5k': 'net-5k',
  bots: 'net-bots',
  'floor-split': 'net-floor-split',
  placement: 'net-placement',
  idle: 'net-idle',
};

/** `WT_NET_NETNS` (bench/net-netns.ts): the bots behind a veth pair; result files get a `-netns` suffix. */
const PLACE = readNetPlacement();
if (typeof PLACE === 'string') {
  console.error(PLACE);
  process.exit(2);
}

/**
 * The result file's name: the run's (`SUITE_NAMES`), then `-<N>` for a sized bots run, `-netns`
 * behind the veth pair (the placement comparison has both in one file), `-deaf` for deaf clients and
 * `-store` for the store comparison (WT_NET_STORE).
 */
const suiteName = (): string => {
  let name = ONLY === '' ? 'net' : (SUITE_NAMES[ONLY] ?? 'net-10k');
  if (ONLY === 'bots' && SIZE > 0) name += `-${SIZE}`;
  if (PLACE.netns && ONLY !== 'placement') name += '-netns';
  if (DEAF > 0) name += '-deaf';
  if (STORE_AB && ONLY === '5k') name += '-store';
  return name;
};

const suite: Suite = {
  name: suiteName(),
  async run(ctx) {
    if (ONLY === 'floor-split') return floorSplitInSuite(ctx);
    const pin = pinServer();
    ctx.record('pinning', pin);
    ctx.record('network', describePlacement(PLACE));
    if (ONLY === 'placement') {
      if (!PLACE.netns) {
        console.error('WT_NET_ONLY=placement needs WT_NET_NETNS (bash bench/netns-setup.sh wtb, then WT_NET_NETNS=wtb)');
        process.exit(2);
      }
      await placementComparison(ctx, pin, PLACE);
      return;
    }
    if (ONLY === 'regions') {
      await regionsComparison(ctx, pin);
      return;
    }
    if (ONLY === 'idle') {
      const idle = ctx.quick ? 2000 : 50_000;
      ctx.record(`idle${idle}`, await idleCapacity(ctx, idle, pin));
      return;
    }
    if (ONLY === 'bots') {
      const sizes = SIZE > 0 ? [SIZE] : ctx.quick ? [400] : [2000, 10_000];
      for (const n of sizes) await botsCost(ctx, pin, n, ctx.quick ? 3 : 10, PLACE);
      ctx.record(
        'note',
        'WT_NET_ONLY=bots: bots CPU per snapshot against a fixed-rate sender (bench/net-bots-cost.ts), ws vs raw ABBA; loadAverage per run.',
      );
      return;
    }
    if (ONLY === 'mix-phase') {
      // The replicate phase alone on the mix, normal vs overload floors vs the floors and the
      // active players' spread, twice each (alternating).
      const big = SIZE > 0 ? SIZE : ctx.quick ? 400 : 10_000;
      for (const round of [1, 2])
        for (const [on, spread] of [
          [false, false],
          [true, false],
          [true, true],
        ] as const)
          ctx.record(
            `replicatePhaseMix${big}Overload${on ? 'On' : 'Off'}${spread ? 'Spread' : ''}${round}`,
            await replicateMixPhase(ctx, big, on, spread),
          );
      return;
    }
    if (ONLY === '5k') {
      // The suite's 5,000-session default-world run alone (every session a moving player), with
      // WT_NET_AB=spread1|spread2 the active players' overload spread off then on (or on then off).
      const clients = SIZE > 0 ? SIZE : ctx.quick ? 200 : 5000;
      const secs = ctx.quick ? 3 : 10;
      const run = async (off: boolean): Promise<void> => {
        ctx.log(`e2e default: ${clients} WebSocket clients, every one a moving player, spread ${off ? 'OFF' : 'on'}, 20 Hz, ${secs} s`);
        ctx.record(
          `e2e${clients}${off ? 'NoSpread' : ''}${DEAF_NAME}`,
          await e2e(ctx, {
            clients,
            seconds: secs,
            scenario: 'default',
            pin,
            ...DEAF_OPT,
            ...(off || EXTRA_NET ? { net: { ...EXTRA_NET, ...(off ? SPREAD_OFF : {}) } } : {}),
          }),
        );
      };
      if (STORE_AB) {
        // WT_NET_STORE=1: the same run without a store and with the embedded SQLite store, alternating.
        const storeRuns: unknown[] = [];
        for (const store of [false, true, true, false]) {
          ctx.log(
            `e2e default: ${clients} WebSocket clients, every one a moving player, ${store ? 'SQLite store' : 'no store'}, 20 Hz, ${secs} s`,
          );
          const figures = await e2e(ctx, {
            clients,
            seconds: secs,
            scenario: 'default',
            pin,
            ...(store ? { store: 'sqlite' as const } : {}),
          });
          storeRuns.push(figures);
        }
        ctx.record(`e2e${clients}StoreAB`, storeRuns);
        return;
      }
      if (AB === 'spread1') await run(true);
      await run(false);
      if (AB === 'spread2') await run(true);
      return;
    }
    if (ONLY) {
      await tenK(ctx, pin, ctx.quick ? 3 : 10, ONLY === '10k-mix');
      ctx.record('note', 'WT_NET_ONLY run: only the 10,000-session e2e runs (see bench/net.bench.ts); loadAverage per run.');
      return;
    }
    // Encoding and query micro-benches first (pinned, before any socket exists).
    await encodingBench(ctx, 1000);
    await encodingBench(ctx, 5000);
    await queryBench(ctx);
    await replicatePhaseBench(ctx, 5000, 20);
    await replicatePhaseBench(ctx, 5000, 60);
    const sizes = ctx.quick ? [200] : [1000, 2500, 5000];
    const secs = ctx.quick ? 3 : 10;
    for (const scenario of ['default', 'crowd'] as const) {
      for (const clients of sizes) {
        ctx.log(`e2e ${scenario}: ${clients} WebSocket clients (bots process), 20 Hz, ${secs} s`);
        ctx.record(`e2e${scenario === 'crowd' ? 'Crowd' : ''}${clients}`, await e2e(ctx, { clients, seconds: secs, scenario, pin }));
      }
    }
    await tenK(ctx, pin, secs, false);
    const idle = ctx.quick ? 2000 : 50_000;
    ctx.log(`idle capacity: ${idle} idle sessions in one process`);
    ctx.record(`idle${idle}`, await idleCapacity(ctx, idle, pin));
    ctx.record(
      'note',
      '2-core machine: each run records its loadAverage (start, end); compare figures only across runs with a like load, ratios within a run.',
    );
  },
};
export default suite;
