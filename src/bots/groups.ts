/**
 * Bot groups, reported separately (issue 12, 10,000 sessions): active players (send inputs),
 * idle players (joined and reading snapshots, no input: a player in a menu or away, see
 * `--idle-share`), and non-player classes by their token (spectators, bots, observers). Each
 * group has its own update-latency, input-ack and snapshot-gap histograms and its own snapshot counts, so the
 * active players' figures stand alone next to the degraded groups'.
 */
import type { LatencySink } from '../client/client.js';
import type { SessionClassName } from '../net/session-priority.js';
import { createLatencyHistogram, encodeHistogram, recordMs, type LatencyHistogram } from './histogram.js';
import type { GroupPart } from './report.js';

/** Group keys in the report. */
export type GroupKey = 'activePlayers' | 'idlePlayers' | 'spectators' | 'bots' | 'observers';

/** One group's live counters in a bots process. */
export interface GroupStats {
  key: GroupKey;
  /** Idle players send no input. */
  idle: boolean;
  /**
   * While measuring, records into the group's histograms — once per sample: the process's overall
   * histograms are the merge of its groups' at the end (exact, by bucket).
   */
  sink: LatencySink;
  upd: LatencyHistogram;
  ack: LatencyHistogram;
  /** Snapshot gaps (LatencySink `gap`: how long a bot's view stood still). */
  gap: LatencyHistogram;
  /** Bots of the group that joined (ramp and window). */
  connected: number;
  /** Inputs sent (total; the window's share is `inputsSent - inputs0`). */
  inputsSent: number;
  /** Bot-milliseconds joined inside the measured window. */
  clientMs: number;
  /** Counts of bots the scenario closed (churn), kept in the totals. */
  retiredSnapshots: number;
  retiredBytes: number;
  /** Totals at the last count, and at the start of the window. */
  snapshotsNow: number;
  bytesNow: number;
  snapshots0: number;
  bytes0: number;
  inputs0: number;
  /** Start of the measured window: remember the current totals. */
  mark(): void;
}

/** The groups of one bots process, created on first use. */
export interface Groups {
  readonly list: GroupStats[];
  readonly byKey: Map<GroupKey, GroupStats>;
  readonly measuring: () => boolean;
  /** The window's figures of every group (after the last count), keyed by group. */
  parts(): Record<string, GroupPart>;
}

/** Empty groups (`measuring` gates the group histograms). */
export const createGroupStats = (measuring: () => boolean): Groups => {
  const list: GroupStats[] = [];
  return {
    list,
    byKey: new Map(),
    measuring,
    parts: () => {
      const out: Record<string, GroupPart> = {};
      for (const g of list)
        out[g.key] = {
          connected: g.connected,
          clientSeconds: Math.round(g.clientMs) / 1000,
          snapshots: g.snapshotsNow - g.snapshots0,
          bytesIn: g.bytesNow - g.bytes0,
          inputsSent: g.inputsSent - g.inputs0,
          histograms: { update: encodeHistogram(g.upd), inputAck: encodeHistogram(g.ack), gap: encodeHistogram(g.gap) },
        };
      return out;
    },
  };
};

/** True when bot `index` is an idle player at `share` (evenly spread: ⌊(i+1)·share⌋ > ⌊i·share⌋). */
export const isIdleBot = (index: number, share: number): boolean =>
  share > 0 && Math.floor((index + 1) * share + 1e-9) > Math.floor(index * share + 1e-9);

/**
 * The role of bot `index` when `spectatorShare` of all bots are spectators and `idleShare` of the
 * remaining (player) bots are idle, both spread evenly over the indexes: bot i is a spectator
 * when ⌊(i+1)·s⌋ > ⌊i·s⌋; otherwise its index among the players, j = i − ⌊(i+1)·s⌋, picks idle
 * the same way with the idle share. Exact counts over any prefix of indexes (±1).
 */
export const botRole = (index: number, spectatorShare: number, idleShare: number): 'spectator' | 'idle' | 'active' => {
  if (isIdleBot(index, spectatorShare)) return 'spectator';
  const j = index - Math.floor((index + 1) * spectatorShare + 1e-9);
  return isIdleBot(j, idleShare) ? 'idle' : 'active';
};

/**
 * The group of bot `index` whose token gives class `cls` (created on first use): with a player
 * token, `botRole` decides between spectators (their hello token becomes `spectator`), idle and
 * active players; another class is its own group.
 */
export const groupOf = (groups: Groups, cls: SessionClassName, index: number, idleShare: number, spectatorShare = 0): GroupStats => {
  const role = cls === 'player' ? botRole(index, spectatorShare, idleShare) : 'active';
  const idle = role === 'idle';
  const key: GroupKey = cls !== 'player' ? `${cls}s` : role === 'spectator' ? 'spectators' : idle ? 'idlePlayers' : 'activePlayers';
  let g = groups.byKey.get(key);
  if (!g) {
    const upd = createLatencyHistogram(),
      ack = createLatencyHistogram(),
      gap = createLatencyHistogram();
    const { measuring } = groups;
    const stats: GroupStats = {
      key,
      idle,
      upd,
      ack,
      gap,
      sink: {
        update: (ms) => {
          if (measuring()) recordMs(upd, ms);
        },
        ack: (ms) => {
          if (measuring()) recordMs(ack, ms);
        },
        gap: (ms) => {
          if (measuring()) recordMs(gap, ms);
        },
      },
      connected: 0,
      inputsSent: 0,
      clientMs: 0,
      retiredSnapshots: 0,
      retiredBytes: 0,
      snapshotsNow: 0,
      bytesNow: 0,
      snapshots0: 0,
      bytes0: 0,
      inputs0: 0,
      mark() {
        stats.snapshots0 = stats.snapshotsNow;
        stats.bytes0 = stats.bytesNow;
        stats.inputs0 = stats.inputsSent;
      },
    };
    g = stats;
    groups.byKey.set(key, g);
    groups.list.push(g);
  }
  return g;
};
