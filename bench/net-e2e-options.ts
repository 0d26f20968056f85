/**
 * The options of one end-to-end run of suite `net` (bench/net-e2e.ts `e2e`): its size, scenario and
 * pinning, the mix of bots (spectators, idle players, one or two bots processes), the server's net
 * options, where the bots run, deaf clients, the bots' transport and diagnostic hooks.
 */
import type { NetConfig } from '../src/net/net-config.js';
import type { SimWorld } from '../src/world/sim-world.js';
import type { Pinning } from './net-bots-proc.js';
import type { NetPlacement } from './net-netns.js';

/** Options of one end-to-end run. */
export interface E2eOptions {
  clients: number;
  seconds: number;
  scenario: 'default' | 'crowd';
  pin: Pinning;
  /** Share of bots (by name index) joined as spectators (0 = all players). */
  spectatorShare?: number;
  /**
   * Share of all bots that are idle players (joined, reading snapshots, no input; bots
   * `--idle-share`), taken from the players' bots process. 0 = every player moves.
   */
  idleShare?: number;
  /**
   * Every group in one bots process (`--spectator-share`, `--idle-share`): spectators join with
   * the players and are measured over the same window. Default false: spectators in a second
   * bots process that joins first (the method of the earlier all-active runs).
   */
  oneBotsProcess?: boolean;
  /** Net option `viewMode` (default 'exact'); 'regions' = shared region frames (docs/NET-SCALE.md). */
  viewMode?: 'exact' | 'regions';
  /** Net option `regionMaxEntitiesFactor` (regions mode). */
  regionMaxEntitiesFactor?: number;
  /** Further net options of the server (e.g. the overload floors of an A/B run). */
  net?: Partial<NetConfig>;
  /** Where the bots run: loopback (default) or a network namespace behind a veth pair (bench/net-netns.ts). */
  place?: NetPlacement;
  /**
   * Deaf clients (server capacity): stop the players' bots process (SIGSTOP) for this many
   * seconds as the window opens, and close the window when it resumes. The server keeps sending;
   * the kernel queues the frames in the clients' socket buffers (≈ 2.5 KB/s per socket here), so
   * its figures (CPU per snapshot, snapshots/s, `activePlayersSentMs`) are what it does with no
   * client competing for a core. The net option `activeInputMs` is raised so stopped players stay
   * active players. The bots' own figures are not a measurement in this mode.
   */
  deafSeconds?: number;
  /**
   * The game server's durable store: 'sqlite' = the embedded SQLite store `npm start` uses, in a
   * temporary data directory (session records at every join, players' positions saved while live).
   * Default: none, as in every run before 2026-12-04.
   */
  store?: 'sqlite';
  /** Bots `--transport` (default raw: the bots' own ws:// client; `ws`: the ws package). */
  botsTransport?: 'raw' | 'ws';
  /** Bots `--full-every` (default 10: every 10th bot decodes in full and checks its entity view). */
  fullEvery?: number;
  /**
   * Diagnostic hooks (bench/net-e2e-split.ts): `afterStep` runs first in every step's callback, before
   * the floor probe (`recording`: inside the measured window); `report` adds its figures as `hooks`.
   */
  hooks?: {
    afterStep(world: SimWorld, recording: boolean): void;
    report(): Record<string, unknown>;
  };
}
