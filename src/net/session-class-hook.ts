/**
 * The game's `sessionClass` hook type (docs/GAME-API.md "Session classes"): the session registry calls it
 * at join; default: the class from the hello token (session-priority.ts `classFromToken`).
 */
import type { SimWorld } from '../world/sim-world.js';
import type { HelloMsg } from './protocol.js';
import type { SessionClassName } from './session-priority.js';

/** Chooses a session's class at join (default: from the hello token, `classFromToken`). */
export type SessionClassHook = (hello: HelloMsg, world: SimWorld) => SessionClassName;
