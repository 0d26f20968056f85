import { describe, expect, it } from 'vitest';
import { botRole, isIdleBot } from '../../../src/bots/groups.js';

describe('bot groups', () => {
  it('shares are spread evenly over the indexes with exact counts (the bench 10,000 mix)', () => {
    const counts = { spectator: 0, idle: 0, active: 0 };
    const roles: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      const r = botRole(i, 0.25, 2 / 3);
      counts[r]++;
      if (i < 8) roles.push(r);
    }
    expect(counts).toEqual({ spectator: 2500, idle: 5000, active: 2500 });
    // Interleaved, not in blocks.
    expect(roles).toEqual(['active', 'idle', 'idle', 'spectator', 'active', 'idle', 'idle', 'spectator']);
    // No share: everyone active; share 1: everyone in it.
    expect(botRole(5, 0, 0)).toBe('active');
    expect(botRole(5, 1, 0)).toBe('spectator');
    expect(botRole(5, 0, 1)).toBe('idle');
    expect([0, 1, 2, 3].map((i) => isIdleBot(i, 0.5))).toEqual([false, true, false, true]);
  });
});
