/**
 * Metrics of the game's server → client messages (src/game/server-messages.ts,
 * src/net/game-outbox.ts), read at scrape time from each world's game slot. A world without a
 * game has no series.
 */
import type { GameOutboxStats } from '../net/game-outbox.js';
import type { MetricKit } from './metrics-kit.js';

/** Register the server-message metrics. */
export const registerGameMessageMetrics = (kit: MetricKit): void => {
  const { counter, perWorld } = kit;
  const each = (fn: (id: string, st: GameOutboxStats, put: (labels: Record<string, string>, v: number) => void) => void) =>
    perWorld((w, put) => {
      const st = w.game?.outbox.stats;
      if (st) fn(w.id, st, put);
    });
  counter(
    'worldtick_game_server_messages_total',
    "Server messages the game sent, by outcome: queued, overflow (the step's queue was full: dropped), refused (invalid: WT_ERR_GAME_MESSAGE_INVALID), unserved (no game server), deferred (waited a step for the per-step delivery budget; once per step waited), backlogged (kept for a parked player), backlog_overflow (dropped: the parked player's backlog was full, oldest first), backlog_expired (dropped: the player did not resume), capped (a player's broadcast dropped: it had maxGameBroadcastsPerSender waiting).",
    ['world', 'outcome'],
    each((world, st, put) => {
      put({ world, outcome: 'queued' }, st.queued);
      put({ world, outcome: 'overflow' }, st.overflow);
      put({ world, outcome: 'refused' }, st.refused);
      put({ world, outcome: 'unserved' }, st.unserved);
      put({ world, outcome: 'deferred' }, st.deferred);
      put({ world, outcome: 'backlogged' }, st.backlogged);
      put({ world, outcome: 'backlog_overflow' }, st.backlogOverflow);
      put({ world, outcome: 'backlog_expired' }, st.backlogExpired);
      put({ world, outcome: 'capped' }, st.capped);
    }),
  );
  counter(
    'worldtick_game_server_message_deliveries_total',
    'Server-message frames per recipient session, by outcome: sent (including backlog_delivered), undelivered (no open session or parked entry, or dropped by the socket), backlog_delivered (kept while parked, sent after the resume).',
    ['world', 'outcome'],
    each((world, st, put) => {
      put({ world, outcome: 'sent' }, st.sent);
      put({ world, outcome: 'undelivered' }, st.undelivered);
      put({ world, outcome: 'backlog_delivered' }, st.backlogDelivered);
    }),
  );
  counter(
    'worldtick_game_server_message_time_limited_steps_total',
    'Steps whose server-message delivery stopped at net.maxGameMessageDeliveryMsPerStep with messages still waiting (they went first in the next step).',
    ['world'],
    each((world, st, put) => put({ world }, st.timeLimited)),
  );
  counter(
    'worldtick_game_server_message_bytes_total',
    'Bytes of the server-message frames sent.',
    ['world'],
    each((world, st, put) => put({ world }, st.bytes)),
  );
};
