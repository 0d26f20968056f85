/** The farm's server messages (their payload types for clients are in rules.ts) and refusals. */
import { defineServerMessage, type GameWorld, sendToPlayer, Type } from '../../src/index.js';
import { OUT, PLOTS } from './rules.js';

export const farmMsg = defineServerMessage({
  name: OUT.farm,
  schema: Type.Object({ seeds: Type.Integer(), plots: Type.Array(Type.Integer(), { maxItems: PLOTS }) }),
});
export const ripeMsg = defineServerMessage({ name: OUT.ripe, schema: Type.Object({ plot: Type.Integer(), plantId: Type.Integer() }) });
export const harvestedMsg = defineServerMessage({
  name: OUT.harvested,
  schema: Type.Object({ plot: Type.Integer(), plantId: Type.Integer(), coins: Type.Integer(), replayed: Type.Boolean() }),
});
export const receiptMsg = defineServerMessage({
  name: OUT.receipt,
  schema: Type.Object({
    txid: Type.String(),
    status: Type.Union([Type.Literal('ok'), Type.Literal('rejected')]),
    code: Type.Union([Type.String(), Type.Null()]),
    replayed: Type.Boolean(),
    seeds: Type.Integer(),
  }),
});
export const eatenMsg = defineServerMessage({ name: OUT.eaten, schema: Type.Object({ plot: Type.Integer(), plantId: Type.Integer() }) });
export const refusedMsg = defineServerMessage({
  name: OUT.refused,
  schema: Type.Object({ what: Type.String(), plot: Type.Integer(), reason: Type.String() }),
});
export const dailyMsg = defineServerMessage({ name: OUT.daily, schema: Type.Object({ day: Type.Integer(), coins: Type.Integer() }) });

/**
 * Why a message of a player entity without a durable id is refused. A defence only: a second
 * session of the same identity takes the one entity over (docs/PROTOCOL.md "Sessions"), so an
 * entity of a farmer is unbound only once it is gone (docs/GAME-API.md "playerIdOf").
 */
export const REPLACED = 'session replaced';

export const refuse = (world: GameWorld, player: number, what: string, plot: number, reason: string): void =>
  sendToPlayer(world, player, refusedMsg, { what, plot, reason });
