/**
 * A near tiering pass (src/tiers/tier-near.ts) spread over several steps, so no step pays for a
 * whole pass. Each sliced phase does 1/parts of its work per step:
 *
 *   step:   1 .. S        S+1 .. S+P        S+P+1   S+P+2    S+P+3 .. S+P+2+N
 *           scan players  place candidates  caps    commit   next near set
 *           (S = nearScanParts, P = nearPlaceParts, N = nearNextParts; 7 + 5 + 1 + 1 + 3 by default;
 *           S grows up to 2 × nearScanParts where the players' discs hold many NPCs: {@link scanParts};
 *           the caps take two steps where the tier lists are long: `npcSim.nearCapsSplitMin`)
 *
 * The caps (tiers 0..2 over the tier lists, the heaviest part: ∝ ambient candidates) and the
 * commit (tiers, due-heap entries) run in two steps; between them only the scratch lists hold
 * the capped tiers, so the result is that of a one-shot pass.
 *
 * Scans see each player where it is at its own slice's step and NPCs where they are then (the
 * scans check current positions); the players are a snapshot taken at the pass start (one who
 * leaves before its slice offers nothing, one who joins waits for the next pass); tiers change only at the commit step, all at once, with the
 * caps of a whole pass. Staleness is a few steps: far inside the hysteresis margin (players
 * cross it in seconds). An urgent pass (NPC set, config, pins or zones changed) abandons a
 * running sliced pass ({@link abandonNearSlices}) and runs a whole full pass; the full pass
 * leaves the scratch marked dirty, so the next near pass starts clean.
 *
 * Cost per step: ∝ (players × NPCs per disc) / S, or (candidates) / P or / N, or the caps and
 * commit of the upper tiers (∝ NPCs near players, not the population).
 */
import { query } from 'bitecs';
import { beginPlace, beginScan, capsNear, commitNear, endNear, nextNearRange, placeRange, scanPlayers } from './tier-near.js';
import type { TiersWorld } from './tiers-slot.js';
import { refreshUpper } from './coarse-movement.js';
import { playersPerDisc } from './npc-nearest.js';

/**
 * `npcSim.nearPhase` values (saved in checkpoints). `caps` keeps the value 3 of the former
 * one-step caps + commit, so a checkpoint taken before that step was split continues right.
 */
export const NearPhase = { none: 0, scan: 1, place: 2, caps: 3, next: 4, commit: 5 } as const;

const per = (total: number, parts: number): number => Math.max(1, Math.ceil(total / Math.max(1, parts)));

/** At most this many times `nearScanParts` scan steps (staleness: a pass's tiers change at its commit). */
const NEAR_SCAN_MAX_FACTOR = 2;

/**
 * Steps of the running pass's player scans: `nearScanParts`, or more where the expected candidate
 * checks (players × NPCs per disc of radius R, from the grid's mean density) exceed
 * `nearScanParts` × `npcSim.nearScanChecks` (src/tiers/tier-state.ts `NEAR_SCAN_CHECKS_PER_SLICE`) — at 100k NPCs + 1k players on the default
 * density (≈ 730 NPCs per disc) 10 steps instead of 7, at 1M NPCs (≈ 120 per disc) unchanged. A
 * function of the pass's player count, the grid (not swapped while a scan runs) and the config,
 * so every slice of a pass (and a pass continued from a checkpoint) slices the same way.
 */
export const scanParts = (world: TiersWorld, players: number): number => {
  const s = world.npcSim;
  const base = Math.max(1, s.nearScanParts);
  const g = world.spatial.npcGrid;
  const tiers = world.config.simulation.tiers;
  const R = Math.max(tiers.detailed.radius, tiers.active.radius, tiers.ambient.radius) + world.config.simulation.tierHysteresis;
  const cs = 1 / g.inv;
  const area = g.cols * g.rows * cs * cs;
  const checks = area > 0 ? (players * g.n * Math.PI * R * R) / area : 0;
  return Math.min(base * NEAR_SCAN_MAX_FACTOR, Math.max(base, Math.ceil(checks / Math.max(1, s.nearScanChecks))));
};

