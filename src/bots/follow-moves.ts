/**
 * Bots that stay through a move of their world (`--follow-moves`, docs/BOTS.md): when the server
 * closes a bot's session because the world moved — 4014 after a `redirect` (a migration or a drain),
 * 4015 (the instance lost the world's lease: a failover) or 1001 (its instance stops) — or, with
 * `--follow-lost`, the connection is lost without a close frame (1006: the instance crashed), the bot
 * reconnects as a real client does (docs/PROTOCOL.md "Redirects (cluster mode)", close codes,
 * "Sessions"): 4014 to the redirect's `url` with its ticket, the others to the URL first used (which
 * redirects to the new owner), and resumes with the session's resume token. A bounded number of
 * tries per move with a bounded backoff (long enough for a failover with the default lease TTL);
 * any other close still ends the bot.
 *
 * Tallied per process ({@link MoveTally}): moves followed and failed by kind, resumed or not, and
 * the gap each bot saw (last snapshot before the close → first snapshot after the reconnect) in an
 * HDR histogram that merges over `--procs` like the latency ones.
 */
import type { WorldtickClient } from '../client/client.js';
import { createLatencyHistogram, recordMs, type LatencyHistogram } from './histogram.js';
import type { LightBot } from './light-bot.js';

/** Why a session was moved, by its close code. */
export type MoveKind = 'redirected' | 'leaseLost' | 'goingAway' | 'lost';

/** The kind of move a close code means, or null (the bot ends as before); 1006 only when `lost` is followed. */
export const moveKind = (code: number, lost = false): MoveKind | null =>
  code === 4014 ? 'redirected' : code === 4015 ? 'leaseLost' : code === 1001 ? 'goingAway' : code === 1006 && lost ? 'lost' : null;

/**
 * Tries per move (the first at once, then after the backoff): the waits add up to 13.75 s, more than a
 * failover takes with the default lease TTL of 6 s (at most TTL + TTL/3 + the restore: docs/CLUSTER.md
 * "Failover"), during which the first URL answers `NOT_OWNER`.
 */
export const FOLLOW_TRIES = 10;
/** Longest wait for a followed bot's first snapshot after its welcome (its gap); a server steps at 20 Hz by default. */
export const FIRST_SNAPSHOT_WAIT_MS = 2000;
/** Backoff before try k (k ≥ 1): 250 ms · 2^(k−1), at most 2 s, plus 10 ms per bot index mod 10 (spread). */
export const followBackoffMs = (k: number, index: number): number => Math.min(2000, 250 * 2 ** (k - 1)) + (index % 10) * 10;

/** A bot as the follower sees it (adapters below for the light bot and the client library). */
export interface Movable {
  /** Call `fn(code)` once when the current socket closes. */
  armClose(fn: (code: number) => void): void;
  disarm(): void;
  /** Receive time (Date.now) of the last snapshot, 0 before the first. */
  lastSnapshotAt(): number;
  /** The last `redirect` received after the join, or null. */
  redirect(): { url: string; ticket: string } | null;
  /** Call `fn` once with the receive time of the next snapshot (null: no longer). */
  onNextSnapshot(fn: ((at: number) => void) | null): void;
  /** Reconnect to `url`, hello with `ticket` and the resume token; resolves with the welcome's `resumed`. */
  rejoin(url: string, ticket: string | null): Promise<boolean>;
}

/** How a bot joins again (its world, name and hello token as at its first join). */
export interface RejoinAs {
  worldId: string;
  name: string;
  token: string;
  timeoutMs: number;
}

export const lightMovable = (b: LightBot, as: RejoinAs): Movable => ({
  armClose: (fn) => {
    b.onClose = fn;
  },
  disarm: () => {
    b.onClose = null;
  },
  lastSnapshotAt: () => b.lastSnapshotAt,
  redirect: () => b.lastRedirect,
  onNextSnapshot: (fn) => {
    b.onSnapshot = fn;
  },
  rejoin: async (url, ticket) => {
    b.lastRedirect = null;
    b.url = url;
    await b.join(as.worldId, as.name, as.timeoutMs, as.token, ticket, 0, b.resumeToken);
    return b.resumed;
  },
});

