/**
 * A headless capture-the-flag player on the documented client API (`worldtick/client`):
 *
 *   node --import tsx examples/ctf/bot.ts --url ws://127.0.0.1:7700 --name alice [--token T] [--seconds 60]
 *
 * It joins world "1", runs to the enemy flag, sends `pickup`, carries the flag home, and prints
 * what the game tells it as JSON lines: captures and round ends (the game's `captured` and
 * `round-ended` server messages, with the scoreboard the view already shows at that point) and its
 * wallet after a round reward (`wallet` messages).
 * {@link decide} is the bot's brain, a pure function of the client's view (the tests use it too).
 */
import WebSocket from 'ws';
import { MsgType, type EntityView, type ViewEntity, WorldtickClient } from '../../src/client/index.js';
import {
  BASES,
  BOARD_KIND,
  CAPTURED,
  type CapturedPayload,
  FLAG_KIND,
  PICKUP_RADIUS,
  ROUND_ENDED,
  type RoundEndedPayload,
} from './rules.js';

/** What the bot does next: a movement direction and, maybe, the flag to pick up. */
export interface Decision {
  moveX: number;
  moveY: number;
  pickup: number | null;
}

const toward = (from: ViewEntity, x: number, y: number, stopAt: number): Decision => {
  const dx = x - from.x,
    dy = y - from.y,
    d = Math.hypot(dx, dy);
  return d <= stopAt ? { moveX: 0, moveY: 0, pickup: null } : { moveX: dx / d, moveY: dy / d, pickup: null };
};

/**
 * Decide from the view: carrying a flag → home; else → the enemy flag, and `pickup` once within
 * reach (a margin inside {@link PICKUP_RADIUS}: the view's positions are quantised).
 */
export const decide = (view: EntityView, playerId: number): Decision => {
  const me = view.entities.get(playerId);
  const team = me?.fields?.team;
  if (!me || (team !== 1 && team !== 2)) return { moveX: 0, moveY: 0, pickup: null };
  if (me.fields?.carrying) return toward(me, BASES[team].x, BASES[team].y, 1);
  let flag: ViewEntity | undefined;
  for (const e of view.entities.values()) if (e.kind === FLAG_KIND && e.fields?.team !== team) flag = e;
  if (!flag) return { moveX: 0, moveY: 0, pickup: null };
  const go = toward(me, flag.x, flag.y, PICKUP_RADIUS - 1);
  return go.moveX === 0 && go.moveY === 0 && !flag.fields?.carrier ? { ...go, pickup: flag.id } : go;
};

/** The scoreboard's fields in the view (round, red, blue, endsAt, winner), or null before it arrived. */
export const scoreboard = (view: EntityView): Record<string, number> | null => {
  for (const e of view.entities.values()) if (e.kind === BOARD_KIND && e.fields) return e.fields;
  return null;
};

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? (process.argv[i + 1] ?? fallback) : fallback;
};

const main = async (): Promise<void> => {
  const url = arg('url', 'ws://127.0.0.1:7700');
  const name = arg('name', 'bot');
  const client = new WorldtickClient({ url, WebSocket });
  await client.connect();
  const welcome = await client.join('1', name, arg('token', name));
  const out = (o: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
  out({ joined: name, playerId: welcome.playerId });
  let last: Decision = { moveX: 0, moveY: 0, pickup: null };
  let pickupAt = -Infinity;
  // The game's announcements: each follows the snapshot of its step, so the view already shows the new scoreboard.
  client.onMessage<CapturedPayload>(CAPTURED, (p, m) => out({ step: m.step, captured: p, board: scoreboard(client.view) }));
  client.onMessage<RoundEndedPayload>(ROUND_ENDED, (p, m) => out({ step: m.step, roundEnded: p, board: scoreboard(client.view) }));
  client.on((m) => {
    if (m.type === MsgType.WALLET) out({ wallet: m.coins });
    if (m.type === MsgType.ERROR) out({ error: m.code, message: m.message });
    if (m.type !== MsgType.SNAPSHOT) return;
    const d = decide(client.view, welcome.playerId);
    // Send input only when the direction changes (inputs count against the 60/s rate limit).
    if (d.moveX !== last.moveX || d.moveY !== last.moveY) client.sendInput(d.moveX, d.moveY);
    if (d.pickup !== null && m.step - pickupAt >= 10) {
      client.sendMessage('pickup', { flag: d.pickup });
      pickupAt = m.step;
    }
    last = d;
  });
  const seconds = Number(arg('seconds', '60'));
  await new Promise((r) => setTimeout(r, seconds * 1000));
  client.close();
  await client.closed();
};

if (import.meta.url === `file://${process.argv[1]}`) void main();
