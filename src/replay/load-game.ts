/**
 * `npm run replay -- <log> --game <module>[#export]`: load the game definition a game world's log
 * is replayed with (src/game, `defineGame`) from a module file — the named export, else the module's
 * only export that is a game definition. Loaded with a dynamic `import()` (the replay CLI runs
 * under tsx, so a game's TypeScript module loads as it is).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { optionInvalid } from '../errors.js';
import type { GameDefinition } from '../game/definition.js';

const isGame = (v: unknown): v is GameDefinition =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { name?: unknown }).name === 'string' &&
  Array.isArray((v as { pipeline?: unknown }).pipeline) &&
  Array.isArray((v as { components?: unknown }).components);

/** Load `spec` (`path/to/game.ts` or `path/to/game.ts#exportName`). Throws `WT_ERR_OPTION_INVALID` naming the problem. */
export const loadGame = async (spec: string): Promise<GameDefinition> => {
  const hash = spec.lastIndexOf('#');
  const file = hash > 0 ? spec.slice(0, hash) : spec;
  const name = hash > 0 ? spec.slice(hash + 1) : null;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
  } catch (err) {
    throw optionInvalid([`--game: ${file} could not be loaded: ${err instanceof Error ? err.message : String(err)}`]);
  }
  if (name !== null) {
    const v = mod[name];
    if (!isGame(v)) throw optionInvalid([`--game: ${file} has no game definition exported as ${JSON.stringify(name)}`]);
    return v;
  }
  const games = Object.values(mod).filter(isGame);
  const unique = [...new Set(games)];
  if (unique.length !== 1 || unique[0] === undefined)
    throw optionInvalid([`--game: ${file} exports ${unique.length} game definitions; name one with ${file}#<export>`]);
  return unique[0];
};
