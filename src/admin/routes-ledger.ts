/**
 * Ledger routes (docs/ADMIN.md, "Transactions"): a player's ledger, recent transactions, server
 * rewards, and the consistency check that recomputes every balance from the ledger.
 *
 *   GET  /api/v1/ledger/verify                      verification over every world (0 mismatches expected)
 *   GET  /api/v1/worlds/:id/ledger                  stats and recent transactions of a world
 *   GET  /api/v1/worlds/:id/ledger/players/:player  a player's entries, ledger balance and live wallet
 *   POST /api/v1/worlds/:id/ledger/rewards          grant { playerId, key, coins?, item?, quantity? }
 */
import { worldNotFound } from '../errors.js';
import type { LoopRunner } from '../loop/loop-runner.js';
import { verifyLedger, type VerifyReport } from '../ledger/verify.js';
import { intactAmounts, type HeldBalance } from '../ledger/apply.js';
import { KEY_PATTERN, MAX_REWARD_COINS } from '../ledger/decide.js';
import { grantReward, liveWallets, walletOf, worldLedgerStats } from '../ledger/world-ledger.js';
import type { Store } from '../store/types.js';
import type { SimWorld } from '../world/sim-world.js';
import { badRequest } from './http-errors.js';
import type { AdminRequest, Route } from './router.js';
import { strictQuery } from './world-query.js';

/** Options of {@link ledgerRoutes}. */
export interface LedgerRoutesOptions {
  runner: LoopRunner;
  /** The durable store (null: routes answer 503). */
  store: () => Store | null;
  /** Wallets of the last snapshot (checkpoint) to verify too, when the runtime has one. */
  snapshotWallets?: () => Promise<HeldBalance[]>;
}

const HTTP_OF_CODE: Record<string, number> = { TX_UNAVAILABLE: 503, TX_KEY_CONFLICT: 409, TX_RATE_LIMITED: 429 };

/**
 * What the ledger's refusal of a reward means, as the answer's `message` (its result carries only a code). A code not
 * listed here gets a generic message naming it.
 */
const REWARD_REFUSAL: Record<string, string> = {
  TX_BAD_QUANTITY: `a reward grants coins (an integer in 0..${MAX_REWARD_COINS}) and/or an item (quantity an integer in 1..the catalogue's maxQuantity), and not nothing`,
  TX_UNKNOWN_ITEM: "no such item in the world's catalogue",
  TX_BAD_REQUEST: 'playerId and key must be 1..128 visible ASCII characters (0x21-0x7E)',
  TX_KEY_CONFLICT: 'this key was used before for this player with another reward: the first one stands',
  TX_RATE_LIMITED: 'too many transactions for this player just now: retry later with the same key',
  TX_UNAVAILABLE: 'the store could not commit in time: retry with the same key (if it did commit, that result is answered)',
};

/** Verify the ledger against every world's live wallets (and the last snapshot's, if given). */
export const verifyAll = async (
  runner: LoopRunner,
  store: Store,
  snapshot?: () => Promise<HeldBalance[]>,
): Promise<VerifyReport & { ok: boolean }> => {
  const live: HeldBalance[] = [];
  for (const w of runner.worlds()) live.push(...liveWallets(w));
  const report = await verifyLedger({ store, live, ...(snapshot ? { snapshot: await snapshot() } : {}) });
  return { ...report, ok: report.mismatches.length === 0 };
};

/** Longest reward `playerId` / `key` (the ledger's 1-128 printable ASCII) and `item` (as a purchase's). */
const MAX_ID = 128;
const MAX_ITEM = 64;

/** Most entries one `GET …/ledger/players/{playerId}` answers (`?limit`, default 1,000). */
const MAX_PLAYER_ENTRIES = 10_000;
const INTEGER_RE = /^\d{1,15}$/;

/**
 * The validated player id, `?limit` and `?afterSeq` of a player's ledger request ({@link strictQuery}):
 * every problem in one 400, as the player-data routes do. A player id is never cut: an id over 128
 * characters cut to 128 would name another player.
 */
const playerLedgerRequest = (req: AdminRequest): { playerId: string; limit: number; after: number } => {
  const q = strictQuery(req, 'player ledger', ['limit', 'afterSeq']);
  const playerId = req.params.player ?? '';
  if (!KEY_PATTERN.test(playerId)) q.problem('playerId must be 1-128 printable ASCII characters (a durable player id, e.g. t:…)');
  const within = (min: number, max: number) => (v: string) => INTEGER_RE.test(v) && Number(v) >= min && Number(v) <= max;
  const limit = q.once('limit', within(1, MAX_PLAYER_ENTRIES), `an integer between 1 and ${MAX_PLAYER_ENTRIES}`);
  const after = q.once('afterSeq', within(0, Number.MAX_SAFE_INTEGER), 'an integer >= 0 (the last seq of the previous page)');
  q.done();
  return { playerId, limit: limit === null ? 1000 : Number(limit), after: after === null ? 0 : Number(after) };
};

