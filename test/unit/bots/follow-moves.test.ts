/**
 * The move follower (src/bots/follow-moves.ts) on a scripted bot: which closes start a move, where
 * each kind reconnects (4014: the redirect's url and ticket; 4015, 1001: the first URL), tries after
 * a failed one, the tally and the gap. The real processes are in
 * test/integration/cluster/bots-moves*.test.ts; 4015 (a lease lost while the instance lives) is
 * caused there by nothing, hence this scripted bot.
 */
import { describe, expect, it } from 'vitest';
import { createMoveFollower, followBackoffMs, moveKind, type Movable } from '../../../src/bots/follow-moves.js';

/** A scripted bot: `close(code)` ends its socket; `rejoin` fails `failFirst` times, then welcomes (resumed) and sends a snapshot. */
const scripted = (failFirst = 0) => {
  let onClose: ((code: number) => void) | null = null;
  let onSnap: ((at: number) => void) | null = null;
  const calls: Array<[string, string | null]> = [];
  let redirect: { url: string; ticket: string } | null = null;
  let fails = failFirst;
  const m: Movable = {
    armClose: (fn) => {
      onClose = fn;
    },
    disarm: () => {
      onClose = null;
    },
    lastSnapshotAt: () => 1000,
    redirect: () => redirect,
    onNextSnapshot: (fn) => {
      onSnap = fn;
    },
    rejoin: async (url, ticket) => {
      calls.push([url, ticket]);
      if (fails-- > 0) throw new Error('hello refused: NOT_OWNER');
      setTimeout(() => onSnap?.(1250), 0);
      return true;
    },
  };
  return {
    m,
    calls,
    close: (code: number, r: { url: string; ticket: string } | null = null) => {
      redirect = r;
      onClose?.(code);
    },
  };
};

describe('bots: the move follower', () => {
  it('close codes: 4014, 4015, 1001 are moves; 1006 only with --follow-lost; others are not', () => {
    expect([4014, 4015, 1001, 1006, 4002, 4008, 1000].map((c) => moveKind(c))).toEqual([
      'redirected',
      'leaseLost',
      'goingAway',
      null,
      null,
      null,
      null,
    ]);
    expect(moveKind(1006, true)).toBe('lost');
    expect(followBackoffMs(1, 0)).toBe(250);
    expect(followBackoffMs(9, 3)).toBe(2030); // capped at 2 s, plus the spread
  });

  it('4014 reconnects to the redirect with its ticket; 4015 to the first URL, again after a refused try; 4002 ends the bot', async () => {
    const f = createMoveFollower('ws://first');
    const a = scripted();
    const b = scripted(1);
    const c = scripted();
    const slots = [{ moving: false }, { moving: false }, { moving: false }];
    f.watch(a.m, slots[0] ?? {}, 0);
    f.watch(b.m, slots[1] ?? {}, 1);
    f.watch(c.m, slots[2] ?? {}, 2);
    a.close(4014, { url: 'ws://target', ticket: 'v1.t' });
    b.close(4015);
    c.close(4002);
    await f.settle();
    await new Promise((r) => setTimeout(r, 10));
    expect(a.calls).toEqual([['ws://target', 'v1.t']]);
    expect(b.calls).toEqual([
      ['ws://first', null],
      ['ws://first', null],
    ]);
    expect(c.calls).toEqual([]);
    expect(f.tally.followed).toEqual({ redirected: 1, leaseLost: 1, goingAway: 0, lost: 0 });
    expect(f.tally.failed).toEqual({ redirected: 0, leaseLost: 0, goingAway: 0, lost: 0 });
    expect(f.tally.resumed).toBe(2);
    expect(f.tally.gap.totalCount).toBe(2); // 1000 → 1250 ms for each
    expect(slots.map((s) => s.moving)).toEqual([false, false, false]);
    // Watched again after the move: a second 1001 is followed too; after stop() nothing is.
    b.close(1001);
    await f.settle();
    expect(f.tally.followed.goingAway).toBe(1);
    f.stop();
    a.close(4014, { url: 'ws://other', ticket: 'x' });
    await f.settle();
    expect(a.calls).toHaveLength(1);
  });
});
