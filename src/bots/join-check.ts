/**
 * Whether a bots run's joins failed too much to call the run done (exit 3, docs/BOTS.md "Exit codes"):
 * no bot joined at all (a server that is not there, a world it does not run), or — only with
 * `--max-join-failures N|P%` — more join failures than allowed. Checked on the merged report, so a
 * `--procs N` coordinator decides on every process's joins together.
 */
import type { BotsReport } from './report.js';

/** Exit code of a run whose joins failed (no bot joined, or more failures than `--max-join-failures`). */
export const JOINS_FAILED_EXIT = 3;

/** `--max-join-failures`: a count of failed joins, or a percentage of the joins that ended (joined + failed). */
export type JoinFailureLimit = { count: number } | { percent: number };

/**
 * ` (MAINTENANCE 20, timeout 1)`: counts by reason, most frequent first, each name after `prefix`; empty when
 * there are none. The join failures by reason, the disconnects by close code (`close 4011 2`).
 */
export const byCount = (counts: Record<string, number>, prefix = ''): string => {
  const e = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return e.length ? ` (${e.map(([k, n]) => `${prefix}${k} ${n}`).join(', ')})` : '';
};

/** What a failure reason usually means, for the stderr line (src/bots/join-failure.ts names the reasons). */
const hint = (reason: string, r: Pick<BotsReport, 'url' | 'worldId'>): string | null => {
  if (reason === 'connect') return `nothing accepted a connection at ${r.url}`;
  if (reason === 'UNKNOWN_WORLD') return `the server runs no world ${JSON.stringify(r.worldId)}`;
  if (reason === 'http 503') return 'the server is at its connection cap';
  if (reason === 'timeout') return 'no welcome within the join timeout';
  return null;
};

/** `UNKNOWN_WORLD 4 (the server runs no world "x"), timeout 1 (…)`: the three most frequent reasons. */
const reasons = (r: Pick<BotsReport, 'url' | 'worldId' | 'joinFailuresByReason'>): string =>
  Object.entries(r.joinFailuresByReason)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([k, n]) => {
      const h = hint(k, r);
      return `${k} ${n}${h ? ` (${h})` : ''}`;
    })
    .join(', ');

/**
 * The stderr line of a run whose joins failed (exit {@link JOINS_FAILED_EXIT}), or null when they did not:
 * no bot joined though some tried, or more failures than `limit` (a count; or a percentage of the joins
 * that ended, joined + failed — joins a stop cancelled are neither).
 */
export const joinsFailed = (
  r: Pick<BotsReport, 'url' | 'worldId' | 'connected' | 'joinFailures' | 'joinFailuresByReason'>,
  limit: JoinFailureLimit | null,
): string | null => {
  const ended = r.connected + r.joinFailures;
  const of = `${r.joinFailures} of ${ended} joins failed`;
  if (r.connected === 0 && r.joinFailures > 0) return `bots: no bot joined: ${of}: ${reasons(r)}`;
  if (limit === null || r.joinFailures === 0) return null;
  const over = 'count' in limit ? r.joinFailures > limit.count : r.joinFailures * 100 > limit.percent * ended;
  if (!over) return null;
  const shown = 'count' in limit ? String(limit.count) : `${limit.percent}%`;
  return `bots: join failures over --max-join-failures ${shown}: ${of} (${Math.round((r.joinFailures * 100) / ended)}%): ${reasons(r)}`;
};
