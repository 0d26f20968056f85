/**
 * What one bots process is asked to do ({@link FleetOptions}: src/bots/bot-fleet.ts `runFleet`), and
 * the phases it goes through ({@link FleetPhase}). The coordinator of `--procs N` sends the
 * serialisable part of it to each child (src/bots/procs.ts).
 */
import type { BotTransport } from './bot-conn.js';
import type { BotScenario } from './scenarios.js';
import type { RunPhase } from './stop.js';

/** One bots process's share of a run (docs/BOTS.md "Options"). */
export interface FleetOptions {
  /** ws:// URL of the game server. */
  url: string;
  worldId: string;
  /** Bots started while ramping (the steady population). */
  clients: number;
  /** Seconds of measured load (after everyone joined and a warm-up). */
  durationSeconds: number;
  /** Seconds of warm-up (not measured) after the last join. Default 1. */
  warmupSeconds?: number;
  /** Inputs per second per bot (random walk; the crowd scenario always sends 1 per second). Default 2. */
  inputHz?: number;
  /** purchase-storm: purchases per second per bot. Default 0. */
  purchaseHz?: number;
  /** Connections opened concurrently while ramping up. Default 100. */
  connectConcurrency?: number;
  /**
   * Every Nth bot (bot 0, N, 2N, ...) is a full client (decodes every snapshot and keeps an
   * entity view checked for consistency); the others are light bots (read only the snapshot
   * head: latency and ack are measured the same way). 1 = all full. Default 1.
   */
  fullDecodeEvery?: number;
  /** Scenario played (src/bots/scenarios.ts). Default steady. */
  scenario?: BotScenario;
  /** influx: bots that join within 1 s at the start of the measured window. */
  influxClients?: number;
  /** churn: bots leaving (and as many joining) per second during the measured window. */
  churnPerSecond?: number;
  /** Seed of the bots' generators (random walk, crowd inputs, churn picks). Default 1. */
  seed?: number;
  /** Global index of this process's first bot (names and per-bot seeds). Default 0. */
  firstBot?: number;
  /** Index of this process among the bots processes. Default 0. */
  proc?: number;
  /** Progress of this process (ramp: bots joined; measure: seconds elapsed). */
  onProgress?: (phase: FleetPhase, done: number, total: number) => void;
  /** Awaited after the ramp: the coordinator resolves it once every process has ramped. */
  ramped?: () => Promise<void>;
  /**
   * Token of every bot's hello (session class, docs/PROTOCOL.md). Default ''. `''` and a bare class
   * name (`bot`, `spectator`) name no player; any other token is one identity, one player per world.
   */
  token?: string;
  /**
   * Share (0..1) of the bots that are idle players: joined and reading snapshots but sending no
   * input (a player in a menu or away). Bot i is idle when ⌊(i+1)·share⌋ > ⌊i·share⌋, which
   * spreads them evenly over the indexes. Only player-class tokens; ignored otherwise. Default 0.
   */
  idleShare?: number;
  /**
   * Share (0..1) of all the bots that join as spectators (hello token `spectator`), spread
   * evenly like `idleShare` (which then applies to the remaining player bots), so one process
   * measures every group over the same window. They send no input. Only with a player-class
   * token. Default 0.
   */
  spectatorShare?: number;
  /** Join timeout, wall ms. Default 15,000. */
  joinTimeoutMs?: number;
  /**
   * `raw` (default): ws:// sockets on the bots' own minimal client (src/bots/raw-ws.ts: one shared
   * read buffer, frames read in place); `ws`: the ws package (always used for wss://).
   */
  transport?: BotTransport;
  /**
   * Follow a move of the world (closed 4014 after a redirect, 4015, 1001): reconnect and resume
   * (src/bots/follow-moves.ts). Default true; false: such a bot ends, counted in `disconnects`.
   */
  followMoves?: boolean;
  /** With `followMoves`: also follow a connection lost without a close frame (1006: a crashed instance). Default false. */
  followLost?: boolean;
  /**
   * At the end of the run every bot leaves (the protocol's `leave`: the server removes its player at its
   * next step, never parked). Default true; false: the bots just close their sockets, so the server parks
   * their players for `resumeGraceSeconds` (the behaviour before `leave` existed; docs/BOTS.md).
   */
  leaveAtEnd?: boolean;
  /** Aborted (reason: a signal's name): stop ramping, end the window now (none if not reached), report it (`stopped`). */
  stop?: AbortSignal;
}

/** A bots process's phase: ramp, warm-up, measured window. */
export type FleetPhase = RunPhase;
