/**
 * Protocol-error metrics of the game server (docs/PROTOCOL.md "Errors and strikes"), read at scrape
 * time from `GameServer.stats()`: error replies by wire code, strikes, sockets closed for strikes and
 * socket closes by close code — what a flood of garbage from clients shows as (docs/ADMIN.md "Runbook").
 * Label values are bounded: wire error codes and WebSocket close codes.
 */
import type { MetricKit } from './metrics-kit.js';
import { field, type StatsSources, safeCall } from './sources.js';

const countsOf = (report: unknown, key: string): Record<string, unknown> | null => {
  const v = (report as Record<string, unknown> | null)?.[key];
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
};

/** Register `worldtick_net_errors_total{code}`, `_strikes_total`, `_closed_for_strikes_total`, `_closes_total{code}`. */
export const registerNetErrorMetrics = (kit: MetricKit, sources: StatsSources): void => {
  const { counter } = kit;
  const report = (): unknown => safeCall(sources.sessions);
  counter('worldtick_net_errors_total', 'Error replies sent to game clients, by wire error code (docs/PROTOCOL.md).', ['code'], (put) => {
    const by = countsOf(report(), 'errorsByCode');
    if (by) for (const [code, n] of Object.entries(by)) if (typeof n === 'number') put({ code }, n);
  });
  counter(
    'worldtick_net_strikes_total',
    'Protocol offences counted against a socket (a strike; maxStrikes closes it with 4002).',
    [],
    (put) => {
      const v = field(report(), 'strikes');
      if (v !== null) put({}, v);
    },
  );
  counter('worldtick_net_closed_for_strikes_total', 'Game sockets closed with 4002: too many strikes.', [], (put) => {
    const v = field(report(), 'closedForStrikes');
    if (v !== null) put({}, v);
  });
  counter('worldtick_net_closes_total', 'Game socket closes by WebSocket close code.', ['code'], (put) => {
    const by = countsOf(report(), 'closesByCode');
    if (by) for (const [code, n] of Object.entries(by)) if (typeof n === 'number') put({ code }, n);
  });
};
