/**
 * The lease book's epochs (src/cluster/lease-book.ts): a grant whose request was sent before a
 * release, handover or refusal of the world does not count when its reply lands after it; one sent
 * after does. Epochs live only while a request is out, from one counter for every world.
 */
import { describe, expect, it } from 'vitest';
import { createLeaseBook, DEFAULT_SAFETY_MARGIN } from '../../../src/cluster/lease-book.js';

describe('lease book epochs', () => {
  it('ignores a grant sent before a loss, records one sent after it', () => {
    const book = createLeaseBook(DEFAULT_SAFETY_MARGIN);
    const before = book.begin('w');
    book.lost('w', 'a'); // released while the renew was out
    const after = book.begin('w');
    expect(after).not.toBe(before);
    book.granted('w', 'a', 3, 0, 1000, before);
    book.end('w');
    expect(book.held('w')).toBeNull();
    book.granted('w', 'a', 4, 0, 1000, after);
    book.end('w');
    expect(book.held('w')).toMatchObject({ worldId: 'w', instanceId: 'a', fencingToken: 4 });
  });

  it('records a grant with no loss in between; a loss with nothing out changes no later grant', () => {
    const book = createLeaseBook(DEFAULT_SAFETY_MARGIN);
    book.lost('w', 'a');
    const e = book.begin('w');
    book.granted('w', 'a', 1, 0, 1000, e);
    book.end('w');
    expect(book.held('w')?.fencingToken).toBe(1);
    book.lost('w', 'a');
    expect(book.held('w')).toBeNull();
    // A world forgotten and used again never gets an epoch a request sent earlier had.
    const again = book.begin('w');
    expect(again).not.toBe(e);
    book.granted('w', 'a', 2, 0, 1000, e); // a late reply of the first request
    expect(book.held('w')).toBeNull();
    book.end('w');
  });

  it("another instance's lease lost here does not end this handle's pending grant", () => {
    const book = createLeaseBook(DEFAULT_SAFETY_MARGIN);
    const e = book.begin('w');
    book.granted('w', 'a', 1, 0, 1000, e);
    book.end('w');
    const next = book.begin('w');
    book.lost('w', 'b'); // not b's here: nothing lost
    book.granted('w', 'a', 1, 10, 1000, next);
    book.end('w');
    expect(book.held('w')?.validUntil).toBe(book.validityFor(10, 1000));
  });
});
