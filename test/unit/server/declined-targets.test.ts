/**
 * The source side's memory of instances that refused a world as written by a newer build
 * (src/server/declined-targets.ts): such an instance is not asked for that world again for
 * DECLINED_TARGET_MS, then may be asked once more (it may have been upgraded in place).
 */
import { describe, expect, it } from 'vitest';
import { DECLINED_TARGET_MS, DeclinedTargets } from '../../../src/server/declined-targets.js';

describe('DeclinedTargets', () => {
  it('keeps a refusal per world for DECLINED_TARGET_MS, then forgets it', () => {
    let now = 1_000;
    const d = new DeclinedTargets(() => now);
    expect([...d.of('w')]).toEqual([]);
    d.add('w', 'b');
    now += 1000;
    d.add('w', 'c');
    expect([...d.of('w')].sort()).toEqual(['b', 'c']);
    expect([...d.of('other')]).toEqual([]);
    now = 1_000 + DECLINED_TARGET_MS - 1;
    expect([...d.of('w')].sort()).toEqual(['b', 'c']);
    now = 1_000 + DECLINED_TARGET_MS;
    expect([...d.of('w')]).toEqual(['c']);
    d.add('w', 'b'); // refused again: remembered afresh
    now += 1000;
    expect([...d.of('w')]).toEqual(['b']);
  });

  it('drops the expired refusals of every world at the next refusal: a world never asked about again is not kept', () => {
    let now = 0;
    const d = new DeclinedTargets(() => now);
    for (let n = 0; n < 5; n++) d.add(`deleted-${n}`, 'b');
    expect(d.worlds).toBe(5);
    now = DECLINED_TARGET_MS;
    d.add('w', 'b');
    expect(d.worlds).toBe(1);
    expect([...d.of('w')]).toEqual(['b']);
  });
});
