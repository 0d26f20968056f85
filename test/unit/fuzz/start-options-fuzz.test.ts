/**
 * Fuzz: what a studio's JavaScript hands `startServer` / `runMain` (`resolveServerOptions(game, o)`, then
 * the runtime built from it, not started): `o` itself, its `argv`, `env` and `options` of any shape — each
 * option key with any value (numbers at the edges, text, Symbols, BigInts, objects whose `toString` is no
 * function), the config blocks with any value. Each is resolved into options a runtime is built from, or
 * refused with a `WT_ERR_` code — never a TypeError, RangeError or another uncoded error.
 */
import { describe, expect, it } from 'vitest';
import { OPTION_SPECS } from '../../../src/cli/option-specs.js';
import { createLogger } from '../../../src/log.js';
import { defineGame, resolveServerOptions } from '../../../src/index.js';
import { createRuntime } from '../../../src/server/runtime.js';
import { coded } from '../../fuzz-helpers/game-api.js';
import { callerValue, fuzzScale, fuzzSeed, type Rng, withSeed, fuzzTimeout } from '../../fuzz-helpers/rng.js';

const TRIES = Math.round(300 * fuzzScale());
const game = defineGame({ name: 'fz-start', catalogue: [{ id: 'sword', price: 5 }] });
// `npcs` left out: a valid million builds a million entities (seconds a try), which tests nothing here.
const KEYS = [
  ...OPTION_SPECS.map((s) => s.key).filter((k) => k !== 'npcs'),
  'scheduler',
  'net',
  'periodic',
  'ledger',
  'playerData',
  'tierZones',
  'physicsConfig',
];
const logger = createLogger('silent');

const value = (rng: Rng): unknown => callerValue(rng, ['0', '-1', 'silent', 'off', '127.0.0.1', 'x'], [() => rng.int(-2, 70_000)]);
/** What argv and env hold: text. */
const text = (rng: Rng): string => rng.pick(['5', '-1', 'x', '', ' 1e400', '0x10', '1.5', 'NaN']);
const startOptions = (rng: Rng): unknown => {
  if (rng.chance(0.05)) return callerValue(rng);
  const o: Record<string, unknown> = {};
  if (rng.chance(0.1)) o.argv = rng.chance(0.5) ? callerValue(rng) : [rng.pick(['--port', '--npcs', '--bogus', '5']), text(rng)];
  if (rng.chance(0.1)) o.env = rng.chance(0.5) ? callerValue(rng) : { WORLDTICK_NPCS: text(rng) };
  if (rng.chance(0.9)) {
    const options: Record<string, unknown> = rng.chance(0.95)
      ? { port: 0, adminPort: 0, logLevel: 'silent', statsIntervalSeconds: 0, npcs: 0 }
      : {};
    for (let k = rng.int(0, 3); k > 0; k--) options[rng.pick(KEYS)] = value(rng);
    o.options = rng.chance(0.05) ? callerValue(rng) : options;
  }
  return o;
};

describe('fuzz: what startServer is handed', () => {
  it(
    `${TRIES} start options: resolved and a runtime built, or refused with a code`,
    async () => {
      await withSeed('start-options', fuzzSeed(2026_12_07), (rng, at) => {
        let built = 0;
        for (let i = 0; i < TRIES; i++) {
          const o = startOptions(rng);
          at.at = `try ${i}`;
          try {
            const options = resolveServerOptions(game, o as never);
            createRuntime(options, logger);
            built++;
          } catch (err) {
            expect(
              coded(err),
              `threw ${err instanceof Error ? `${err.name}: ${err.message}\n${err.stack?.split('\n').slice(1, 5).join('\n')}` : String(err)}`,
            ).toBe(true);
          }
        }
        expect(built).toBeGreaterThan(TRIES / 20);
      });
      // ~2 s at scale 1 on a quiet machine; a hunt at scale 3 beside other work (load 12) took 63 s: the bound grows with the scale.
    },
    fuzzTimeout(60_000),
  );
});
