/**
 * The player-data slot of a world: the runtime's {@link PlayerDataService} (one per runtime, on its
 * store), set when the world is served with a store; null otherwise (a world built outside a
 * server, a replay), where player-data calls answer `PD_UNAVAILABLE`.
 */
import type { PlayerDataService } from './player-data-service.js';

/** What a world carries for player data. */
export interface PlayerDataSlot {
  playerData: PlayerDataService | null;
}

/** The empty slot (no store). */
export const createPlayerDataSlot = (): PlayerDataSlot => ({ playerData: null });
