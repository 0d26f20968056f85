/**
 * A capture-the-flag client as a studio would write it, on the documented client API only
 * (`worldtick/client`, docs/PROTOCOL.md, docs/GAME-API.md):
 *
 *   node --import tsx examples/ctf/client-walk.ts --url ws://127.0.0.1:7700 --name alice [--token alice] [--seconds 60]
 *
 * It connects, joins world "1", plays with the bot's brain (`decide`: run to the enemy flag, send
 * `pickup`, carry it home), prints what it sees as text (its view every `renderEvery` steps, the
 * game's `captured` / `round-ended` messages, its wallet), and stays in the game: when the socket
 * drops (the server stopped with SIGTERM, close 1001; killed, 1006; or restarting so a connect is
 * refused; or silent: a link that died without closing) it reconnects with exponential backoff and resumes its session with the last resume
 * token (a durable store keeps it across a restart: the same player, the same wallet). It stops
 * for good on the close codes after which the docs say not to reconnect (`reconnectAdvice`).
 */
import WebSocket from 'ws';
import {
  ErrorCode,
  isWorldtickError,
  MsgType,
  reconnectAdvice,
  type EntityView,
  type ViewEntity,
  type WebSocketCtor,
  type WelcomeMsg,
  WorldtickClient,
} from '../../src/client/index.js';
import { type Decision, decide } from './bot.js';
import { BOARD_KIND, CAPTURED, type CapturedPayload, FLAG_KIND, ROUND_ENDED, type RoundEndedPayload } from './rules.js';

export interface WalkOptions {
  url: string;
  name: string;
  /** The player's identity (hello `token`); default the name. */
  token?: string;
  worldId?: string;
  /** A resume token kept from an earlier run (e.g. in local storage); default none. */
  resumeToken?: string | null;
  WebSocket?: WebSocketCtor;
  /** Reconnect backoff: first wait and cap, wall ms (doubled per failed attempt). Default 100 and 2,000. */
  backoffMs?: { first: number; max: number };
  /** Failed attempts in a row before giving up (default 60). */
  maxAttempts?: number;
  /** Give the socket up as lost after this many wall ms without a server message (default 3,000; `silenceTimeoutMs`). */
  silenceTimeoutMs?: number;
  /** Print the view every this many steps (default 20). */
  renderEvery?: number;
  /** Where text lines go (default stdout). */
  print?: (line: string) => void;
}

/** What the walk knows, as a player would: its session and what the game told it. */
export interface WalkState {
  /** Every welcome received, in order (the first join and each resume). */
  welcomes: WelcomeMsg[];
  /** The resume token of the current session (stored by the caller to survive the client's own restart). */
  resumeToken: string | null;
  captures: CapturedPayload[];
  rounds: RoundEndedPayload[];
  /** Wire error codes received (e.g. `RESUME_REFUSED`). */
  errors: string[];
  /** Close codes seen, in order. */
  closes: number[];
  /** What a renderer's sprite table would hold, kept from the client's `onView` changes alone: id → label. */
  sprites: Map<number, string>;
  /** Why the walk stopped for good (a close code's advice, a refused join, too many attempts), or null while it runs. */
  stopped: string | null;
}

const fmt = (n: number): string => n.toFixed(1);

/** A short text label of a view entity. */
const label = (e: ViewEntity): string => {
  const kind = e.kind === FLAG_KIND ? 'flag' : e.kind === BOARD_KIND ? 'board' : 'player';
  return `${kind} #${e.id} (${fmt(e.x)},${fmt(e.y)})`;
};

/** One text line of the view: own player first, then flags, then the scoreboard, then other players. */
export const renderView = (view: EntityView, playerId: number): string => {
  const parts: string[] = [`step ${view.step}`];
  const me = view.entities.get(playerId);
  parts.push(
    me ? `me #${me.id} (${fmt(me.x)},${fmt(me.y)}) team ${me.fields?.team ?? '?'} carrying ${me.fields?.carrying ?? 0}` : 'me: not in view',
  );
  for (const e of view.entities.values()) {
    if (e.id === playerId) continue;
    if (e.kind === FLAG_KIND)
      parts.push(`flag #${e.id} team ${e.fields?.team} (${fmt(e.x)},${fmt(e.y)}) carrier ${e.fields?.carrier ?? 0}`);
    else if (e.kind === BOARD_KIND) parts.push(`board round ${e.fields?.round} red ${e.fields?.red} blue ${e.fields?.blue}`);
    else parts.push(`player #${e.id} (${fmt(e.x)},${fmt(e.y)}) team ${e.fields?.team ?? '?'}`);
  }
  return parts.join(' | ');
};

