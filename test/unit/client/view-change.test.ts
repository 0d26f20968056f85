/**
 * `viewChange`: what a frame changed in the view — enters, the updates the frame named, leaves — and a
 * new view (a welcome) leaving every entity of the old one, so a renderer's sprite table kept from the
 * changes alone always equals the view.
 */
import { describe, expect, it } from 'vitest';
import { applySnapshot, createView, EntityField, type SnapshotMsg, viewChange } from '../../../src/client/index.js';

const snap = (step: number, enter: number[][], update: number[][], leave: number[]): SnapshotMsg => ({
  type: 17,
  step,
  worldTime: step,
  sendTime: 0,
  ack: 0,
  enter,
  update,
  leave,
});

describe('viewChange', () => {
  it('lists enters, named updates and leaves; a new view leaves every old entity', () => {
    const v = createView(16);
    let before = new Set(v.entities.keys());
    applySnapshot(
      v,
      snap(
        1,
        [
          [1, 16, 16, 1, 0],
          [2, 32, 32, 1, 0],
          [3, 0, 0, 2, 0],
        ],
        [],
        [],
      ),
    );
    const c1 = viewChange(before, v, []);
    expect(c1.entered.map((e) => e.id)).toEqual([1, 2, 3]);
    expect(c1.left).toEqual([]);

    before = new Set(v.entities.keys());
    applySnapshot(v, snap(2, [[4, 0, 0, 1, 0]], [[2, EntityField.X, 48]], [1]));
    const c2 = viewChange(before, v, [2]);
    expect(c2.entered.map((e) => e.id)).toEqual([4]);
    expect(c2.updated.map((e) => [e.id, e.x])).toEqual([[2, 3]]);
    expect(c2.left).toEqual([1]);
    expect(c2.step).toBe(2);

    // A welcome: the client starts a new view; every old entity left, none entered yet.
    before = new Set(v.entities.keys());
    const fresh = createView(16);
    const c3 = viewChange(before, fresh, []);
    expect(c3.left.sort()).toEqual([2, 3, 4]);
    expect(c3.entered).toEqual([]);

    // A region frame replaces the view: kept ids are all updated (null: every kept id).
    before = new Set(v.entities.keys());
    v.entities.delete(3);
    const c4 = viewChange(before, v, null);
    expect(c4.updated.map((e) => e.id).sort()).toEqual([2, 4]);
    expect(c4.left).toEqual([3]);
  });
});
