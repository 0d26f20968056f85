/**
 * Game-server options: one DEFAULTS object, validated once at construction with messages that
 * name the field (`net.idleTimeoutSeconds must be 0 or 8..960`).
 */
import { optionInvalid } from '../errors.js';

export interface NetConfig {
  /** Largest client frame accepted (bytes); a bigger one closes the socket (uWS: code 1006). */
  maxPayloadLength: number;
  /** uWS per-socket send buffer cap (bytes). A send beyond it is dropped → session closed 4008. */
  maxBackpressure: number;
  /** A session whose socket has more than this buffered (bytes) is skipped for the step. */
  skipBufferedBytes: number;
  /** Consecutive skipped steps after which a slow session is closed with 4008. */
  maxSkippedSteps: number;
  /** uWS idle timeout (wall seconds); 0 disables; 1..7 would abort the process, so refused. */
  idleTimeoutSeconds: number;
  /** permessage-deflate (off by default: snapshots are small and CPU is the budget). */
  compression: boolean;
  /** Most open sockets (joined or not); more are refused at upgrade with HTTP 503. */
  maxConnections: number;
  /** Wall milliseconds a socket may stay open without a valid hello (closed 4003). */
  helloTimeoutMs: number;
  /** Wall seconds a disconnected player stays parked for resume (0 = removed at once). */
  resumeGraceSeconds: number;
  /** Area-of-interest radius of new players (world units). */
  interestRadius: number;
  /** Entities nearer than this (world units) are always replicated every step. */
  detailedRadius: number;
  /** Most entities one session tracks (bounds per-session memory and snapshot size). */
  maxEntitiesPerSession: number;
  /** Wire position units per world unit (1/positionScale = quantum). */
  positionScale: number;
  /** Player speed at full input (world units per simulation second). */
  maxSpeed: number;
  /** Token-bucket refill of client messages (all types) per wall second, per session. */
  messageRatePerSecond: number;
  /** Token-bucket size (messages). */
  messageBurst: number;
  /** Offences (error replies) after which a socket is closed with 4002. */
  maxStrikes: number;
  /** Most intents delivered as events per world per step. */
  maxEventsPerStep: number;
}

/** Defaults (documented in docs/PROTOCOL.md). */
export const NET_DEFAULTS: Readonly<NetConfig> = Object.freeze({
  maxPayloadLength: 1024,
  maxBackpressure: 512 * 1024,
  skipBufferedBytes: 64 * 1024,
  maxSkippedSteps: 40,
  idleTimeoutSeconds: 32,
  compression: false,
  maxConnections: 20_000,
  helloTimeoutMs: 5000,
  resumeGraceSeconds: 30,
  interestRadius: 80,
  detailedRadius: 40,
  maxEntitiesPerSession: 256,
  positionScale: 16,
  maxSpeed: 6,
  messageRatePerSecond: 60,
  messageBurst: 60,
  maxStrikes: 5,
  maxEventsPerStep: 4096,
});

type Rule = [key: keyof NetConfig, min: number, max: number, integer: boolean];
const RULES: readonly Rule[] = [
  ['maxPayloadLength', 64, 16 * 1024 * 1024, true],
  ['maxBackpressure', 1024, 1 << 30, true],
  ['skipBufferedBytes', 0, 1 << 30, true],
  ['maxSkippedSteps', 1, 1_000_000, true],
  ['idleTimeoutSeconds', 0, 960, true],
  ['maxConnections', 1, 1_000_000, true],
  ['helloTimeoutMs', 1, 3_600_000, false],
  ['resumeGraceSeconds', 0, 86_400, false],
  ['interestRadius', 0, 1e7, false],
  ['detailedRadius', 0, 1e7, false],
  ['maxEntitiesPerSession', 1, 65_535, true],
  ['positionScale', 1, 1024, true],
  ['maxSpeed', 0, 1e6, false],
  ['messageRatePerSecond', 0.001, 1e6, false],
  ['messageBurst', 1, 1e6, false],
  ['maxStrikes', 1, 1e6, true],
  ['maxEventsPerStep', 0, 1e7, true],
];

/** Merge `patch` over the defaults and validate; throws `WT_ERR_OPTION_INVALID` listing every problem. */
export const resolveNetConfig = (patch: Partial<NetConfig> = {}): NetConfig => {
  const cfg = { ...NET_DEFAULTS, ...patch } as NetConfig;
  const problems: string[] = [];
  for (const k of Object.keys(patch)) if (!(k in NET_DEFAULTS)) problems.push(`net.${k} is not a known option`);
  for (const [key, min, max, integer] of RULES) {
    const v = cfg[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v)))
      problems.push(`net.${key} must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}`);
  }
  if (typeof cfg.compression !== 'boolean') problems.push('net.compression must be true or false');
  if (cfg.idleTimeoutSeconds > 0 && cfg.idleTimeoutSeconds < 8) problems.push('net.idleTimeoutSeconds must be 0 or 8..960 (uWS aborts the process for 1..7)');
  if (cfg.skipBufferedBytes >= cfg.maxBackpressure) problems.push('net.skipBufferedBytes must be below net.maxBackpressure');
  if (problems.length) throw optionInvalid(problems);
  return cfg;
};
