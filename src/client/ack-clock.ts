import type { ClientStats, LatencySink } from './types.js';

/**
 * The input acknowledgement round trip: when each input `seq` was sent (a ring of the last 256), and
 * the wall ms from sending an input to the first snapshot acking it. Pure data and functions; {@link frameReceived} also counts a frame's update latency.
 */
const ACK_RING = 256;

export interface AckClock {
  readonly seq: Float64Array;
  readonly at: Float64Array;
  /** Highest ack seen. */
  last: number;
}

export const createAckClock = (): AckClock => ({ seq: new Float64Array(ACK_RING), at: new Float64Array(ACK_RING), last: 0 });

/** Input `seq` was sent at `now` (ms). */
export const inputSent = (c: AckClock, seq: number, now: number): void => {
  c.seq[seq % ACK_RING] = seq;
  c.at[seq % ACK_RING] = now;
};

/** A frame acked `ack` at `now`: the round trip of that input when it is newly acked and still in the ring, else null. */
export const ackReceived = (c: AckClock, ack: number, now: number): number | null => {
  if (ack <= c.last) return null;
  c.last = ack;
  const k = ack % ACK_RING;
  return c.seq[k] === ack ? now - (c.at[k] ?? now) : null;
};

/** A snapshot or region frame sent at `sendTime` acking `ack` arrived at `now`: count it, record the gap since the last, its update latency and the ack round trip. */
export const frameReceived = (
  c: AckClock,
  stats: ClientStats,
  sink: LatencySink | undefined,
  sendTime: number,
  ack: number,
  now: number,
): void => {
  stats.snapshots++;
  if (stats.lastSnapshotAt > 0) sink?.gap?.(now - stats.lastSnapshotAt);
  stats.lastSnapshotAt = now;
  const lat = now - sendTime;
  stats.lastLatencyMs = lat;
  sink?.update(lat);
  const rtt = ackReceived(c, ack, now);
  if (rtt === null) return;
  stats.lastAckRttMs = rtt;
  sink?.ack(rtt);
};

/** The ack of player `me` in a region frame's `acks` (`[playerId, seq, ...]`), 0 when absent. */
export const regionAck = (acks: readonly number[], me: number): number => {
  let ack = 0;
  for (let i = 0; i + 1 < acks.length; i += 2) if (acks[i] === me) ack = acks[i + 1] ?? 0;
  return ack;
};
