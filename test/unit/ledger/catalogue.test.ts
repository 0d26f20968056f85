import { describe, expect, it } from 'vitest';
import { WALLET_SLOTS } from '../../../components/wallet.js';
import { isWorldtickError } from '../../../src/errors.js';
import { createCatalogue } from '../../../src/ledger/catalogue.js';

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (isWorldtickError(err, 'WT_ERR_CATALOGUE_INVALID')) return (err.details as { problems: string[] }).problems;
    throw err;
  }
  return [];
};

describe('item catalogue', () => {
  it('assigns slots in order and looks items up', () => {
    const c = createCatalogue(
      [
        { id: 'sword', price: 10 },
        { id: 'apple', price: 0 },
      ],
      { maxQuantity: 5 },
    );
    expect(c.get('apple')).toEqual({ id: 'apple', price: 0, slot: 1 });
    expect(c.get('nope')).toBeUndefined();
    expect(c.maxQuantity).toBe(5);
  });

  it('lists every problem by path', () => {
    const problems = problemsOf(() =>
      createCatalogue(
        [{ id: 'a', price: 1 }, { id: 'a', price: 2 }, { id: 'b c', price: 1 }, { id: 'd', price: -1 }, { id: 'e', price: 1.5 }, 7],
        { maxQuantity: 0 },
      ),
    );
    expect(problems).toEqual([
      'maxQuantity must be an integer between 1 and 1000000 (got 0)',
      'items[1].id "a" is a duplicate',
      'items[2].id must be 1-64 characters of A-Z a-z 0-9 _ . - (got "b c")',
      'items[3].price must be an integer between 0 and 1000000000 (got -1)',
      'items[4].price must be an integer between 0 and 1000000000 (got 1.5)',
      'items[5] must be an object { id, price }',
    ]);
    expect(problemsOf(() => createCatalogue({}))).toEqual(['items must be an array']);
    // A balance holds items in a plain object: an item `constructor` summed as the Object function's text plus
    // its quantity, and one named `__proto__` was lost from every balance.
    expect(problemsOf(() => createCatalogue(['constructor', '__proto__', 'toString', 'valueOf'].map((id) => ({ id, price: 1 }))))).toEqual(
      ['constructor', '__proto__', 'toString', 'valueOf'].map(
        (id, i) => `items[${i}].id "${id}" is reserved (a property name every JavaScript object has)`,
      ),
    );
    const many = Array.from({ length: WALLET_SLOTS + 1 }, (_, i) => ({ id: `i${i}`, price: 1 }));
    expect(problemsOf(() => createCatalogue(many))).toEqual([
      `items must hold at most ${WALLET_SLOTS} items (wallet slots), got ${WALLET_SLOTS + 1}`,
    ]);
  });
});