/** The ledger routes. */
export const ledgerRoutes = (opts: LedgerRoutesOptions): Route[] => {
  const { runner } = opts;
  const world = (req: AdminRequest): SimWorld => {
    const id = req.params.id!;
    if (!runner.has(id)) throw worldNotFound(id.length > 64 ? `${id.slice(0, 64)}…` : id);
    return runner.get(id);
  };
  const unavailable = { status: 503, json: { code: 'TX_UNAVAILABLE', message: 'no durable store (start with --data-dir)' } };
  const base = '/api/v1/worlds/:id/ledger';
  return [
    {
      method: 'GET',
      pattern: '/api/v1/ledger/verify',
      handler: async () => {
        const store = opts.store();
        if (!store) return unavailable;
        return { json: await verifyAll(runner, store, opts.snapshotWallets) };
      },
    },
    {
      method: 'GET',
      pattern: base,
      handler: (req) => {
        const w = world(req);
        const stats = worldLedgerStats(w);
        if (!stats) return unavailable;
        return { json: { worldId: w.id, stats, recent: [...w.ledger!.recent].reverse(), catalogue: w.ledger!.catalogue.items } };
      },
    },
    {
      method: 'GET',
      pattern: `${base}/players/:player`,
      handler: async (req) => {
        const w = world(req);
        const store = opts.store();
        if (!store || !w.ledger) return unavailable;
        const { playerId, limit, after } = playerLedgerRequest(req);
        // The live wallet first: entries reach it only once committed, so it never shows one the read lacks.
        const live = walletOf(w, playerId);
        // Entries and balance from one snapshot: a commit is in both or in neither (Store.readPlayerLedger).
        const { entries, balance } = await store.readPlayerLedger(playerId, { afterSeq: after, limit });
        // An entry whose amounts are no integers (a damaged SQLite row; applied to no wallet) is marked, its amounts null.
        const shown = entries.map((e) => (intactAmounts(e) ? e : { ...e, damaged: true }));
        return { json: { playerId, balance, live, entries: shown } };
      },
    },
    {
      method: 'POST',
      pattern: `${base}/rewards`,
      body: true,
      handler: async (req) => {
        const w = world(req);
        if (!w.ledger) return unavailable;
        const b = req.body;
        if (typeof b !== 'object' || b === null || Array.isArray(b))
          throw badRequest('body must be { playerId, key, coins?, item?, quantity? }');
        const o = b as Record<string, unknown>;
        const problems: string[] = [];
        for (const k of Object.keys(o))
          if (!['playerId', 'key', 'coins', 'item', 'quantity'].includes(k)) problems.push(`${k} is not a reward field`);
        if (typeof o.playerId !== 'string') problems.push('playerId must be a string');
        if (typeof o.key !== 'string') problems.push('key must be a string');
        if (o.coins !== undefined && typeof o.coins !== 'number') problems.push('coins must be a number');
        if (o.item !== undefined && typeof o.item !== 'string') problems.push('item must be a string');
        if (o.quantity !== undefined && typeof o.quantity !== 'number') problems.push('quantity must be a number');
        // The ledger would answer TX_BAD_QUANTITY (a reward that grants nothing): say what is missing instead.
        if (o.coins === undefined && o.item === undefined) problems.push('a reward needs coins or an item (with quantity)');
        // Lengths first: the ledger refuses a malformed id or key too (TX_BAD_REQUEST), but its result
        // echoes them and its recent-results ring keeps them (a 60 KB key, 60 KB in every reply).
        if (typeof o.playerId === 'string' && o.playerId.length > MAX_ID) problems.push(`playerId must be at most ${MAX_ID} characters`);
        if (typeof o.key === 'string' && o.key.length > MAX_ID) problems.push(`key must be at most ${MAX_ID} characters`);
        if (typeof o.item === 'string' && o.item.length > MAX_ITEM) problems.push(`item must be at most ${MAX_ITEM} characters`);
        if (problems.length) throw badRequest('invalid reward', problems);
        const result = await grantReward(w, {
          playerId: o.playerId as string,
          key: o.key as string,
          ...(o.coins !== undefined ? { coins: o.coins as number } : {}),
          ...(o.item !== undefined ? { item: o.item as string } : {}),
          ...(o.quantity !== undefined ? { quantity: o.quantity as number } : {}),
        });
        if (result.status === 'ok') return { json: { result } };
        // A refusal: the ledger's result, and the `{code, message}` every admin error has (docs/ADMIN.md "Errors").
        const code = result.code ?? 'TX_UNAVAILABLE';
        const message = REWARD_REFUSAL[code] ?? `the ledger refused the reward (${code})`;
        return { status: HTTP_OF_CODE[code] ?? 422, json: { code, message, result } };
      },
    },
  ];
};
