/**
 * What the client keeps from each decoded server message (src/client/client.ts calls it before its
 * listeners run, so they see the state with the message applied): the view, the last snapshot and
 * region frame, the wallet, and the bounded logs of events, game messages and errors.
 */
import type {
  ErrorMsg,
  EventMsg,
  GameMessageMsg,
  RedirectMsg,
  RegionMsg,
  ServerMsg,
  SnapshotMsg,
  WalletMsg,
  WelcomeMsg,
} from '../net/protocol.js';
import type { Unpackr } from 'msgpackr';
import { parseServerFrame } from '../net/protocol-parse.js';
import { type AckClock, frameReceived, regionAck } from './ack-clock.js';
import type { ClientStats, LatencySink } from './types.js';
import { applyRegion, applySnapshot, createView, type EntityView } from './view.js';

/** How many events, game messages and errors the client keeps (the first ones; listeners see all). */
const KEEP = 1000;

/** The client's state a server message changes (the public fields of `WorldtickClient`). */
export interface ClientState {
  url: string;
  lastRedirect: RedirectMsg | null;
  view: EntityView;
  welcome: WelcomeMsg | null;
  lastSnapshot: SnapshotMsg | null;
  lastRegion: RegionMsg | null;
  wallet: WalletMsg | null;
  readonly errors: ErrorMsg[];
  readonly events: EventMsg[];
  readonly messages: GameMessageMsg[];
  readonly stats: ClientStats;
}

/** Apply server message `m` received at `now` (wall ms) to `c`. */
export const applyServerMessage = (c: ClientState, m: ServerMsg, acks: AckClock, sink: LatencySink | undefined, now: number): void => {
  switch (m.type) {
    case 16:
      c.welcome = m;
      c.view = createView(m.positionScale, m.fields);
      break;
    case 17:
      applySnapshot(c.view, m);
      c.lastSnapshot = m;
      frameReceived(acks, c.stats, sink, m.sendTime, m.ack, now);
      break;
    case 24: {
      // A shared region frame: the view is the frame filtered to this player (docs/PROTOCOL.md "region").
      const me = c.welcome?.playerId ?? -1;
      applyRegion(c.view, m, me);
      c.lastRegion = m;
      frameReceived(acks, c.stats, sink, m.sendTime, regionAck(m.acks, me), now);
      break;
    }
    case 18:
      c.stats.events++;
      if (c.events.length < KEEP) c.events.push(m);
      break;
    case 25:
      c.stats.gameMessages++;
      if (c.messages.length < KEEP) c.messages.push(m);
      break;
    case 20:
      c.stats.errors++;
      if (c.errors.length < KEEP) c.errors.push(m);
      break;
    case 23:
      // Cluster: another instance owns the world — before the welcome (join follows it) or after it (a
      // migration's, before its close 4014): reconnects go to the owner, with this ticket.
      c.lastRedirect = m;
      c.url = m.url;
      break;
    case 22:
      c.wallet = m;
      break;
    case 21:
      // A purchase's own answer carries the balance after it (both nil while the wallet catches up).
      if (m.coins !== null && m.items !== null)
        c.wallet = { type: 22, coins: m.coins, items: m.items, appliedSeq: Math.max(c.wallet?.appliedSeq ?? 0, m.seq ?? 0) };
      break;
  }
};

/** A server frame's bytes decoded (msgpack) and checked (src/net/protocol-parse.ts), or null when they are not a server message. */
export const decodeServerFrame = (dec: Unpackr, bytes: Uint8Array): ServerMsg | null => {
  try {
    return parseServerFrame(dec.unpack(bytes));
  } catch {
    return null;
  }
};
