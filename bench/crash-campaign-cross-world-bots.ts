/**
 * The `cross-world` window's load and ledger check (bench/crash-campaign-cross-world.ts). Each
 * identity is one token live in two worlds at once (`1` and `w2`: one player per world, one ledger):
 * a bot in each world buys potions as fast as answers come (`lanes` purchases in flight per bot, each
 * key retried with the same content until it has a definitive answer, across disconnects and
 * restarts), and every `replayEvery`th send is a settled key of either world sent again, whose first
 * answer must come back (same status, same seq). Coins are scarce (a small start grant plus admin
 * rewards), so both worlds decide near a zero balance, on the stale path of `Store.commitLedger`'s
 * `expect` (docs/DURABILITY.md, "Transactions: one ledger").
 */
import type { WorldtickClient } from '../src/client/client.js';
import type { TxResultMsg } from '../src/net/protocol.js';
import { connectPlayer, newPlayers, playerIdOf, type LoadControl, type PlayerState } from './crash-campaign-players.js';
import { admin, sleep } from './crash-campaign-server.js';
import type { LedgerRow } from './crash-campaign-store.js';

/** The two worlds every identity is live in. */
export const XW_WORLDS = ['1', 'w2'] as const;
/** The catalogue's potion price (src/ledger/world-ledger.ts): every purchase is potions at 10 coins. */
export const POTION_PRICE = 10;

/** One identity's bot in one world: what it was told, key by key. */
export interface XwBot extends PlayerState {
  worldId: string;
  /** The same identity's bot in the other world. */
  twin: XwBot | null;
  /** The key each lane waits an answer for (null: none). */
  lanes: Array<string | null>;
  /** Potions asked for, per key sent. */
  qty: Map<string, number>;
  /** Refusals told with a seq (recorded rows): key → seq. */
  refused: Map<string, number>;
  /** Refusals told without a row (`seq` null, past the refusal budget): never retried, never in the ledger. */
  unrecorded: Set<string>;
  /** The iteration (server life) each acked or recorded key was settled in. */
  settledIn: Map<string, number>;
  replays: { sent: number; otherWorld: number; earlierLife: number; refusals: number };
  /** The last purchase that got no answer: why (a timeout, an error message, the socket closed). */
  lastError?: string;
}

/** `n` identities (tokens `xw-player-<i>`), each a bot in world `1` (index 2i) and one in `w2` (2i + 1). */
export const newBots = (n: number, lanes: number): XwBot[] => {
  const bots: XwBot[] = [];
  for (let i = 0; i < n; i++) {
    const pair = XW_WORLDS.map(
      (worldId, w): XwBot => ({
        ...(newPlayers(1, 'xw-player-', 0)[0] as PlayerState),
        index: 2 * i + w,
        token: `xw-player-${i}`,
        worldId,
        twin: null,
        lanes: Array.from({ length: lanes }, () => null),
        qty: new Map(),
        refused: new Map(),
        unrecorded: new Set(),
        settledIn: new Map(),
        replays: { sent: 0, otherWorld: 0, earlierLife: 0, refusals: 0 },
      }),
    );
    const [a, b] = pair;
    if (a && b) [a.twin, b.twin] = [b, a];
    bots.push(...pair);
  }
  return bots;
};

/** How a bot runs: one settled key replayed every `replayEvery`th send (0: never); the seeded draw. */
export interface BotOptions {
  replayEvery: number;
  rand: (lo: number, hi: number) => number;
}

/** Run one bot until `ctl.draining` and no lane waits for an answer (or `ctl.abandon`). */
export const runBot = async (b: XwBot, ctl: LoadControl, o: BotOptions): Promise<void> => {
  const busy = (): boolean => b.lanes.some((k) => k !== null);
  while (!ctl.abandon && (!ctl.draining || busy())) {
    const c = await connectPlayer(b, ctl, ctl.port);
    if (!c) continue;
    await Promise.all(b.lanes.map((_, j) => runLane(b, j, c, ctl, o)));
    c.close();
  }
};

