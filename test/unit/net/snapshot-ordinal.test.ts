import { describe, expect, it } from 'vitest';
import { type SnapshotFrame, snapshotOrdinal } from '../../../src/net/snapshot-frame.js';
import { createConn, createSession } from '../../../src/net/session.js';

const frame = (step: number, snapshotEvery?: number): SnapshotFrame => ({
  step,
  worldTime: 0,
  sendTime: 0,
  radiusScale: 1,
  farEvery: 1,
  requeryEvery: 1,
  snapshotEvery,
});

describe('snapshotOrdinal', () => {
  it('is ⌊(step + conn id) / snapshotEvery⌋, on and off the session’s slot', () => {
    for (const every of [2, 3, 4, 7]) {
      for (let id = 1; id < 12; id++) {
        const s = createSession(createConn(id, 0, 1), 'w', 1, 'b', 't', 100);
        for (let step = 0; step < 40; step++) expect(snapshotOrdinal(frame(step, every), s)).toBe(Math.floor((step + id) / every));
      }
    }
  });

  it('is step + conn id when every step is a snapshot step', () => {
    const s = createSession(createConn(5, 0, 1), 'w', 1, 'b', 't', 100);
    expect(snapshotOrdinal(frame(10), s)).toBe(15);
    expect(snapshotOrdinal(frame(10, 1), s)).toBe(15);
  });

  it('floors a negative sum like Math.floor', () => {
    const s = createSession(createConn(1, 0, 1), 'w', 1, 'b', 't', 100);
    for (let step = -20; step < 0; step++) expect(snapshotOrdinal(frame(step, 3), s)).toBe(Math.floor((step + 1) / 3));
  });
});
