/**
 * Metrics of a game's facts from outside the step (`deliverToWorld`, src/game/facts.ts) and of its
 * world-time timers (src/game/timers.ts), read at scrape time from each world's game slot. A world
 * whose game declares no facts has no fact series; a world without a game has no timer series. Also
 * the lines game code logged (`gameLog`, src/game/game-log.ts), for the worlds a server serves.
 */
import type { MetricKit } from './metrics-kit.js';

/** Register the game-fact metrics. */
export const registerGameFactMetrics = (kit: MetricKit): void => {
  const { counter, gauge, perWorld } = kit;
  counter(
    'worldtick_game_facts_total',
    'Game facts (deliverToWorld) by outcome: delivered (queued), applied (in a step), full (the name had capacity facts waiting: refused), limited (the world had MAX_PENDING_FACTS facts or MAX_PENDING_FACT_BYTES bytes waiting: refused), invalid (WT_ERR_GAME_FACT_INVALID), failed (the handler threw), discarded_in_replay, dropped (waiting in a checkpoint; at its restore the name no longer declared, or no room left in the fact queue).',
    ['world', 'outcome'],
    perWorld((w, put) => {
      const c = w.game?.facts?.counters;
      if (!c) return;
      put({ world: w.id, outcome: 'delivered' }, c.delivered);
      put({ world: w.id, outcome: 'applied' }, c.applied);
      put({ world: w.id, outcome: 'full' }, c.full);
      put({ world: w.id, outcome: 'invalid' }, c.invalid);
      put({ world: w.id, outcome: 'failed' }, c.failed);
      put({ world: w.id, outcome: 'discarded_in_replay' }, c.discardedInReplay);
      put({ world: w.id, outcome: 'limited' }, c.limited);
      put({ world: w.id, outcome: 'dropped' }, c.dropped);
    }),
  );
  gauge(
    'worldtick_game_facts_pending',
    'Game facts waiting for the next step, per fact name.',
    ['world', 'fact'],
    perWorld((w, put) => {
      for (const [fact, n] of w.game?.facts?.pending ?? []) put({ world: w.id, fact }, n);
    }),
  );
  gauge(
    'worldtick_game_facts_pending_bytes',
    "Bytes of the payloads' JSON of the game facts waiting for the next step (bounded by MAX_PENDING_FACT_BYTES; what a checkpoint copies).",
    ['world'],
    perWorld((w, put) => {
      const f = w.game?.facts;
      if (f) put({ world: w.id }, f.waitingBytes);
    }),
  );
};

/** Register the world-time timer metrics (`setWorldTimer`, `defineGame({ timers })`). */
export const registerGameTimerMetrics = (kit: MetricKit): void => {
  const { counter, gauge, perWorld } = kit;
  counter(
    'worldtick_game_timers_total',
    'Game world-time timers by outcome: fired (runs), skipped (repeating due times passed over by a catch-up), dropped (pending at a restore, name no longer declared), refused (setWorldTimer over a limit: WT_ERR_TIMER_LIMIT).',
    ['world', 'outcome'],
    perWorld((w, put) => {
      const c = w.game?.timers?.counters;
      if (!c) return;
      put({ world: w.id, outcome: 'fired' }, c.fired);
      put({ world: w.id, outcome: 'skipped' }, c.skipped);
      put({ world: w.id, outcome: 'dropped' }, c.dropped);
      put({ world: w.id, outcome: 'refused' }, c.refused);
    }),
  );
  gauge(
    'worldtick_game_timers_pending',
    "One-shot game timers pending, and the bytes of their payloads' JSON (bounded by MAX_PENDING_TIMERS and MAX_PENDING_TIMER_BYTES).",
    ['world', 'measure'],
    perWorld((w, put) => {
      const t = w.game?.timers;
      if (!t) return;
      put({ world: w.id, measure: 'timers' }, t.pending.length);
      put({ world: w.id, measure: 'bytes' }, t.pendingBytes);
    }),
  );
};

/** Register the game-log metric (`gameLog(world)`, src/game/game-log.ts): lines written, written cut by the size bound, dropped by the per-world rate limit. */
export const registerGameLogMetrics = (kit: MetricKit): void => {
  const { counter, perWorld } = kit;
  counter(
    'worldtick_game_log_lines_total',
    "Lines game code logged with gameLog(world) at an enabled level, by outcome: written, truncated (written cut: over GAME_LOG_MAX_LINE_BYTES), dropped (over the world's budget of GAME_LOG_BURST lines refilled at GAME_LOG_LINES_PER_SECOND).",
    ['world', 'outcome'],
    perWorld((w, put) => {
      const c = w.gameLogSink?.counters;
      if (!c) return;
      put({ world: w.id, outcome: 'written' }, c.written);
      put({ world: w.id, outcome: 'truncated' }, c.truncated);
      put({ world: w.id, outcome: 'dropped' }, c.dropped);
    }),
  );
};
