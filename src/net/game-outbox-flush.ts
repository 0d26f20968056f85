/**
 * Delivery of a world's queued game server messages (src/net/game-outbox.ts) in the replicate
 * phase, after the step's snapshots and events: in queue order, to one player's session, to the
 * sessions whose interest radius holds a point, or to every joined session.
 */
import { CloseCode } from '../errors.js';
import { OutboxTarget, type GameOutboxStats } from './game-outbox.js';
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

/**
 * Deliver the world's queued messages in order (the replicate phase, after snapshots and events),
 * at most `net.maxGameMessageDeliveriesPerStep` frames (a message is delivered whole or waits: a
 * broadcast counts one per session; the first message of a step always goes), and drop the
 * delivered ones from the queue; the rest wait for the next step. Sessions whose socket dropped a
 * frame are closed afterwards (4008).
 */
export const flushGameMessages = (world: ReplicationWorld, net: WorldNet): void => {
  const ob = world.game?.outbox;
  if (!ob || ob.items.length === 0) return;
  const st = ob.stats,
    items = ob.items,
    sessions = net.sessions;
  const { Position } = world.stores;
  const budget = net.config.maxGameMessageDeliveriesPerStep;
  let used = 0,
    k = 0;
  for (; k < items.length; k++) {
    const it = items[k];
    // Whole messages only: a broadcast may reach every session (an upper bound, not a count).
    const need = it.target === OutboxTarget.PLAYER ? 1 : sessions.length;
    if (budget > 0 && used > 0 && used + need > budget) break;
    used += need;
    if (it.target === OutboxTarget.PLAYER) {
      const s = net.byPlayer.get(it.player);
      if (s !== undefined && open(s) && s.conn.id === it.session) deliver(net, st, s, it.bytes);
      else st.undelivered++;
      continue;
    }
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
  }
  if (k === items.length) items.length = 0;
  else {
    items.splice(0, k);
    st.deferred += items.length;
  }
  if (net.closing.length) {
    for (const s of net.closing) net.transport.close(s, s.closeCode, 'slow consumer');
    net.closing.length = 0;
  }
};