/** A running walk: its state, its client, and how to stop it. */
export interface Walk {
  readonly state: WalkState;
  readonly client: WorldtickClient;
  /** Resolves with the first welcome (rejects when the first join fails for good). */
  readonly joined: Promise<WelcomeMsg>;
  /** Resolves when the walk stopped (by `stop()` or for good). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Start a walk; it runs until `stop()` or until the server ends it for good. */
export const walk = (o: WalkOptions): Walk => {
  const print = o.print ?? ((l: string) => void process.stdout.write(`${l}\n`));
  const worldId = o.worldId ?? '1';
  const token = o.token ?? o.name;
  const first = o.backoffMs?.first ?? 100;
  const max = o.backoffMs?.max ?? 2000;
  const maxAttempts = o.maxAttempts ?? 60;
  const every = o.renderEvery ?? 20;
  const client = new WorldtickClient({
    url: o.url,
    WebSocket: o.WebSocket ?? (WebSocket as unknown as WebSocketCtor),
    silenceTimeoutMs: o.silenceTimeoutMs ?? 3000,
  });
  const state: WalkState = {
    welcomes: [],
    resumeToken: o.resumeToken ?? null,
    captures: [],
    rounds: [],
    errors: [],
    closes: [],
    sprites: new Map(),
    stopped: null,
  };
  let stopping = false;
  let last: Decision = { moveX: 0, moveY: 0, pickup: null };
  let pickupAt = -Infinity;

  // Sprites: created on enter, moved on update, destroyed on leave (a welcome destroys every old one).
  client.onView((ch) => {
    for (const id of ch.left) state.sprites.delete(id);
    for (const e of ch.entered) state.sprites.set(e.id, label(e));
    for (const e of ch.updated) state.sprites.set(e.id, label(e));
    if (ch.entered.length + ch.left.length > 0)
      print(`step ${ch.step} view: +${ch.entered.length} -${ch.left.length} = ${state.sprites.size} entities`);
  });
  client.onMessage<CapturedPayload>(CAPTURED, (p, m) => {
    state.captures.push(p);
    print(`step ${m.step} captured: player #${p.player} team ${p.team} → red ${p.red} blue ${p.blue}`);
  });
  client.onMessage<RoundEndedPayload>(ROUND_ENDED, (p, m) => {
    state.rounds.push(p);
    print(`step ${m.step} round ${p.round} ended: winner ${p.winner} (red ${p.red} blue ${p.blue})`);
  });
  client.on((m) => {
    if (m.type === MsgType.WALLET) print(`wallet ${m.coins} coins ${JSON.stringify(m.items)}`);
    else if (m.type === MsgType.ERROR) {
      state.errors.push(m.code);
      print(`error ${m.code}: ${m.message}`);
    } else if (m.type === MsgType.SNAPSHOT) {
      const me = client.welcome?.playerId ?? 0;
      if (m.step % every === 0) print(renderView(client.view, me));
      const d = decide(client.view, me);
      // Send input only when the direction changes (inputs count against the rate limit).
      if (d.moveX !== last.moveX || d.moveY !== last.moveY) client.sendInput(d.moveX, d.moveY);
      if (d.pickup !== null && m.step - pickupAt >= 10) {
        client.sendMessage('pickup', { flag: d.pickup });
        pickupAt = m.step;
      }
      last = d;
    }
  });

  let resolveJoined: (w: WelcomeMsg) => void = () => {};
  let rejectJoined: (e: unknown) => void = () => {};
  const joined = new Promise<WelcomeMsg>((res, rej) => {
    resolveJoined = res;
    rejectJoined = rej;
  });
  joined.catch(() => {}); // the caller may only await `done`

  const giveUp = (why: string, err?: unknown): void => {
    state.stopped = why;
    print(`stopped: ${why}`);
    rejectJoined(err ?? new Error(why));
  };

  const run = async (): Promise<void> => {
    for (let failed = 0; !stopping; ) {
      try {
        await client.connect();
        const w = await client.join(worldId, o.name, token, state.resumeToken);
        failed = 0;
        state.welcomes.push(w);
        state.resumeToken = w.resumeToken;
        // A parked or restored player stands still (velocity 0): send the direction again.
        last = { moveX: 0, moveY: 0, pickup: null };
        print(`${w.resumed ? 'resumed' : 'joined'} as #${w.playerId} (session ${w.sessionId})`);
        resolveJoined(w);
        await client.closed();
        if (stopping) return;
        state.closes.push(client.closeCode);
        const advice = reconnectAdvice(client.closeCode);
        print(`closed ${client.closeCode} ${client.closeReason}: ${advice}`);
        if (advice === 'stop') return giveUp(`closed ${client.closeCode} ${client.closeReason}`.trim());
        if (advice === 'later') await sleep(max); // the server asked to wait (full, maintenance, limited)
      } catch (err) {
        if (stopping) return;
        // A refused hello is followed by the server's close: its code says whether to try again.
        if (isWorldtickError(err, ErrorCode.CLIENT_JOIN_REFUSED)) {
          await client.closed();
          if (reconnectAdvice(client.closeCode) === 'stop') return giveUp(err.message, err);
        }
        failed++;
        print(`${err instanceof Error ? err.message : String(err)} (attempt ${failed})`);
        if (failed >= maxAttempts) return giveUp(`gave up after ${failed} attempts`, err);
        if (client.open) client.close();
        await sleep(Math.min(max, first * 2 ** (failed - 1)));
      }
    }
  };
  const done = run();
  return {
    state,
    client,
    joined,
    done,
    stop: async () => {
      stopping = true;
      client.close(1000, 'bye');
      await done;
    },
  };
};

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? (process.argv[i + 1] ?? fallback) : fallback;
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const name = arg('name', 'walker');
  const w = walk({ url: arg('url', 'ws://127.0.0.1:7700'), name, token: arg('token', name) });
  const seconds = Number(arg('seconds', '60'));
  void Promise.race([w.done, sleep(seconds * 1000)]).then(() => w.stop());
}
