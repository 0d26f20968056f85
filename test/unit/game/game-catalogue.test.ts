/**
 * A game's own ledger catalogue and starting coins (`defineGame({ catalogue, startingCoins })`):
 * validated at defineGame (every problem listed, `catalogue:` paths); the starting coins are
 * `--starting-coins`' default for the game (a flag, env value, config file or direct option wins).
 * Which catalogue a served world's ledger uses is tested in test/integration/tx/game-catalogue.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineGame, ErrorCode, resolveServerOptions } from '../../../src/index.js';

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    expect(err).toMatchObject({ code: ErrorCode.OPTION_INVALID });
    return (err as { details: { problems: string[] } }).details.problems;
  }
  throw new Error('did not throw');
};

describe('defineGame catalogue and startingCoins', () => {
  it('keeps a valid catalogue (a frozen copy of id and price) and the starting coins', () => {
    const items = [
      { id: 'apple', price: 3 },
      { id: 'lamp', price: 40 },
    ];
    const g = defineGame({ name: 'shop', catalogue: items, startingCoins: 25 });
    const first = items[0];
    if (first) first.price = 999; // the definition holds its own copy
    expect(g.catalogue).toEqual([
      { id: 'apple', price: 3 },
      { id: 'lamp', price: 40 },
    ]);
    expect(Object.isFrozen(g.catalogue?.[0])).toBe(true);
    expect(g.startingCoins).toBe(25);
    const plain = defineGame({ name: 'plain' });
    expect([plain.catalogue, plain.startingCoins]).toEqual([null, null]);
  });

  it('lists every catalogue and starting-coins problem in one WT_ERR_OPTION_INVALID', () => {
    expect(
      problemsOf(() =>
        defineGame({
          name: 'bad-shop',
          catalogue: [
            { id: 'apple', price: 3 },
            { id: 'apple', price: 4 },
            { id: 'bad id', price: 1 },
            { id: 'gold', price: -1 },
          ],
          startingCoins: 1.5,
        }),
      ),
    ).toEqual([
      'catalogue: items[1].id "apple" is a duplicate',
      'catalogue: items[2].id must be 1-64 characters of A-Z a-z 0-9 _ . - (got "bad id")',
      'catalogue: items[3].price must be an integer between 0 and 1000000000 (got -1)',
      'startingCoins must be an integer between 0 and 1000000000',
    ]);
    const nine = Array.from({ length: 9 }, (_, i) => ({ id: `item${i}`, price: i }));
    expect(problemsOf(() => defineGame({ name: 'big', catalogue: nine }))).toEqual([
      'catalogue: items must hold at most 8 items (wallet slots), got 9',
    ]);
    expect(problemsOf(() => defineGame({ name: 'odd', catalogue: 'apples' as never, startingCoins: -5 }))).toEqual([
      'catalogue: items must be an array',
      'startingCoins must be an integer between 0 and 1000000000',
    ]);
  });

  it("the game's starting coins are the default; a flag, env value, config file or direct option wins", () => {
    const g = defineGame({ name: 'coins', startingCoins: 100 });
    expect(resolveServerOptions(g).startingCoins).toBe(100);
    expect(resolveServerOptions(defineGame({ name: 'none' })).startingCoins).toBe(1000); // the server's default
    expect(resolveServerOptions(g, { argv: ['--starting-coins', '5'] }).startingCoins).toBe(5);
    expect(resolveServerOptions(g, { env: { WORLDTICK_STARTING_COINS: '6' } }).startingCoins).toBe(6);
    expect(resolveServerOptions(g, { options: { startingCoins: 7 } }).startingCoins).toBe(7);
    const dir = mkdtempSync(join(tmpdir(), 'wt-game-coins-'));
    try {
      const file = join(dir, 'c.json');
      writeFileSync(file, JSON.stringify({ startingCoins: 8 }));
      expect(resolveServerOptions(g, { argv: ['--config', file] }).startingCoins).toBe(8);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
