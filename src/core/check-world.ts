/**
 * The game API's functions take the world first: the one the engine hands every hook, system and
 * message handler. A JavaScript caller can pass something else (null, a world id, a player entity, the
 * hook's other argument): each function checks it first, so the error names the function, not a field
 * read off nothing (`Cannot read properties of null (reading 'game')`, a TypeError, before stop 66).
 */
import { optionInvalid } from '../errors.js';
import { shown } from './shown.js';

/** `WT_ERR_OPTION_INVALID` naming `fn` when `world` is no world (an object with an `id` and a `clock`). */
export const checkWorld = (world: unknown, fn: string): void => {
  if (typeof world === 'object' && world !== null) {
    const w = world as { id?: unknown; clock?: unknown };
    if (typeof w.id === 'string' && typeof w.clock === 'object' && w.clock !== null) return;
  }
  throw optionInvalid([`${fn}: world must be a world (the one the engine hands your hook or system; got ${shown(world)})`]);
};