/**
 * Cost of a slot's first offer in a pass relative to a player's other scan work: a first offer
 * always reads the NPC's position (a cache miss by entity id), a later one mostly skips it
 * (src/tiers/tier-near.ts `scanDiscNear`). Measured at 100k NPCs + 1k players: the first of 10
 * even scan slices cost ≈ 2.8 ms, the later ones ≈ 1.3.
 */
const SCAN_FIRST_OFFER_WEIGHT = 1.75;

/** Fewest expected players per NPC disc from which scan slices are sized by {@link scanWork}. */
const SCAN_WEIGHTED_MIN_LAMBDA = 2;

/**
 * Work of scanning the first `i` of `n` players, λ expected players per NPC disc: a unit per player,
 * plus the first offers — after `i` random players a slot was offered with probability
 * 1 − e^(−λ i / n), and a player brings `λ`'s share of them.
 */
const scanWork = (i: number, n: number, lam: number): number => i + SCAN_FIRST_OFFER_WEIGHT * (n / lam) * (1 - Math.exp((-lam * i) / n));

/**
 * End of the scan slice that starts at player `from` of `n` (`parts` slices): equal slices of
 * players, or — where every NPC disc holds many players (λ ≥ {@link SCAN_WEIGHTED_MIN_LAMBDA}) —
 * equal slices of {@link scanWork}, so the first slices (mostly first offers) take fewer players
 * and no step of the scan costs twice another. A function of (from, n, the grid, the config):
 * a pass continued from a checkpoint slices the same way; never more than `parts` slices.
 */
const scanSliceEnd = (world: TiersWorld, from: number, n: number, parts: number): number => {
  const tiers = world.config.simulation.tiers;
  const R = Math.max(tiers.detailed.radius, tiers.active.radius, tiers.ambient.radius) + world.config.simulation.tierHysteresis;
  const lam = playersPerDisc(world, n, R);
  if (!(lam >= SCAN_WEIGHTED_MIN_LAMBDA)) return Math.min(n, from + per(n, parts));
  const target = scanWork(from, n, lam) + scanWork(n, n, lam) / Math.max(1, parts);
  let lo = from + 1,
    hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (scanWork(mid, n, lam) >= target) hi = mid;
    else lo = mid + 1;
  }
  return Math.min(n, lo);
};

/**
 * End of the next-near-set slice that starts at candidate `from` of `total` (`parts` slices): the
 * first slice also sorts the upper tiers' members for coarse movement (`refreshUpper`: ≈ 0.8 ms at
 * 100k NPCs, as much as half the candidates), so it takes half an even share and the others split
 * the rest. The next near set does not depend on where slices end.
 */
const nextSliceEnd = (from: number, total: number, parts: number): number => {
  if (parts < 2) return Math.min(total, from + per(total, parts));
  const first = Math.max(1, Math.ceil(total / (2 * parts)));
  if (from === 0) return Math.min(total, first);
  return Math.min(total, from + per(total - first, parts - 1));
};

/** Cap tiers 0–1 and tier 2 in two steps? (`npcSim.nearCapsSplitMin`, src/tiers/tier-state.ts `NEAR_CAPS_SPLIT_MIN`.) */
const capsSplit = (world: TiersWorld): boolean => {
  const c = world.npcSim.tierCount;
  return c[0] + c[1] + c[2] >= world.npcSim.nearCapsSplitMin;
};

/** Cost of placing a touched slot relative to checking a near-set or floored entry. */
const NEAR_UNIT_RATIO = 7;

/** Candidate position (src/tiers/tier-near.ts `placeRange`) of work unit `u`. */
const unitToIndex = (world: TiersWorld, u: number): number => {
  const s = world.npcSim;
  const nt = s.touchedCount;
  const total = nt + s.nearCount + s.floorCount;
  return u <= nt ? u : Math.min(total, nt + (u - nt) * NEAR_UNIT_RATIO);
};

