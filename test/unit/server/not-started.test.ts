/**
 * The list of worlds not started here (src/server/not-started.ts): an entry names the refused
 * checkpoint; `expire` keeps it while the world's stored record is unchanged, drops it when the
 * record changed or is gone, and takes the stamp from the first listing when none was known.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, WorldtickError } from '../../../src/errors.js';
import { createNotStartedWorlds, notStartedRefusal } from '../../../src/server/not-started.js';

const tooNew = new WorldtickError(ErrorCode.CHECKPOINT_TOO_NEW, 'newer', {
  details: { what: 'schema', found: 6, known: 5, worldId: 'w', step: 40 },
});

describe('NotStartedWorlds', () => {
  it('lists the refusal and drops it once the record changed or is gone', () => {
    const l = createNotStartedWorlds();
    l.add('w', tooNew, 'start', 100);
    l.add('v', tooNew, 'failover'); // no stamp known yet
    l.add('gone', tooNew, 'migration', 5);
    expect(l.list().map((e) => e.worldId)).toEqual(['gone', 'v', 'w']);
    expect(l.get('w')).toMatchObject({
      reason: 'checkpoint-too-new',
      at: 'start',
      checkpoint: { what: 'schema', found: 6, known: 5, step: 40 },
    });
    // Unchanged (w), first listing (v takes 7), deleted (gone).
    expect(
      l.expire([
        { worldId: 'w', updatedAt: 100 },
        { worldId: 'v', updatedAt: 7 },
      ]),
    ).toEqual(['gone']);
    expect(
      l.expire([
        { worldId: 'w', updatedAt: 100 },
        { worldId: 'v', updatedAt: 7 },
      ]),
    ).toEqual([]);
    expect(
      l.expire([
        { worldId: 'w', updatedAt: null },
        { worldId: 'v', updatedAt: 8 },
      ]),
    ).toEqual(['v']); // no stamp: kept
    expect(l.expire([{ worldId: 'w', updatedAt: 101 }])).toEqual(['w']);
    expect(l.list()).toEqual([]);
  });

  it('a world refused as game data the game cannot hold: reason game-incompatible with its problems, 409 WT_ERR_CHECKPOINT_INCOMPATIBLE', () => {
    const l = createNotStartedWorlds();
    const problems = ['Health.hp: type u16 → u8, but 1 entity holds a value u8 cannot hold (entity 2: 300)'];
    l.add(
      'arena',
      new WorldtickError(ErrorCode.CHECKPOINT_INCOMPATIBLE, 'no fit', { details: { problems, worldId: 'arena', step: 9 } }),
      'start',
      1,
    );
    expect(l.get('arena')).toMatchObject({ reason: 'game-incompatible', problems, checkpoint: { step: 9 } });
    const r = notStartedRefusal(l, 'arena');
    expect(r?.status).toBe(409);
    expect(r?.json).toMatchObject({ code: 'WT_ERR_CHECKPOINT_INCOMPATIBLE', details: { reason: 'game-incompatible' } });
    expect((r?.json as { message?: string } | undefined)?.message).toContain('Health.hp: type u16 → u8');
  });
});
