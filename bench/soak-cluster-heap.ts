/**
 * The heap snapshots of bench/soak-cluster.ts compared (`SOAK_SNAPSHOTS=1`): for each instance that
 * lives the whole run, its snapshot at the first quiet sample against the one at the last
 * (bench/heap-diff.ts: count, self and retained bytes per class, the top growers, what holds the new
 * objects), strings classed by the ids of the soak — churned world ids, player ids, resume tokens —
 * so that per-world or per-session state left behind shows as its own row.
 */
import type { HeapDiff } from './heap-diff.js';
import { diffHeapSnapshots, formatHeapDiff } from './heap-diff.js';
import type { StringClass } from './heap-graph.js';

/** The soak's string classes, first match wins (bench/crash-campaign-players.ts tokens, src/net/durable-sessions.ts ids). */
export const SOAK_STRING_CLASSES: readonly StringClass[] = [
  { label: 'soak player token (soak-player-N, soak-churn-N)', test: /soak-(player|churn)-\d+/ },
  { label: 'churned world id (churn-N)', test: /churn-\d+/ },
  { label: 'world id w1..w3', test: /^w[123]$/ },
  { label: 'guest player id (g:…)', test: /^g:[A-Za-z0-9_-]{24}$/ },
  { label: '24-char base64url (resume token)', test: /^[A-Za-z0-9_-]{24}$/ },
];

/** Diff `<id>-before` against `<id>-after` of `files` for each of `ids` (printed through `log`); by instance. */
export const soakHeapDiff = (
  files: Record<string, string>,
  ids: readonly string[],
  classes: readonly StringClass[],
  log: (line: string) => void,
): Record<string, HeapDiff | { error: string }> => {
  const out: Record<string, HeapDiff | { error: string }> = {};
  for (const id of ids) {
    const before = files[`${id}-before`];
    const after = files[`${id}-after`];
    if (!before || !after) {
      out[id] = { error: 'snapshot missing' };
      continue;
    }
    try {
      const d = diffHeapSnapshots(before, after, classes);
      for (const l of formatHeapDiff(d, `${id}: `)) log(l);
      out[id] = d;
    } catch (err) {
      out[id] = { error: (err as Error).message };
    }
  }
  return out;
};
