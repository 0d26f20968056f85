/**
 * Purchases decided by game code: the game checks its own rules first (a merchant's stock, the
 * player standing at the stall) and then charges the player through the world's ledger
 * (docs/DURABILITY.md) — the same durable, exactly-once path as a client's `purchase` frame, but
 * the game learns the outcome, which it never does for a client's own purchase.
 *
 *   message handler ── purchaseForPlayer(world, player, { key, item, quantity, expectedPrice })
 *        ledger key `buy:<key>@<world incarnation>` (the client's transaction id, retried after a
 *        dropped connection: the same key is charged once, a repeat resolves `replayed`)
 *   the promise resolves once the entry is durable AND applied to the wallet inside a step
 *   (`coins` / `items`: the wallet after it); the player's client gets a `wallet` message
 */
import { checkWorld } from '../core/check-world.js';
import { optionInvalid, TxCode } from '../errors.js';
import { rejection, type TxResult } from '../ledger/decide.js';
import { submitPurchase } from '../ledger/world-ledger.js';
import type { GameWorld } from './pipeline.js';
import { durablePlayerId, GAME_KEY_RE, MAX_GAME_REWARD_KEY } from './rewards.js';

/** A purchase a game makes on a player's behalf. */
export interface GamePurchase {
  /**
   * Unique per player for one purchase (e.g. the client's transaction id): 1-48 printable ASCII
   * characters, no `@` (as a reward key). The same key in the same world is charged once.
   */
  key: string;
  /** Catalogue item id (the ledger's catalogue: the `ledger.catalogue` server option). */
  item: string;
  /** Integer 1..1000 (the catalogue's `maxQuantity`). */
  quantity: number;
  /** The unit price the game expects (a different catalogue price is refused `TX_PRICE_MISMATCH`). */
  expectedPrice: number;
}

/** The ledger's answer to a game purchase, with the player's wallet after it (null: not applied in this world). */
export interface GamePurchaseResult extends TxResult {
  coins: number | null;
  items: Record<string, number> | null;
}

const validate = (p: GamePurchase): void => {
  const problems: string[] = [];
  if (typeof p?.key !== 'string' || !GAME_KEY_RE.test(p.key))
    problems.push(`purchase.key must be 1-${MAX_GAME_REWARD_KEY} printable ASCII characters without spaces or "@"`);
  if (typeof p?.item !== 'string' || p.item.length === 0) problems.push('purchase.item must be a catalogue item id');
  if (!Number.isSafeInteger(p?.quantity) || p.quantity < 1) problems.push('purchase.quantity must be an integer >= 1');
  if (!Number.isSafeInteger(p?.expectedPrice) || p.expectedPrice < 0) problems.push('purchase.expectedPrice must be an integer >= 0');
  if (problems.length) throw optionInvalid(problems);
};

/**
 * Charge `player` — a player entity of the world, or a durable player id (`playerIdOf`; kept to
 * finish a purchase after the entity is gone, e.g. after a restart) — for `quantity` × `item` at
 * `expectedPrice` coins each through the world's ledger. A durable id whose player is not in the
 * world is charged against its ledger balance (`coins` / `items` null: its wallet catches up when
 * it joins); one that never played is first granted its starting coins, as at a first join. Call it from a message handler, system or hook after the game's own checks; do
 * not await it in the step. Resolves once the entry is durable and applied to the wallet (`ok`,
 * with `coins` / `items` after it; the client also gets a `wallet` message), or with the refusal
 * (`TX_INSUFFICIENT_FUNDS` is recorded within the player's refusal budget — `seq` set, the same key
 * replays it — and past it answered with `seq` null and decided again if repeated; `TX_UNKNOWN_ITEM`,
 * `TX_PRICE_MISMATCH`, `TX_BAD_QUANTITY`, `TX_RATE_LIMITED` record nothing). `TX_UNAVAILABLE`
 * (no store, the store down past the 2 s deadline, the start grant not settled in time) recorded
 * nothing either: the same key may be tried again. `TX_BAD_REQUEST` when `player` is not a bound
 * player entity. Idempotent by (player, key) within the world's incarnation, across reconnects and
 * restarts: a repeat resolves `ok` with `replayed: true` and charges nothing. Never rejects;
 * throws `WT_ERR_OPTION_INVALID` for a bad key, quantity, price or player id (a bug in the game).
 */
export const purchaseForPlayer = (world: GameWorld, player: number | string, purchase: GamePurchase): Promise<GamePurchaseResult> => {
  checkWorld(world, 'purchaseForPlayer');
  validate(purchase);
  const l = world.ledger;
  const playerId = durablePlayerId(world, player);
  const req = {
    playerId: playerId ?? '',
    key: `buy:${purchase.key}@${l?.epoch ?? world.id}`,
    item: purchase.item,
    quantity: purchase.quantity,
    expectedPrice: purchase.expectedPrice,
  };
  const refuse = (code: TxResult['code'] & string): Promise<GamePurchaseResult> =>
    Promise.resolve({ ...rejection({ kind: 'purchase', ...req }, code), coins: null, items: null });
  if (!l) return refuse(TxCode.UNAVAILABLE);
  if (playerId === null) return refuse(TxCode.BAD_REQUEST);
  return new Promise((resolve) => {
    submitPurchase(world, req, (result, wallet) => {
      // A client's own purchase learns its balance from its txResult; this one is the game's, so the
      // client is told with a wallet message (the ledger skips the requester when it answers).
      if (result.status === 'ok' && wallet && world.ledger === l) l.onWalletChanged?.(result.playerId, wallet);
      resolve({ ...result, coins: wallet ? wallet.coins : null, items: wallet ? wallet.items : null });
    });
  });
};