/** Start a sliced near pass (the caller checked `nearPassAllowed`) and run its first slice. */
export const startNearSlices = (world: TiersWorld): void => {
  const s = world.npcSim;
  const t0 = performance.now(); // operational stat, not gameplay
  beginScan(world);
  s.nearPhase = NearPhase.scan;
  s.nearCursor = 0;
  // The players of this pass: a snapshot, so joins and leaves during the scan slices neither
  // shift the slices nor restart them (a joining player is scanned by the next pass).
  const players = query(world, [world.stores.Position, world.stores.Player]);
  if (s.scanList.length < players.length) s.scanList = new Int32Array(Math.max(64, players.length * 2));
  s.scanList.set(players);
  s.nearTotal = players.length;
  s.nearPassMs = performance.now() - t0;
  stepNearSlices(world);
};

/** Run this step's slice of the running near pass. */
export const stepNearSlices = (world: TiersWorld): void => {
  const s = world.npcSim;
  const t0 = performance.now(); // operational stat, not gameplay
  switch (s.nearPhase) {
    case NearPhase.scan: {
      const n = s.nearTotal;
      const end = scanSliceEnd(world, s.nearCursor, n, scanParts(world, n));
      scanPlayers(world, s.scanList, s.nearCursor, end);
      s.nearCursor = end;
      if (end >= n) {
        s.nearPhase = NearPhase.place;
        s.nearCursor = 0;
        s.nearTotal = -1;
      }
      break;
    }
    case NearPhase.place: {
      // Slices in work units: a touched slot costs ~NEAR_UNIT_RATIO times a near-set entry (which
      // is mostly a mark check: the scans placed it already), so units = touched + rest / ratio.
      if (s.nearTotal < 0) {
        const total = beginPlace(world);
        s.nearTotal = s.touchedCount + Math.ceil((total - s.touchedCount) / NEAR_UNIT_RATIO);
      }
      const end = Math.min(s.nearTotal, s.nearCursor + per(s.nearTotal, s.nearPlaceParts));
      placeRange(world, unitToIndex(world, s.nearCursor), unitToIndex(world, end));
      s.nearCursor = end;
      if (end >= s.nearTotal) {
        s.nearPhase = NearPhase.caps;
        s.nearCursor = 0;
      }
      break;
    }
    case NearPhase.caps: {
      // Many upper-tier candidates (the caps cost ∝ the lists): tiers 0–1 this step, tier 2 the
      // next (`nearCursor` = the next tier to cap, saved by checkpoints), else all three now.
      if (s.nearCursor === 0 && capsSplit(world)) {
        capsNear(world, 0, 2);
        s.nearCursor = 2;
        break;
      }
      capsNear(world, s.nearCursor, 3);
      s.nearPhase = NearPhase.commit;
      s.nearCursor = 0;
      break;
    }
    case NearPhase.commit: {
      // finishPass publishes lastTieringMs from its t0: pass the time spent in earlier slices.
      commitNear(world, t0 - s.nearPassMs, true);
      s.nearPhase = NearPhase.next;
      s.nearCursor = 0;
      s.nearTotal = s.candCount;
      break;
    }
    case NearPhase.next: {
      if (s.nearCursor === 0) refreshUpper(world);
      const end = nextSliceEnd(s.nearCursor, s.nearTotal, s.nearNextParts);
      nextNearRange(world, s.nearCursor, end);
      s.nearCursor = end;
      if (end >= s.nearTotal) {
        endNear(world);
        s.nearPhase = NearPhase.none;
        s.nearCursor = 0;
      }
      break;
    }
    default:
      s.nearPhase = NearPhase.none;
  }
  s.nearPassMs += performance.now() - t0;
};

/** Drop a running sliced near pass (an urgent full pass runs instead; it dirties the scratch). */
export const abandonNearSlices = (world: TiersWorld): void => {
  const s = world.npcSim;
  s.nearPhase = NearPhase.none;
  s.nearCursor = 0;
  s.candCount = 0;
};
