/**
 * The runtime's ledger and player-data wiring (src/server/runtime.ts): one ledger per world on the
 * durable store (docs/DURABILITY.md), and the player-data service created at start. Moved out of
 * runtime.ts; no state of its own.
 */
import type { GameDefinition } from '../game/definition.js';
import { parseLedgerOptions } from '../ledger/ledger-options.js';
import { attachLedger } from '../ledger/world-ledger.js';
import type { Logger } from '../log.js';
import type { Checkpointer } from '../persist/checkpointer.js';
import type { PlayerDataSettings } from '../player-data/player-data-options.js';
import { PlayerDataService } from '../player-data/player-data-service.js';
import type { Store } from '../store/types.js';
import type { SimWorld } from '../world/sim-world.js';

/** What {@link ledgerAttacher} reads (lazily: the game server and player data exist later). */
export interface LedgerAttachDeps {
  /** The config file's `ledger` block (validated here: throws `WT_ERR_OPTION_INVALID`). */
  ledger: unknown;
  startingCoins: number;
  game: GameDefinition | undefined;
  logger: Logger;
  checkpointer: Checkpointer;
  store: () => Store | null;
  playerData: () => PlayerDataService | null;
  /** Ledger notices to the world's sessions (the game server's `attachLedgerNotices`). */
  notices: (world: SimWorld) => void;
}

/**
 * Validate the ledger settings now and return the function giving a world its ledger (and player
 * data) on the current store; a no-op while no store is open. The config's `ledger.catalogue` and
 * `ledger.anonymousStartingCoins` win over the game's own (defineGame `catalogue`,
 * `anonymousStartingCoins`), which win over the defaults.
 */
export const ledgerAttacher = (d: LedgerAttachDeps): ((world: SimWorld) => void) => {
  const game = d.game;
  const settings = {
    ...(game?.catalogue ? { catalogue: game.catalogue } : {}),
    ...(game && game.anonymousStartingCoins !== null ? { anonymousStartingCoins: game.anonymousStartingCoins } : {}),
    ...parseLedgerOptions(d.ledger),
  };
  return (world) => {
    const store = d.store();
    if (!store) return;
    world.playerData = d.playerData();
    // Epoch = the world's incarnation: a step re-simulated after a restore reuses its chain-reward keys (replayed, never granted twice).
    attachLedger(world, {
      ...settings,
      store,
      epoch: d.checkpointer.incarnationOf(world.id) ?? world.id,
      startingCoins: d.startingCoins,
      onError: (err) => d.logger.error({ err, world: world.id }, 'ledger commit failed'),
    });
    d.notices(world);
  };
};

/** The player-data service of every world on `store` (`settings`: the config file's `playerData`, parsed), logging failures and outages. */
export const createPlayerData = (store: Store, logger: Logger, settings: PlayerDataSettings = {}): PlayerDataService =>
  new PlayerDataService({
    ...settings,
    store,
    onError: (err) => logger.error({ err }, 'player data commit failed'),
    onOutage: (e) =>
      e.state === 'down'
        ? logger.warn({ err: e.err }, 'player data store unavailable; retrying')
        : logger.info({ ms: e.ms, retries: e.retries, expired: e.expired }, 'player data store outage over'),
  });
