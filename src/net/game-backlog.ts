/**
 * The away backlog: server messages sent to one player (`sendToPlayer`) while it is parked — its
 * socket dropped, its resume grace running — are kept for it and delivered in order right after
 * its resume (after the `welcome`, before the first snapshot), instead of being lost.
 *
 *   flush (replicate phase) ──► player parked? ──► backlog.frames [oldest … newest]
 *   resume applied (ingest) ──► welcome, then every backlog frame in order, then snapshots
 *   grace over / evicted / world deleted ──► the backlog is dropped (counted `backlogExpired`)
 *
 * Bounded per player by `net.parkedBacklogMessages` frames and `net.parkedBacklogBytes` bytes:
 * a frame that does not fit drops the **oldest** ones (counted `backlogOverflow`), so what is
 * delivered is the latest run of messages, which joins without a gap the ones sent live after the
 * resume; a single frame over the byte bound is dropped itself. Broadcasts (`broadcast`,
 * `broadcastNear`) are never kept: they describe the world at their step, which the resumed
 * client's snapshots replace. The backlog is allocated on a parked player's first message: a
 * session or parked player that never gets one costs nothing. In memory only: a resume after a
 * server restart (from the durable store) has no backlog.
 */
import type { GameOutboxStats } from './game-outbox.js';
import type { NetConfig } from './net-config.js';
import type { SessionWorld } from './player-facts.js';
import type { Parked, Session } from './session.js';
import type { WorldNet } from './world-net.js';

/**
 * Keep `bytes` for parked player `p` (the replicate phase's flush, in send order). Returns false
 * when backlogs are off (`parkedBacklogMessages` 0): the caller counts it undelivered.
 */
export const keepForParked = (
  p: Parked,
  bytes: Uint8Array,
  cfg: Pick<NetConfig, 'parkedBacklogMessages' | 'parkedBacklogBytes'>,
  st: GameOutboxStats,
): boolean => {
  const maxN = cfg.parkedBacklogMessages,
    maxB = cfg.parkedBacklogBytes;
  if (maxN <= 0) return false;
  if (bytes.length > maxB) {
    st.backlogOverflow++;
    return true;
  }
  let b = p.backlog;
  if (b === null) {
    b = { frames: [], bytes: 0 };
    p.backlog = b;
  }
  // Oldest out until the new frame fits both bounds (a shift per drop: the backlog is small).
  let drop = 0;
  let size = b.bytes;
  while (b.frames.length - drop >= maxN || size + bytes.length > maxB) size -= b.frames[drop++]?.length ?? 0;
  if (drop > 0) {
    b.frames.splice(0, drop);
    b.bytes = size;
    st.backlogOverflow += drop;
  }
  b.frames.push(bytes);
  b.bytes += bytes.length;
  st.backlogged++;
  return true;
};

/**
 * Hand `p`'s backlog to its resumed session's socket, in order (`send`: uWS status 1 sent, 0
 * buffered, 2 dropped, -1 closed). A frame the socket did not take is counted undelivered.
 */
export const deliverBacklog = (p: Parked, send: (bytes: Uint8Array) => number, st: GameOutboxStats): void => {
  const b = p.backlog;
  if (b === null) return;
  p.backlog = null;
  for (const f of b.frames) {
    const r = send(f);
    if (r === 0 || r === 1) {
      st.sent++;
      st.bytes += f.length;
      st.backlogDelivered++;
    } else st.undelivered++;
  }
};

/** The player will not resume (grace over, evicted, world deleted): drop its backlog, counted `backlogExpired`. */
export const dropBacklog = (p: Parked, st: GameOutboxStats | null | undefined): void => {
  const b = p.backlog;
  if (b === null) return;
  p.backlog = null;
  if (st) st.backlogExpired += b.frames.length;
};

/**
 * A session takes over a live player (a hello with the token of an open session): until its join
 * applies, messages to the player are kept as for a parked one (an away entry outside the parked
 * table: no expiry, no cap), then delivered after its welcome.
 */
export const holdForTakeover = (net: WorldNet, world: SessionWorld, live: Session): void => {
  net.away.set(live.player, {
    world,
    player: live.player,
    token: live.resumeToken,
    addr: '',
    backlog: null,
    ledgerId: live.ledgerId,
    name: live.name,
    expiresAt: Number.POSITIVE_INFINITY,
  });
};

/**
 * The join of session `s` applied with player `eid` (`requested`: the player its resume or takeover
 * asked for, -1 for none). The away entry of `eid` ends: its backlog is sent with `send`, in order
 * (call it right after the welcome), when it is of this session's tenure, else dropped (counted
 * expired); so is the requested player's when the join got another entity (it was removed).
 */
export const settleAway = (
  net: WorldNet,
  st: GameOutboxStats | null | undefined,
  s: Session,
  eid: number,
  requested: number,
  send: ((bytes: Uint8Array) => number) | null,
): void => {
  if (requested >= 0 && requested !== eid) {
    const gone = net.away.get(requested);
    if (gone && gone.token === s.resumeToken) {
      net.away.delete(requested);
      dropBacklog(gone, st);
    }
  }
  if (send === null || eid < 0) return;
  const away = net.away.get(eid);
  if (!away) return;
  net.away.delete(eid);
  if (away.token !== s.resumeToken || !st) dropBacklog(away, st);
  else deliverBacklog(away, send, st);
};
