/**
 * `startServer` / `resolveServerOptions` `options` set directly are checked as a flag's value would
 * be: a bad value or an unknown key is refused with `WT_ERR_OPTION_INVALID` naming `options.<key>`
 * (before, `{ startingCoins: -5 }` or `{ checkpointInterval: 1 }` started a server silently).
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { createRuntime } from '../../../src/server/runtime.js';
import { createGameWorld, defineGame, ErrorCode, isWorldtickError, resolveServerOptions, startServer } from '../../../src/index.js';

const game = defineGame({ name: 'direct-options' });

const problemsOf = (options: Record<string, unknown>): string[] => {
  try {
    resolveServerOptions(game, { options: options as never });
  } catch (err) {
    expect(isWorldtickError(err, ErrorCode.OPTION_INVALID)).toBe(true);
    return (err as { details: { problems: string[] } }).details.problems;
  }
  return [];
};

describe('startServer options set directly', () => {
  it('refuses bad values and unknown keys, listing every problem', () => {
    expect(problemsOf({ startingCoins: -5, checkpointIntervalSeconds: -1, checkpointInterval: 1, port: 'x' })).toEqual([
      expect.stringMatching(/^options\.startingCoins must be an integer/),
      expect.stringMatching(/^options\.checkpointIntervalSeconds must be a number/),
      // The option's name is suggested: the flag's camelCase is not always it.
      expect.stringMatching(/^options\.checkpointInterval is not a server option \(did you mean checkpointIntervalSeconds\?\)/),
      expect.stringMatching(/^options\.port must be/),
    ]);
  });

  it('takes good values and the config blocks as they are', () => {
    const o = resolveServerOptions(game, {
      options: {
        port: 0,
        adminPort: 0,
        logLevel: 'silent',
        startingCoins: 7,
        ledger: { catalogue: [{ id: 'x', price: 1 }] },
        net: { maxSpeed: 9 },
      },
    });
    expect(o).toMatchObject({ port: 0, startingCoins: 7, ledger: { catalogue: [{ id: 'x', price: 1 }] }, net: { maxSpeed: 9 } });
    expect(problemsOf({ dataDir: undefined })).toEqual([]);
  });

  it('a game that is not what defineGame returns (its options, null) is refused, coded, where each was a TypeError', async () => {
    for (const notGame of [{ name: 'forgot-defineGame', systems: [] }, null, 'g']) {
      expect(() => resolveServerOptions(notGame as never)).toThrowError(
        expect.objectContaining({
          code: ErrorCode.OPTION_INVALID,
          message: expect.stringContaining('the game must be what defineGame returns'),
        }),
      );
      await expect(startServer(notGame as never)).rejects.toMatchObject({ code: ErrorCode.OPTION_INVALID });
      expect(() => createGameWorld(notGame as never, { id: '1' })).toThrowError(
        expect.objectContaining({ code: ErrorCode.OPTION_INVALID }),
      );
    }
    expect(() => createGameWorld(game, null as never)).toThrowError(/createGameWorld: options must be an object/);
  });

  // Found by test/unit/fuzz/start-options-fuzz.test.ts (stop 66): each threw a TypeError, the blocks only once the runtime was built.
  it('the start options themselves, argv, env, a block and a BigInt value are checked; each refused, coded, naming what', () => {
    const refused = (o: unknown): string[] => {
      try {
        createRuntime(resolveServerOptions(game, o as never), createLogger('silent'));
      } catch (err) {
        expect(isWorldtickError(err, ErrorCode.OPTION_INVALID), String(err)).toBe(true);
        return (err as { details: { problems: string[] } }).details.problems;
      }
      return [];
    };
    expect(refused(null)).toEqual([expect.stringMatching(/^startServer\/runMain options must be an object/)]);
    expect(refused({ argv: '--port 5' })).toEqual([expect.stringMatching(/^argv must be an array of strings/)]);
    expect(refused({ env: { WORLDTICK_PORT: 5 } })).toEqual([expect.stringMatching(/^env must be an object of strings/)]);
    expect(refused({ options: { periodic: 5 } })).toEqual([expect.stringMatching(/^options\.periodic/)]);
    expect(refused({ options: { net: { maxSpeed: 'fast' } } })).toEqual([expect.stringMatching(/^options\.net\.maxSpeed/)]);
    expect(refused({ options: { port: 10n } })).toEqual([expect.stringMatching(/^options\.port must be .*\(got 10\)/)]);
    expect(refused({ options: { port: 0, adminPort: 0, logLevel: 'silent', npcs: 0 } })).toEqual([]);
  });
});