/** The client library's bot; `carried` collects its view's inconsistencies (a welcome starts a new view). */
export const clientMovable = (c: WorldtickClient, as: RejoinAs, carried: { inconsistencies: number }): Movable => {
  let last = 0;
  let redirect: { url: string; ticket: string } | null = null;
  let waiter: ((at: number) => void) | null = null;
  let armed = 0;
  c.on((m) => {
    if (m.type === 17 || m.type === 24) {
      last = Date.now();
      const f = waiter;
      waiter = null;
      f?.(last);
    } else if (m.type === 23) redirect = { url: m.url, ticket: m.ticket };
  });
  return {
    armClose: (fn) => {
      const gen = ++armed;
      void c.closed().then(() => {
        if (gen === armed) fn(c.closeCode);
      });
    },
    disarm: () => {
      armed++;
    },
    lastSnapshotAt: () => last,
    redirect: () => redirect,
    onNextSnapshot: (fn) => {
      waiter = fn;
    },
    rejoin: async (url, ticket) => {
      redirect = null;
      const resume = c.welcome?.resumeToken ?? null;
      const before = c.view.inconsistencies;
      c.url = url;
      try {
        await c.connect();
        const w = await c.join(as.worldId, as.name, as.token, resume, as.timeoutMs, ticket);
        carried.inconsistencies += before;
        return w.resumed;
      } catch (err) {
        c.close();
        throw err;
      }
    },
  };
};

/** One process's moves (merged over processes by src/bots/report.ts). */
export interface MoveTally {
  followed: Record<MoveKind, number>;
  failed: Record<MoveKind, number>;
  resumed: number;
  notResumed: number;
  /** Last snapshot before the close → first snapshot after the reconnect, per move followed. */
  gap: LatencyHistogram;
}

const zero = (): Record<MoveKind, number> => ({ redirected: 0, leaseLost: 0, goingAway: 0, lost: 0 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The follower of one fleet: `watch` a joined bot; `settle` waits for the moves in flight (before
 * the fleet counts its disconnects); `stop` before the fleet closes its bots (no move is followed after).
 */
export const createMoveFollower = (firstUrl: string, followLost = false) => {
  const tally: MoveTally = { followed: zero(), failed: zero(), resumed: 0, notResumed: 0, gap: createLatencyHistogram() };
  const inFlight = new Set<Promise<void>>();
  let running = true;

  /** One move: up to FOLLOW_TRIES reconnects; true when the bot is back. */
  const follow = async (m: Movable, kind: MoveKind, index: number, slot: { left?: boolean }): Promise<boolean> => {
    // From its last snapshot; a bot closed before its first one counts from the close (both Date.now).
    const lastAt = m.lastSnapshotAt() || Date.now();
    let seen = (): void => undefined;
    const back = new Promise<void>((r) => {
      seen = r;
    });
    // Armed before the first try: the first snapshot can arrive in the same read as the welcome.
    m.onNextSnapshot((at) => {
      recordMs(tally.gap, at - lastAt);
      seen();
    });
    const r = kind === 'redirected' ? m.redirect() : null;
    const on = () => running && slot.left !== true;
    for (let k = 0; k < FOLLOW_TRIES && on(); k++) {
      if (k > 0) await sleep(followBackoffMs(k, index));
      if (!on()) break;
      // 4014: the redirect's URL and ticket (twice: a ticket lives 10 s); then, as for 4015 and 1001, the first URL.
      const viaRedirect = r !== null && k < 2;
      try {
        const resumed = await m.rejoin(viaRedirect ? r.url : firstUrl, viaRedirect ? r.ticket : null);
        tally.followed[kind]++;
        if (resumed) tally.resumed++;
        else tally.notResumed++;
        // The move is over with the first snapshot after the welcome (its gap), bounded: a run's end
        // (settle) waits for it, so a bot back just before the end still has its gap in the report.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([back, new Promise<void>((r) => (timer = setTimeout(r, FIRST_SNAPSHOT_WAIT_MS)))]);
        clearTimeout(timer);
        return true;
      } catch {
        // next try
      }
    }
    m.onNextSnapshot(null);
    if (slot.left !== true) tally.failed[kind]++; // a bot the scenario closed meanwhile did not fail
    return false;
  };

  const watch = (m: Movable, slot: { moving?: boolean; left?: boolean }, index: number): void => {
    const onClose = (code: number): void => {
      const kind = moveKind(code, followLost);
      if (kind === null || !running || slot.left === true) return;
      m.disarm();
      slot.moving = true;
      const p = follow(m, kind, index, slot)
        .then((back) => {
          slot.moving = false;
          if (back) m.armClose(onClose); // else it stays closed: a disconnect, by its last close code
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    };
    m.armClose(onClose);
  };

  const settle = async (): Promise<void> => {
    while (inFlight.size > 0) await Promise.all([...inFlight]);
  };

  return {
    tally,
    watch,
    settle,
    stop: (): void => {
      running = false;
    },
  };
};
