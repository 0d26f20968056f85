/**
 * Delivery of a world's queued game server messages (src/net/game-outbox.ts) in the replicate
 * phase, after the step's snapshots and events: in send order, to one player's session (or its
 * away backlog while it is parked, game-backlog.ts), to the sessions whose interest radius holds a
 * point, or to every joined session. The per-step delivery budget serves the player messages
 * waiting first and the broadcasts with the rest, so broadcasts never starve a player's messages.
 */
import { CloseCode } from '../errors.js';
import { keepForParked } from './game-backlog.js';
import { OutboxTarget, type GameOutboxStats, type OutboxItem } from './game-outbox.js';
import type { ReplicationWorld } from './replication.js';
import type { Session } from './session.js';
import type { WorldNet } from './world-net.js';

const open = (s: Session): boolean => !s.conn.closed && s.closeCode === 0 && s.player >= 0;

const deliver = (net: WorldNet, st: GameOutboxStats, s: Session, bytes: Uint8Array): void => {
  const r = net.transport.send(s, bytes);
  if (r === 2) {
    // Dropped by uWS (over maxBackpressure): the client would miss it silently. Close it, as for a dropped snapshot.
    st.undelivered++;
    s.closeCode = CloseCode.SLOW_CONSUMER;
    net.closing.push(s);
  } else if (r < 0) st.undelivered++;
  else {
    st.sent++;
    st.bytes += bytes.length;
  }
};

/** A message to one player: its session of the same tenure (resume token), else its away backlog, else undelivered. */
const deliverToPlayer = (net: WorldNet, st: GameOutboxStats, it: OutboxItem): void => {
  if (it.token === '') {
    st.undelivered++;
    return;
  }
  const s = net.byPlayer.get(it.player);
  if (s !== undefined && s.resumeToken === it.token) {
    if (open(s)) deliver(net, st, s, it.bytes);
    else st.undelivered++;
    return;
  }
  const p = net.away.get(it.player);
  if (p !== undefined && p.token === it.token && keepForParked(p, it.bytes, net.config, st)) return;
  st.undelivered++;
};

/** A broadcast: every open session (world), or those whose interest radius holds the point (area). */
const deliverToSessions = (world: ReplicationWorld, net: WorldNet, st: GameOutboxStats, it: OutboxItem): void => {
  const { Position } = world.stores;
  const sessions = net.sessions;
  const area = it.target === OutboxTarget.AREA;
  for (let i = 0; i < sessions.length; i++) {
    const s = sessions[i];
    if (!open(s)) continue;
    if (area) {
      const dx = Position.x[s.player] - it.x,
        dy = Position.y[s.player] - it.y,
        r = s.interestRadius;
      if (dx * dx + dy * dy > r * r) continue;
    }
    deliver(net, st, s, it.bytes);
  }
};

/**
 * Deliver the world's queued messages in send order (the replicate phase, after snapshots and
 * events) within `net.maxGameMessageDeliveriesPerStep` frames: the player messages waiting (one
 * frame each) are served first from the budget, up to all of it; broadcasts (one frame per session
 * of the world, an upper bound) get what remains, whole messages only, the first broadcast of a step
 * always going; once a broadcast does not fit, the later broadcasts wait too (their order holds)
 * while later player messages still go. What is not delivered stays queued, in order, for the next
 * step. Sessions whose socket dropped a frame are closed afterwards (4008).
 */
export const flushGameMessages = (world: ReplicationWorld, net: WorldNet): void => {
  const ob = world.game?.outbox;
  if (!ob || ob.items.length === 0) return;
  const st = ob.stats,
    items = ob.items,
    lanes = ob.lanes;
  const budget = net.config.maxGameMessageDeliveriesPerStep;
  const limited = budget > 0;
  // The players' share: every player message waiting (at most the whole budget).
  const playerBudget = limited ? budget : Number.POSITIVE_INFINITY;
  const broadcastBudget = limited ? budget - Math.min(lanes.players, budget) : Number.POSITIVE_INFINITY;
  const perBroadcast = net.sessions.length;
  let playersSent = 0,
    broadcastFrames = 0,
    broadcastsSent = 0,
    blocked = false,
    kept = 0;
  for (let k = 0; k < items.length; k++) {
    const it = items[k];
    if (it.target === OutboxTarget.PLAYER) {
      if (playersSent < playerBudget) {
        playersSent++;
        deliverToPlayer(net, st, it);
        continue;
      }
    } else if (!blocked && (broadcastsSent === 0 || broadcastFrames + perBroadcast <= broadcastBudget)) {
      broadcastsSent++;
      broadcastFrames += perBroadcast;
      deliverToSessions(world, net, st, it);
      continue;
    } else blocked = true;
    items[kept++] = it;
  }
  items.length = kept;
  lanes.players -= playersSent;
  lanes.broadcasts -= broadcastsSent;
  st.deferred += kept;
  if (net.closing.length) {
    for (const s of net.closing) net.transport.close(s, s.closeCode, 'slow consumer');
    net.closing.length = 0;
  }
};
