/**
 * Delivery of a world's queued game server messages (src/net/game-outbox.ts) in the replicate
 * phase, after the step's snapshots and events: in send order, to one player's session (or its
 * away backlog while it is parked, game-backlog.ts), to the sessions whose interest radius holds a
 * point, or to every joined session. The per-step delivery budget (frames and wall ms) serves the
 * player messages waiting first and the broadcasts with the rest, shared fairly between their
 * senders, so broadcasts never starve a player's messages nor one sender's broadcasts another's.
 */
import { CloseCode } from '../errors.js';
import { keepForParked } from './game-backlog.js';
import { broadcastDone, type GameOutbox, OutboxTarget, type GameOutboxStats, type OutboxItem } from './game-outbox.js';
import type { ReplicationWorld } from './replication.js';
import type { Session } from './session.js';
import type { WorldNet } from './world-net.js';

/** Marks a player message delivered in the first pass (the second pass compacts the queue). */
const DELIVERED = new Uint8Array(0);

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

/** Frames handed to sockets between two reads of the clock (`net.maxGameMessageDeliveryMsPerStep`): ~0.1–0.5 ms of sends. */
export const DELIVERY_CLOCK_FRAMES = 64;

/** The step's delivery clock: stop once `deadline` (performance.now ms) has passed, read every {@link DELIVERY_CLOCK_FRAMES} frames. */
interface DeliveryClock {
  readonly deadline: number;
  frames: number;
  over: boolean;
}

/** Count one frame handed over; true when the time is up. */
const tick = (c: DeliveryClock): boolean => {
  if (++c.frames % DELIVERY_CLOCK_FRAMES === 0 && performance.now() >= c.deadline) c.over = true;
  return c.over;
};

/**
 * A broadcast: every open session (world), or those whose interest radius holds the point (area);
 * a broadcast cut earlier goes only to the sessions it had not reached (`it.rest`, by connection
 * id: not to sessions that joined since). Returns false when the clock ran out first: `it.rest`
 * then holds the sessions still to reach, for the next step.
 */
const deliverToSessions = (world: ReplicationWorld, net: WorldNet, st: GameOutboxStats, it: OutboxItem, clock: DeliveryClock): boolean => {
  const { Position } = world.stores;
  const sessions = net.sessions;
  const rest = it.rest;
  const area = it.target === OutboxTarget.AREA;
  for (let i = 0; i < sessions.length; i++) {
    const s = sessions[i];
    if (rest !== null && !rest.has(s.conn.id)) continue;
    if (!open(s)) continue;
    if (area) {
      const dx = Position.x[s.player] - it.x,
        dy = Position.y[s.player] - it.y,
        r = s.interestRadius;
      if (dx * dx + dy * dy > r * r) continue;
    }
    deliver(net, st, s, it.bytes);
    if (tick(clock) && i + 1 < sessions.length) {
      const left = new Set<number>();
      for (let j = i + 1; j < sessions.length; j++) {
        const id = sessions[j].conn.id;
        if (rest === null || rest.has(id)) left.add(id);
      }
      if (left.size === 0) break;
      it.rest = left;
      return false;
    }
  }
  it.rest = null;
  return true;
};

/**
 * Deliver at most `max` of the waiting broadcasts, shared between their senders: round-robin, one
 * per sender per round, the senders least recently served first (their `turn`), then the one whose
 * oldest broadcast has waited longest; each sender's broadcasts in send order. So a sender served
 * last step comes after every sender still waiting, whatever it has queued, and when the clock runs
 * out part way the broadcasts delivered are still one per sender per round. Delivered ones are
 * marked {@link DELIVERED}. Returns how many were delivered. O(waiting broadcasts + senders log
 * senders); only when the budget is short.
 */
const deliverRoundRobin = (world: ReplicationWorld, net: WorldNet, ob: GameOutbox, max: number, clock: DeliveryClock): number => {
  const queues = new Map<string, OutboxItem[]>();
  for (const it of ob.items)
    if (it.target !== OutboxTarget.PLAYER && it.bytes !== DELIVERED) {
      const q = queues.get(it.origin);
      if (q) q.push(it);
      else queues.set(it.origin, [it]);
    }
  const turn = (o: string): number => ob.bySender.get(o)?.turn ?? 0;
  // Map order is first appearance (oldest waiting); the sort is stable.
  const order = [...queues.keys()].sort((a, b) => turn(a) - turn(b));
  const next = new Map<string, number>();
  let left = max,
    sent = 0;
  while (left > 0 && order.length > 0 && !clock.over) {
    let n = 0;
    for (let i = 0; i < order.length && left > 0 && !clock.over; i++) {
      const o = order[i];
      const q = queues.get(o) ?? [];
      const k = next.get(o) ?? 0;
      const it = q[k];
      if (it === undefined) continue;
      left--;
      if (!deliverToSessions(world, net, ob.stats, it, clock)) break; // cut by the clock: it stays, first of its sender
      it.bytes = DELIVERED;
      sent++;
      broadcastDone(ob, o);
      next.set(o, k + 1);
      if (k + 1 < q.length) order[n++] = o;
    }
    order.length = n;
  }
  return sent;
};

