/**
 * The traffic a bot fleet sends while it runs (src/bots/bot-fleet.ts): movement inputs on a timer
 * (the crowd scenario's seeded stream, or a random walk) and the purchase-storm's purchases, with
 * the tally of purchase answers. The timers walk the fleet's live slots on every tick, so bots
 * joining or leaving meanwhile are picked up without re-arming anything.
 */
import { crowdBotMove } from '../scenarios/crowd.js';
import { nextFloat, type Prng } from '../core/prng.js';
import { recordMs, type LatencyHistogram } from './histogram.js';
import type { GroupStats } from './groups.js';
import type { BotScenario } from './scenarios.js';

/** What the fleet needs of a bot (full client or light bot). */
export interface FleetBot {
  readonly open: boolean;
  readonly closeCode: number;
  /** `ignoredFrames`: frames the bot could not read (not msgpack; a full client's malformed snapshot or region rows). */
  readonly stats: { snapshots: number; bytesIn: number; errors: number; ignoredFrames: number };
  sendInput(moveX: number, moveY: number): unknown;
  /** Resolves with the txResult (code null = ok); rejects on timeout. */
  purchase(key: string, item: string, quantity: number, expectedPrice: number): Promise<{ code: string | null }>;
  close(): void;
  /** Leave on purpose (docs/PROTOCOL.md "Leaving"): the server removes the player at its next step, never parked. */
  leave(): unknown;
  /** Full clients only. */
  view?: { inconsistencies: number };
}

/** One joined bot of the fleet and what the fleet tracks of it. */
export interface FleetSlot {
  bot: FleetBot;
  /** The bot's group (active / idle player, or its non-player class). */
  group: GroupStats;
  /** Sends no input: an idle player, or a spectator of `spectatorShare`. */
  silent: boolean;
  /** Global bot index (crowd input stream). */
  index: number;
  /** Inputs sent so far (crowd input draw counter). */
  inputs: number;
  /** performance.now() when it joined. */
  since: number;
  /** Reconnecting after a move of its world (src/bots/follow-moves.ts): sends nothing until it is back. */
  moving?: boolean;
  /** Closed by the scenario (churn): a move is no longer followed. */
  left?: boolean;
}

/** Purchases of the measured window: how many were sent, their round trips (wall ms) and answers by code. */
export interface PurchaseTally {
  sent: number;
  /** Purchases sent in all (measured or not): the idempotency-key counter. */
  seq: number;
  readonly latency: LatencyHistogram;
  /** Answers by code (`ok`, a WT_ERR code, or `timeout`). */
  readonly codes: Record<string, number>;
  /** Counted purchases not answered yet (each settles: an answer, or the bot's timeout / close). */
  readonly inFlight: Set<Promise<void>>;
}

/**
 * Wait for every counted purchase still in flight to be answered (or to time out: the bot's own
 * purchase timeout bounds the wait), so `sent` equals the sum of `codes` however slowly a loaded
 * server commits.
 */
export const settlePurchases = async (tally: PurchaseTally): Promise<void> => {
  while (tally.inFlight.size > 0) await Promise.all([...tally.inFlight]);
};

/**
 * Start the input timer. Crowd: a 100 ms tick, each bot once per second (bot i on ticks where
 * tick mod 10 = i mod 10), its k-th move from the seeded crowd stream. Others: a random walk at
 * `inputHz` ticks per bot (each bot moves on half its ticks, drawn from `rng`), the bots' ticks
 * staggered over the period in slices of about 50 ms. Null when nothing is sent.
 */
export const startInputTimer = (
  scenario: BotScenario,
  alive: readonly FleetSlot[],
  crowdSeed: number,
  inputHz: number,
  rng: Prng,
  send: (s: FleetSlot, x: number, y: number) => void,
): NodeJS.Timeout | null => {
  if (scenario === 'crowd') {
    const move = { x: 0, y: 0 };
    let tick = 0;
    return setInterval(() => {
      const phase = tick++ % 10;
      for (const s of alive) {
        if (!s.bot.open || s.moving || s.index % 10 !== phase) continue;
        crowdBotMove(crowdSeed, s.index, s.inputs, move);
        send(s, move.x, move.y);
      }
    }, 100);
  }
  if (inputHz <= 0) return null;
  // Staggered like the crowd's: each bot keeps its period (1 / inputHz s), but a tick of at most
  // ~50 ms serves only the bots whose index falls in its slice, so the inputs of thousands of bots
  // are not written in one burst that would hold up the reading of snapshots behind it.
  const period = 1000 / inputHz;
  const slices = Math.max(1, Math.round(period / 50));
  let tick = 0;
  return setInterval(() => {
    const phase = tick++ % slices;
    for (const s of alive) {
      if (!s.bot.open || s.moving || s.index % slices !== phase || nextFloat(rng) > 0.5) continue;
      const a = nextFloat(rng) * Math.PI * 2;
      send(s, Math.cos(a), Math.sin(a));
    }
  }, period / slices);
};

/**
 * Purchases one bot sends on one 100 ms tick at `purchaseHz` per second: ⌊hz/10⌋, plus one more with
 * probability hz/10 − ⌊hz/10⌋ (one draw from `rng` per call), so the mean is hz/10 at any rate.
 */
export const purchasesPerTick = (purchaseHz: number, rng: Prng): number => {
  const whole = Math.floor(purchaseHz / 10);
  return whole + (nextFloat(rng) < purchaseHz / 10 - whole ? 1 : 0);
};

/**
 * Start the purchase-storm timer: on a 100 ms tick each bot buys {@link purchasesPerTick} arrows
 * (catalogue price 1, one purchase each), each under a unique idempotency key. Only purchases sent
 * while `measuring()` is true are counted in `tally`. Null when `purchaseHz` is not positive.
 */
export const startPurchaseTimer = (
  alive: readonly FleetSlot[],
  purchaseHz: number,
  rng: Prng,
  measuring: () => boolean,
  tally: PurchaseTally,
): NodeJS.Timeout | null => {
  if (purchaseHz <= 0) return null;
  const keyBase = `storm-${process.pid}-${Date.now().toString(36)}`;
  const timer = setInterval(() => {
    for (const s of alive) {
      if (!s.bot.open || s.moving) continue;
      for (let n = purchasesPerTick(purchaseHz, rng); n > 0; n--) buy(s);
    }
  }, 100);
  /** One purchase of `s`, counted in `tally` when sent in the window. */
  const buy = (s: FleetSlot): void => {
    const counted = measuring();
    if (counted) tally.sent++;
    const t = performance.now();
    const answered = s.bot.purchase(`${keyBase}-${tally.seq++}`, 'arrow', 1, 1).then(
      ({ code }) => {
        if (!counted) return;
        recordMs(tally.latency, performance.now() - t);
        const k = code ?? 'ok';
        tally.codes[k] = (tally.codes[k] ?? 0) + 1;
      },
      () => {
        if (counted) tally.codes.timeout = (tally.codes.timeout ?? 0) + 1;
      },
    );
    if (!counted) return;
    tally.inFlight.add(answered);
    void answered.then(() => tally.inFlight.delete(answered));
  };
  return timer;
};
