/**
 * Game-defined client messages at the edge (`[5, name, payload]`, docs/PROTOCOL.md): look the
 * name up in the world's game slot, check the payload against the message's schema, and push it
 * as an ingest fact keyed by the sender's player. The fact is applied inside the next step by
 * the handler the game defined (src/game/world.ts); nothing here touches the world's state.
 */
import { hasComponent, type World } from 'bitecs';
import type { WorldCore } from '../core/world-core.js';
import { WireErrorCode } from '../errors.js';
import type { GameMessageOutcome, GameSlot } from '../game/slot.js';
import type { IngestSlot } from '../ingest/ingest-buffers.js';

/** One buffered game message: the sender (to drop messages of a previous owner of the entity) and the checked payload. */
export interface GameMessageFact {
  session: number;
  payload: unknown;
}

const OK: GameMessageOutcome = { ok: true };

/** What a session's fair share of the game-message buffers is counted on (src/net/session.ts). */
export interface GameMessageQuota {
  /** Sessions of the world now (the buffer is shared among them). */
  sessions: number;
  /** The sender's counter: messages pushed while the world's clock was at `gameMsgStep`. */
  holder: { gameMsgStep: number; gameMsgCount: number };
}

/**
 * Check and buffer one game message of session `session` (player entity `player`, or -1 while
 * the join is not applied yet: a valid message is then refused with `NOT_JOINED`, no strike). A name the
 * world's game does not define is `UNKNOWN_TYPE`, a payload its schema refuses is `BAD_FIELD`;
 * both with a strike. A valid message from a camera (the player entity has the `Spectator` tag) is
 * `SPECTATOR_REFUSED` (no strike) unless its definition says `spectators: true`. A full buffer drops by the message's policy (counted), as movement input does.
 */
export const pushGameMessage = (
  world: World<WorldCore & IngestSlot & GameSlot>,
  player: number,
  session: number,
  name: string,
  payload: unknown,
  quota: GameMessageQuota | null = null,
): GameMessageOutcome => {
  const game = world.game;
  const entry = game?.messages.get(name);
  if (!game || !entry) {
    if (game) game.counters.refused++;
    return { ok: false, code: WireErrorCode.UNKNOWN_TYPE, message: "this world's game defines no game message of that name", strike: true };
  }
  const problem = entry.check(payload);
  if (problem !== null) {
    game.counters.refused++;
    return { ok: false, code: WireErrorCode.BAD_FIELD, message: `${name}: ${problem}`, strike: true };
  }
  // Checked before the join state, so the answer to a bad message never depends on timing.
  if (player < 0)
    return { ok: false, code: WireErrorCode.NOT_JOINED, message: 'wait for welcome before sending game messages', strike: false };
  // A camera (Spectator tag: a spectator or observer session, by default chosen by the client's own
  // token) is seen by no other client and is no body: it does not act unless the message says so.
  if (!entry.spectators && hasComponent(world, player, world.stores.Spectator)) {
    game.counters.refused++;
    return {
      ok: false,
      code: WireErrorCode.SPECTATOR_REFUSED,
      message: `${name}: not accepted from a spectator session`,
      strike: false,
    };
  }
  // Fair share: a message buffer (a queue that drops its oldest when full) is shared by every
  // session of the world, so one client's burst (or a few dozen sockets bursting at once) would
  // evict other players' messages. Each session may have at most capacity / sessions game
  // messages waiting for the next step; past that, its own message is refused instead.
  if (quota && entry.capacity !== undefined) {
    const h = quota.holder;
    const step = world.clock.step;
    if (h.gameMsgStep !== step) {
      h.gameMsgStep = step;
      h.gameMsgCount = 0;
    }
    const share = Math.max(1, Math.floor(entry.capacity / Math.max(1, quota.sessions)));
    if (h.gameMsgCount >= share) {
      game.counters.dropped++;
      return {
        ok: false,
        code: WireErrorCode.RATE_LIMITED,
        message: `more than your share (${share}) of game messages waiting for the next step`,
        strike: false,
      };
    }
    h.gameMsgCount++;
  }
  const fact: GameMessageFact = { session, payload };
  const out = world.ingest.push(entry.ingestType, player, fact);
  if (out === 'dropped' || out === 'rejected') game.counters.dropped++;
  else game.counters.accepted++;
  return OK;
};