const runLane = async (b: XwBot, j: number, c: WorldtickClient, ctl: LoadControl, o: BotOptions): Promise<void> => {
  while (c.open && !ctl.abandon && (!ctl.draining || b.lanes[j] !== null)) {
    if (b.lanes[j] === null && !ctl.draining && o.replayEvery > 0 && b.next % o.replayEvery === o.replayEvery - 1) {
      b.next++;
      if (!(await replaySettled(c, b, ctl.iteration, o.rand))) return c.close();
      continue;
    }
    let key = b.lanes[j] ?? null;
    if (key === null) {
      const n = b.next++;
      key = `xw-${b.index}-${n}`;
      b.qty.set(key, 1 + (n % 2));
      b.lanes[j] = key;
    }
    let r: TxResultMsg;
    try {
      r = await c.purchase(key, 'potion', b.qty.get(key) ?? 1, POTION_PRICE, 4000);
    } catch (err) {
      b.lastError = (err as Error).message.slice(0, 200);
      return c.close(); // no answer: every lane reconnects, the same key again
    }
    if (r.code === 'TX_UNAVAILABLE') {
      await sleep(20);
      continue;
    }
    settle(b, key, r, ctl.iteration);
    b.lanes[j] = null;
    // A refusal is answered at once: a short seeded pause so refusals do not starve the other lanes and worlds.
    if (r.status !== 'ok') await sleep(o.rand(0, 5));
  }
  // Done (or the socket closed): the other lanes may still wait for answers on it; runBot closes it.
};

/** Record a definitive answer for `key`; an answer that contradicts an earlier one is a violation. */
const settle = (b: XwBot, key: string, r: TxResultMsg, iteration: number): void => {
  const seq = r.seq;
  if (r.status === 'ok' && seq !== null) {
    const before = b.acked.get(key);
    if (before !== undefined && before !== seq) b.violations.push(`key ${key} acknowledged with two seqs ${before} and ${seq}`);
    if (b.refused.has(key)) b.violations.push(`key ${key} refused (seq ${b.refused.get(key)}) then ok (seq ${seq})`);
    b.acked.set(key, seq);
  } else if (r.status === 'rejected' && r.code === 'TX_INSUFFICIENT_FUNDS') {
    if (b.acked.has(key)) b.violations.push(`key ${key} acknowledged (seq ${b.acked.get(key)}) then refused`);
    if (seq === null) b.unrecorded.add(key);
    else b.refused.set(key, seq);
  } else {
    b.violations.push(`unexpected result for ${key}: ${r.status} ${r.code} seq ${seq}`);
    return;
  }
  if (!b.settledIn.has(key) && seq !== null) b.settledIn.set(key, iteration);
};

/**
 * Send a settled key again — of this bot's or, half the time, of its twin's in the other world (the
 * key is the player's, whatever the world): an `ok` must come back `ok` with its seq, a recorded
 * refusal refused with its seq. False when no answer came (reconnect).
 */
export const replaySettled = async (
  c: WorldtickClient,
  b: XwBot,
  iteration: number,
  rand: (lo: number, hi: number) => number,
): Promise<boolean> => {
  const from = b.twin && rand(0, 1) < 0.5 ? b.twin : b;
  const keys = [...from.settledIn.keys()];
  const key = keys[Math.floor(rand(0, keys.length))];
  if (key === undefined) return true;
  let r: TxResultMsg;
  try {
    r = await c.purchase(key, 'potion', from.qty.get(key) ?? 1, POTION_PRICE, 4000);
  } catch {
    return false;
  }
  if (r.code === 'TX_UNAVAILABLE') return true;
  const ok = from.acked.get(key);
  const refused = from.refused.get(key);
  if (ok !== undefined && (r.status !== 'ok' || r.seq !== ok))
    b.violations.push(
      `replayed key ${key} (world ${from.worldId}) in ${b.worldId}: told ${r.status} ${r.code ?? ''} seq ${r.seq}, first ok seq ${ok}`,
    );
  if (refused !== undefined && (r.status !== 'rejected' || r.code !== 'TX_INSUFFICIENT_FUNDS' || r.seq !== refused))
    b.violations.push(
      `replayed key ${key} (world ${from.worldId}) in ${b.worldId}: told ${r.status} ${r.code ?? ''} seq ${r.seq}, first refused seq ${refused}`,
    );
  b.replays.sent++;
  if (from !== b) b.replays.otherWorld++;
  if ((from.settledIn.get(key) ?? iteration) < iteration) b.replays.earlierLife++;
  if (refused !== undefined) b.replays.refusals++;
  return true;
};

/** One identity's ledger as a kill left it. */
export interface IdentityFigures {
  token: string;
  okPurchases: number;
  recordedRefusals: number;
  potions: number;
  granted: number;
  spent: number;
  balance: number;
}

