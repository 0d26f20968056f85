import { describe, expect, it } from 'vitest';
import { instanceLoadScore, placeWorld, type PlacementCandidate } from '../../../src/cluster/placement.js';

const inst = (id: string, sessions: number, cpu: number, stepCostMs = 0, capacity = 100): PlacementCandidate => ({
  id,
  capacity,
  load: { sessions, cpu, stepCostMs },
});

describe('placement of a new world', () => {
  it('chooses the least-loaded instance by its most saturated measure', () => {
    const a = inst('a', 10, 0.7); // score 0.7 (cpu)
    const b = inst('b', 50, 0.2); // score 0.5 (sessions)
    const c = inst('c', 5, 0.1, 600); // score 0.6 (step cost)
    expect(instanceLoadScore(a)).toBeCloseTo(0.7);
    expect(instanceLoadScore(b)).toBeCloseTo(0.5);
    expect(instanceLoadScore(c)).toBeCloseTo(0.6);
    expect(placeWorld([a, b, c])?.id).toBe('b');
  });

  it('skips full and excluded instances; null when nothing is left', () => {
    const full = inst('full', 100, 0);
    const zeroCap = inst('zero', 0, 0, 0, 0);
    const busy = inst('busy', 10, 0.9);
    expect(placeWorld([full, zeroCap, busy])?.id).toBe('busy');
    expect(placeWorld([full, zeroCap, busy], { exclude: ['busy'] })).toBeNull();
    expect(placeWorld([])).toBeNull();
  });

  it('an instance whose figures are no numbers (a damaged record) is full or last, never the pick of every placement', () => {
    const nanCpu = inst('a', 10, Number.NaN);
    const nanSessions = inst('b', Number.NaN, 0.1);
    const nanCapacity = inst('c', 10, 0.1, 0, Number.NaN);
    const busy = inst('d', 90, 0.9);
    expect(instanceLoadScore(nanCpu)).toBe(Number.POSITIVE_INFINITY);
    expect(placeWorld([nanCpu, nanSessions, nanCapacity, busy])?.id).toBe('d');
    // Only such instances left: the one that is not full takes it, as the last resort.
    expect(placeWorld([nanCpu, nanSessions, nanCapacity])?.id).toBe('a');
  });

  it('breaks ties by fewer sessions, then by id (deterministic)', () => {
    expect(placeWorld([inst('b', 10, 0.5), inst('a', 20, 0.5)])?.id).toBe('b');
    expect(placeWorld([inst('b', 10, 0.5), inst('a', 10, 0.5)])?.id).toBe('a');
  });
});
