/**
 * When a live player's position is written to its durable record (src/net/world-sessions.ts
 * `positionDue`): when it moved since its last save, when it has none or that one failed (savedAt reset), and at
 * least every POSITION_REFRESH_MS though it stood still — well under the idle time after which the
 * anonymous-player prune may delete a `g:` player's records (docs/DURABILITY.md "Anonymous players").
 */
import { describe, expect, it } from 'vitest';
import { createConn, createSession } from '../../../src/net/session.js';
import { POSITION_REFRESH_MS, positionDue } from '../../../src/net/world-sessions.js';
import { ANONYMOUS_PLAYER_IDLE_MS } from '../../../src/store/bounded-prune.js';

const session = () => createSession(createConn(1, 0, 10), 'w', 5, 'n', 't', 60);

describe('a live player’s position save is due', () => {
  it('at first (never saved), and again only once it moved', () => {
    const s = session();
    expect(positionDue(s, 3, 4, 1000)).toBe(true);
    s.savedX = 3;
    s.savedY = 4;
    s.savedAt = 1000;
    expect(positionDue(s, 3, 4, 1250)).toBe(false);
    expect(positionDue(s, 3.5, 4, 1250)).toBe(true);
    expect(positionDue(s, 3, -4, 1250)).toBe(true);
  });

  it('after a failed save (savedAt reset to -Infinity), though it did not move', () => {
    const s = session();
    s.savedX = 3;
    s.savedY = 4;
    s.savedAt = 1000;
    expect(positionDue(s, Number.NaN, 4, 1250)).toBe(true); // NaN never equals: saved every time, as before
    s.savedAt = Number.NEGATIVE_INFINITY;
    expect(positionDue(s, 3, 4, 1250)).toBe(true);
  });

  it('every POSITION_REFRESH_MS standing still, a tenth of the anonymous prune’s idle time', () => {
    expect(POSITION_REFRESH_MS * 10).toBe(ANONYMOUS_PLAYER_IDLE_MS);
    const s = session();
    s.savedX = 3;
    s.savedY = 4;
    s.savedAt = 50_000;
    expect(positionDue(s, 3, 4, 50_000 + POSITION_REFRESH_MS - 1)).toBe(false);
    expect(positionDue(s, 3, 4, 50_000 + POSITION_REFRESH_MS)).toBe(true);
  });
});
