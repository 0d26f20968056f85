/**
 * What a player holds, read by the game inside the step: the coins and catalogue items applied to
 * the player's wallet (the `Wallet` component, written only by committed ledger entries: purchase
 * frames, `purchaseForPlayer`, rewards). Deterministic: a replay applies the same wallet changes at
 * the same steps, so a system that reads these replays the same way.
 *
 *   if (playerItemCount(world, p, 'boots') > 0) speed = 1.5;   // bought with a purchase frame
 */
import { checkWorld } from '../core/check-world.js';
import { playerRow } from '../../components/player-table.js';
import { WALLET_SLOTS, walletSlot } from '../../components/wallet.js';
import { createCatalogue } from '../ledger/catalogue.js';
import { DEFAULT_CATALOGUE } from '../ledger/world-ledger.js';
import { hasComponent } from './components.js';
import type { GameDefinition } from './definition.js';
import type { GameWorld } from './pipeline.js';

/**
 * The wallet slot of each item of the game's catalogue (else the built-in default), as the ledger
 * assigns them: what a world without a ledger (a replay) reads item counts by.
 */
export const gameItemSlots = (game: GameDefinition): ReadonlyMap<string, number> =>
  new Map(createCatalogue(game.catalogue ?? DEFAULT_CATALOGUE).items.map((it) => [it.id, it.slot]));

const isPlayer = (world: GameWorld, player: number): boolean => hasComponent(world, player, world.stores.Player);

/**
 * Coins in `player`'s wallet as applied so far (an integer). 0 for an id that is not a live player.
 * Right after a join the wallet is still catching up from the ledger (a few steps; the client's
 * `wallet` message follows the catch-up), so a new session reads 0 until then.
 */
export const playerCoins = (world: GameWorld, player: number): number => {
  checkWorld(world, 'playerCoins');
  return isPlayer(world, player) ? world.stores.Wallet.coins[playerRow(world.stores, player)] : 0;
};

/**
 * How many of catalogue item `item` `player`'s wallet holds as applied so far (see {@link playerCoins}).
 * 0 for an item not in the catalogue or an id that is not a live player. Live, items are those of the
 * server's catalogue (`ledger.catalogue`, else the game's, else the default); a replay, which has no
 * ledger, reads them by the game's `catalogue` (else the default).
 */
export const playerItemCount = (world: GameWorld, player: number, item: string): number => {
  checkWorld(world, 'playerItemCount');
  if (!isPlayer(world, player)) return 0;
  const slot = world.ledger ? world.ledger.catalogue.get(item)?.slot : world.game?.itemSlots.get(item);
  if (slot === undefined || slot >= WALLET_SLOTS) return 0;
  return walletSlot(world.stores.Wallet, slot)[playerRow(world.stores, player)];
};
