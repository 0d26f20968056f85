/**
 * Fuzz: the load-test bots' command line (src/bots/cli.ts `parseBotsArgs`, commander) given what an
 * operator could type: each of its flags with a value drawn from numbers at the edges, text that looks
 * like a number (`1e400`, `0x10`, ` 5`, `5%`), lists, empty strings, flags in a value's place, repeated
 * flags. Each command line is parsed into options whose numbers are finite (and the counts integers), or
 * refused with commander's error (a `CommanderError` with a `commander.` code, its message written) —
 * never a TypeError, RangeError or another uncoded error, and never an option of the wrong type.
 */
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { botsProgram, parseBotsArgs } from '../../../src/bots/cli.js';
import { EDGE_NUMBERS, fuzzScale, fuzzSeed, type Rng, withSeed } from '../../fuzz-helpers/rng.js';

const LINES = Math.round(2000 * fuzzScale());
const quiet = { writeOut: () => undefined, writeErr: () => undefined };
const FLAGS = botsProgram(quiet).options.map((o) => ({ flag: o.long ?? '', takesValue: o.required || o.optional }));

const value = (rng: Rng): string =>
  rng.pick<() => string>([
    () => String(rng.pick(EDGE_NUMBERS)),
    () =>
      rng.pick(['', ' ', '1e400', '-1e400', '0x10', ' 5', '5 ', '5%', '120%', 'x%', '%', ',', '0,0', '0,,1', '-0', '+3', '1_000', 'NaN']),
    () =>
      rng.pick(['ws://127.0.0.1:1', 'wss://x', 'http://x', 'ws://', 'steady', 'crowd', 'influx', 'churn', 'purchase-storm', 'raw', 'ws']),
    () => rng.pick(FLAGS).flag, // a flag where a value goes
    () => String(rng.int(-3, 200)),
    () => rng.str(rng.int(0, 12)),
    () => 'é'.repeat(rng.int(1, 4)),
  ])();

/** Numbers an option must hold as such (a count is also an integer). */
const NUMBERS = ['clients', 'duration', 'warmup', 'inputHz', 'purchaseHz', 'concurrency', 'fullEvery', 'influx', 'churnRate', 'seed'];
const COUNTS = new Set(['clients', 'concurrency', 'influx', 'procs']);

describe('fuzz: the bots command line', () => {
  it(`${LINES} command lines: parsed into well-typed options, or refused with commander's error`, async () => {
    await withSeed('bots-cli', fuzzSeed(2026_12_07), (rng, at) => {
      let parsed = 0;
      for (let i = 0; i < LINES; i++) {
        const argv: string[] = [];
        for (let k = rng.int(0, 4); k > 0; k--) {
          const f = rng.pick(FLAGS);
          if (f.flag === '--help' || f.flag === '--version' || f.flag === '--report' || f.flag === '--worker') continue;
          argv.push(f.flag);
          if (f.takesValue && rng.chance(0.95)) argv.push(value(rng));
        }
        at.at = `line ${i}: ${JSON.stringify(argv)}`;
        let o: ReturnType<typeof parseBotsArgs>;
        try {
          o = parseBotsArgs(argv, quiet);
        } catch (err) {
          expect(err instanceof CommanderError && err.code.startsWith('commander.'), `threw ${String(err)}`).toBe(true);
          continue;
        }
        parsed++;
        for (const k of [...NUMBERS, 'idleShare', 'spectatorShare', 'procs']) {
          const v = (o as unknown as Record<string, unknown>)[k];
          expect(typeof v === 'number' && Number.isFinite(v), `${k} = ${String(v)}`).toBe(true);
          if (COUNTS.has(k)) expect(Number.isInteger(v), `${k} = ${String(v)}`).toBe(true);
        }
        expect(o.url).toMatch(/^wss?:\/\//);
        if (o.cpu !== null) for (const c of o.cpu) expect(Number.isInteger(c) && c >= 0, `cpu ${c}`).toBe(true);
      }
      expect(parsed).toBeGreaterThan(LINES / 20); // not all refused: the accepted path is fuzzed too
    });
  });
});