/** Initial estimate of the wall ms one frame takes to hand to a socket (measured ≈ 2–8 µs), refined per step. */
const FRAME_MS_GUESS = 0.005;

/**
 * Deliver the world's queued messages (the replicate phase, after snapshots and events) within
 * `net.maxGameMessageDeliveriesPerStep` frames and `net.maxGameMessageDeliveryMsPerStep` wall ms.
 * First the player messages waiting, in send order (one frame each), up to all of the frame
 * budget; then the broadcasts (one frame per session of the world, an upper bound), whole messages
 * counted against what remains of the frame budget and of the time (frames at the world's measured
 * cost per frame), the first broadcast of a step always going: all of them in send order when they
 * fit, else round-robin between senders ({@link deliverRoundRobin}). Once the time is up nothing
 * more goes (a broadcast cut part way keeps the sessions it has not reached for the next step).
 * What is not delivered stays queued, in order, for the next step. Sessions whose socket dropped a
 * frame are closed afterwards (4008).
 */
export const flushGameMessages = (world: ReplicationWorld, net: WorldNet): void => {
  const ob = world.game?.outbox;
  if (!ob || ob.items.length === 0) return;
  const st = ob.stats,
    items = ob.items,
    lanes = ob.lanes,
    cfg = net.config;
  const budget = cfg.maxGameMessageDeliveriesPerStep;
  const limited = budget > 0;
  const ms = cfg.maxGameMessageDeliveryMsPerStep;
  const start = performance.now();
  const clock: DeliveryClock = { deadline: ms > 0 ? start + ms : Number.POSITIVE_INFINITY, frames: 0, over: false };
  // Players first: every player message waiting, at most the whole budget, in send order.
  let playerBudget = limited ? budget : Number.POSITIVE_INFINITY;
  let playersSent = 0;
  if (lanes.players > 0)
    for (let k = 0; k < items.length && playerBudget > 0 && !clock.over; k++) {
      const it = items[k];
      if (it.target !== OutboxTarget.PLAYER || it.bytes === DELIVERED) continue;
      deliverToPlayer(net, st, it);
      it.bytes = DELIVERED;
      playersSent++;
      playerBudget--;
      tick(clock);
    }
  // Then broadcasts, with the frames (and the time, in frames) left: all in send order when they fit, else round-robin.
  ob.flushes++;
  let broadcastsSent = 0;
  if (lanes.broadcasts > 0 && !clock.over) {
    const frameMs = ob.frameMs > 0 ? ob.frameMs : FRAME_MS_GUESS;
    const byFrames = limited ? budget - Math.min(lanes.players, budget) : Number.POSITIVE_INFINITY;
    const byTime = ms > 0 ? (ms - (performance.now() - start)) / frameMs : Number.POSITIVE_INFINITY;
    const fit = Math.max(1, Math.floor(Math.min(byFrames, byTime) / Math.max(1, net.sessions.length)));
    if (lanes.broadcasts > fit) broadcastsSent = deliverRoundRobin(world, net, ob, fit, clock);
    else
      for (let k = 0; k < items.length && !clock.over; k++) {
        const it = items[k];
        if (it.target === OutboxTarget.PLAYER || it.bytes === DELIVERED) continue;
        if (!deliverToSessions(world, net, st, it, clock)) break;
        it.bytes = DELIVERED;
        broadcastsSent++;
        broadcastDone(ob, it.origin);
      }
  }
  let kept = 0;
  for (let k = 0; k < items.length; k++) {
    const it = items[k];
    if (it.bytes !== DELIVERED) items[kept++] = it;
  }
  items.length = kept;
  lanes.players -= playersSent;
  lanes.broadcasts -= broadcastsSent;
  st.deferred += kept;
  if (clock.over && kept > 0) st.timeLimited++;
  // The cost per frame, for the next step's estimate of what fits in the time (only over enough frames to mean something).
  if (ms > 0 && clock.frames >= DELIVERY_CLOCK_FRAMES) {
    const per = (performance.now() - start) / clock.frames;
    ob.frameMs = ob.frameMs > 0 ? ob.frameMs * 0.75 + per * 0.25 : per;
  }
  if (net.closing.length) {
    for (const s of net.closing) net.transport.close(s, s.closeCode, 'slow consumer');
    net.closing.length = 0;
  }
};