/**
 * Check the ledger (raw SQL, server dead) against what both bots of every identity were told:
 * every `ok` key once, with its seq; every recorded refusal once, refused, with its seq; no row for
 * a refusal told without one; no purchase row but of a key told or still waiting; potions bought
 * (ledger) between those acknowledged and those plus the waiting keys'; coins spent ≤ coins granted
 * (start grant, rewards) and no negative balance.
 */
export const checkCrossWorld = (
  ledger: readonly LedgerRow[],
  bots: readonly XwBot[],
): { violations: string[]; figures: IdentityFigures[] } => {
  const out: string[] = [];
  const figures: IdentityFigures[] = [];
  for (const a of bots) {
    const b = a.twin;
    if (!b || a.worldId !== XW_WORLDS[0]) continue;
    const pid = playerIdOf(a.token);
    const rows = ledger.filter((e) => e.playerId === pid);
    const byKey = new Map<string, LedgerRow[]>();
    for (const e of rows) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e]);
    const pending = new Set([...a.lanes, ...b.lanes].filter((k): k is string => k !== null));
    let acked = 0;
    let pendingPotions = 0;
    for (const bot of [a, b]) {
      for (const [key, seq] of bot.acked) {
        const found = byKey.get(key) ?? [];
        acked += bot.qty.get(key) ?? 0;
        if (found.length !== 1) out.push(`acked purchase ${key} of ${a.token} found ${found.length} times (LOST or DOUBLED)`);
        else if (found[0]?.seq !== seq || found[0]?.status !== 'ok')
          out.push(`acked purchase ${key}: told ok seq ${seq}, ledger has ${found[0]?.status} seq ${found[0]?.seq}`);
      }
      for (const [key, seq] of bot.refused) {
        const found = byKey.get(key) ?? [];
        if (found.length !== 1 || found[0]?.seq !== seq || found[0]?.status !== 'rejected')
          out.push(`recorded refusal ${key}: told seq ${seq}, ledger has ${JSON.stringify(found.map((e) => [e.status, e.seq]))}`);
      }
      for (const key of bot.unrecorded)
        if (byKey.has(key) && !pending.has(key)) out.push(`purchase ${key} refused without a row, yet in the ledger`);
      for (const key of bot.lanes) if (key !== null) pendingPotions += bot.qty.get(key) ?? 0;
    }
    let potions = 0;
    let granted = 0;
    let spent = 0;
    let balance = 0;
    let okPurchases = 0;
    for (const e of rows) {
      if (e.kind === 'purchase' && !a.acked.has(e.key) && !b.acked.has(e.key) && !a.refused.has(e.key) && !b.refused.has(e.key))
        if (!pending.has(e.key)) out.push(`purchase ${e.key} of ${a.token} committed (${e.status}) but never told nor waiting`);
      if (e.status !== 'ok') continue;
      balance += e.coinsDelta;
      if (e.coinsDelta > 0) granted += e.coinsDelta;
      if (e.kind !== 'purchase') continue;
      okPurchases++;
      spent -= e.coinsDelta;
      potions += e.quantity;
    }
    if (balance < 0) out.push(`${a.token}: ledger balance ${balance} < 0`);
    if (spent > granted) out.push(`${a.token}: spent ${spent} coins, granted only ${granted}`);
    if (acked * POTION_PRICE > granted) out.push(`${a.token}: ${acked} potions acknowledged cost more than the ${granted} coins granted`);
    if (potions < acked || potions > acked + pendingPotions)
      out.push(`${a.token}: ${potions} potions bought in the ledger, ${acked} acknowledged, ${pendingPotions} waiting`);
    figures.push({ token: a.token, okPurchases, recordedRefusals: a.refused.size + b.refused.size, potions, granted, spent, balance });
  }
  return { violations: out, figures };
};

interface RouteEntry {
  seq: number;
  worldId: string;
  key: string;
  status: string;
  coinsDelta: number;
  item: string | null;
  quantity: number;
}
type Held = { coins: number; items: Record<string, number>; appliedSeq: number };

/** How one bot's live wallet stands against the ledger (`GET …/ledger/players/{id}`, paged up to the wallet's watermark). */
export interface WalletStand {
  bot: string;
  appliedSeq: number;
  /** Differences from the `ok` entries up to the watermark (empty: none skipped, none extra). */
  wrong: string[];
  /** `ok` entries above the watermark committed by this world (its outbox delivers them) and by the other. */
  ownAbove: number;
  otherAbove: number;
  otherAboveCoins: number;
}

/** Ledger entries per read (the route's most). */
const PAGE = 10_000;

const standOf = async (adminPort: number, b: XwBot): Promise<WalletStand | null> => {
  const pid = encodeURIComponent(playerIdOf(b.token));
  const page = (afterSeq: number) =>
    admin(adminPort, 'GET', `/api/v1/worlds/${b.worldId}/ledger/players/${pid}?limit=${PAGE}&afterSeq=${afterSeq}`).catch(() => null);
  const r = await page(0);
  const live = r?.json?.live as Held | null | undefined;
  if (!live) return null;
  // The wallet is read before the first page's entries (it never shows one they lack); every entry up to its
  // watermark is committed already, so later pages only add to them. One page held all of a player's entries
  // until a campaign at 40,000 NPCs gave each more than 10,000 (chain rewards): the sum stopped short of the wallet.
  const entries = [...((r?.json?.entries ?? []) as RouteEntry[])];
  for (let last = entries.at(-1)?.seq ?? 0; entries.length % PAGE === 0 && entries.length > 0 && last <= live.appliedSeq; ) {
    const more = ((await page(last))?.json?.entries ?? []) as RouteEntry[];
    if (more.length === 0) break;
    entries.push(...more);
    last = entries.at(-1)?.seq ?? last;
  }
  const ok = entries.filter((e) => e.status === 'ok');
  const want = { coins: 0, items: {} as Record<string, number> };
  for (const e of ok) {
    if (e.seq > live.appliedSeq) continue;
    want.coins += e.coinsDelta;
    if (e.item !== null && e.quantity) want.items[e.item] = (want.items[e.item] ?? 0) + e.quantity;
  }
  const wrong = live.coins === want.coins ? [] : [`coins ${live.coins} (ledger ${want.coins})`];
  for (const k of new Set([...Object.keys(want.items), ...Object.keys(live.items)]))
    if ((want.items[k] ?? 0) !== (live.items[k] ?? 0)) wrong.push(`${k} ${live.items[k] ?? 0} (ledger ${want.items[k] ?? 0})`);
  const above = ok.filter((e) => e.seq > live.appliedSeq);
  const other = above.filter((e) => e.worldId !== b.worldId);
  if (wrong.length)
    wrong.push(
      `ok entries up to watermark ${live.appliedSeq}: ${ok
        .filter((e) => e.seq <= live.appliedSeq)
        .slice(-12)
        .map((e) => `${e.seq}:${e.key}@${e.worldId}(${e.coinsDelta}${e.item ? `,${e.item}+${e.quantity}` : ''})`)
        .join(' ')}`,
    );
  return {
    bot: `${b.token} in world ${b.worldId}`,
    appliedSeq: live.appliedSeq,
    wrong,
    ownAbove: above.length - other.length,
    otherAbove: other.length,
    otherAboveCoins: other.reduce((n, e) => n + e.coinsDelta, 0),
  };
};

/**
 * Each bot's LIVE wallet in its own world against the ledger up to that wallet's watermark: nothing
 * skipped below it (`GET /api/v1/ledger/verify` compared one live wallet per player before
 * 2026-12-03). With `waitMs`, also read until no `ok` entry of the bot's own world is above the
 * watermark (its outbox applies them within steps): one left after `waitMs` is a violation. Entries
 * the OTHER world committed above it are the documented lag (they reach this world's wallet with its
 * next commit for the player, or a rejoin): counted in `behind`, not a violation.
 */
export const walletsAgainstLedger = async (
  adminPort: number,
  bots: readonly XwBot[],
  waitMs = 0,
): Promise<{ violations: string[]; behind: WalletStand[] }> => {
  const out = { violations: [] as string[], behind: [] as WalletStand[] };
  for (const b of bots) {
    const until = Date.now() + waitMs;
    let s = await standOf(adminPort, b);
    while (s && !s.wrong.length && s.ownAbove > 0 && Date.now() < until) {
      await sleep(100);
      s = await standOf(adminPort, b);
    }
    if (!s) {
      if (waitMs) out.violations.push(`${b.token} in world ${b.worldId}: no live wallet`);
      continue;
    }
    if (s.wrong.length) out.violations.push(`${s.bot}: live wallet differs from the ledger up to its watermark: ${s.wrong.join('; ')}`);
    else if (waitMs && s.ownAbove)
      out.violations.push(`${s.bot}: ${s.ownAbove} ok entries of its own world above the watermark after ${waitMs} ms`);
    if (s.otherAbove) out.behind.push(s);
  }
  return out;
};
