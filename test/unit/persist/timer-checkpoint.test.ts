/**
 * A game's pending timers in checkpoints (src/persist/timer-sections.ts, schema 4): at the bounds
 * (MAX_PENDING_TIMERS one-shots filling MAX_PENDING_TIMER_BYTES of payload) the header stays a few
 * KB — the timers are body sections — and a restored world has the same pending timers and state
 * hash; the byte budget is enforced at `setWorldTimer` (coded, counted, nothing scheduled); a
 * schema-3 checkpoint (pending timers in the header) still restores; forged timer sections are
 * refused `WT_ERR_CHECKPOINT_CORRUPT`.
 */
import { describe, expect, it } from 'vitest';
import {
  clearWorldTimer,
  createGameWorld,
  defineGame,
  hashWorldState,
  MAX_PENDING_TIMER_BYTES,
  MAX_PENDING_TIMERS,
  MAX_TIMER_PAYLOAD_BYTES,
  pauseWorld,
  pendingWorldTimers,
  setWorldTimer,
  stepWorld,
  type FiredTimer,
} from '../../../src/index.js';
import { installGame } from '../../../src/game/world.js';
import { captureWorld, encodeCapture, restoreWorld } from '../../../src/persist/world-snapshot.js';
import type { SectionIn } from '../../../src/persist/snapshot-format.js';
import { rewriteCheckpoint } from '../../helpers/forge-checkpoint.js';

const makeGame = (log: FiredTimer[] = []) =>
  defineGame({
    name: 'timer-ck',
    timers: [
      { name: 'once', run: (_w, _c, t) => log.push(t) },
      { name: 'beat', every: 3, run: () => {} },
    ],
  });

const headerBytes = (packed: Uint8Array): number => new DataView(packed.buffer, packed.byteOffset).getUint32(8, true);
const codeOf = (fn: () => unknown): { code?: string; details?: Record<string, unknown> } => {
  try {
    fn();
  } catch (err) {
    return err as { code?: string; details?: Record<string, unknown> };
  }
  return {};
};

const rewrite = rewriteCheckpoint;

describe('timers in checkpoints', () => {
  it('at the bounds the header stays small and the restored world has the same timers and hash', async () => {
    const game = makeGame();
    const w = createGameWorld(game, { id: 'w', capacity: 100 });
    pauseWorld(w);
    stepWorld(w, 7);
    const each = Math.floor(MAX_PENDING_TIMER_BYTES / MAX_PENDING_TIMERS) - 2; // a JSON string of `each` chars: each + 2 bytes
    for (let i = 0; i < MAX_PENDING_TIMERS; i++) setWorldTimer(w, (i * 7919) % 5000, 'once', 'é'.repeat(each / 2 - 1) + String(i % 10));
    expect(w.game?.timers.pendingBytes).toBeLessThanOrEqual(MAX_PENDING_TIMER_BYTES);
    const cap = captureWorld(w);
    expect(headerBytes(cap.packed)).toBeLessThan(16_384);
    const b = await restoreWorld(await encodeCapture(cap), { systems: game.pipeline, install: (x) => installGame(game, x) });
    expect(pendingWorldTimers(b)).toEqual(pendingWorldTimers(w));
    expect(b.game?.timers.pendingBytes).toBe(w.game?.timers.pendingBytes);
    expect(hashWorldState(b)).toBe(hashWorldState(w));
    pauseWorld(b);
    stepWorld(w, 50);
    stepWorld(b, 50);
    expect(hashWorldState(b)).toBe(hashWorldState(w));
  });

  it('refuses a timer past the byte budget with WT_ERR_TIMER_LIMIT, counted, nothing scheduled; firing and clearing free bytes', () => {
    const log: FiredTimer[] = [];
    const w = createGameWorld(makeGame(log), { id: 'w', capacity: 10 });
    pauseWorld(w);
    const big = 'x'.repeat(MAX_TIMER_PAYLOAD_BYTES - 2); // 4096 bytes of JSON
    const fit = Math.floor(MAX_PENDING_TIMER_BYTES / MAX_TIMER_PAYLOAD_BYTES);
    const ids: number[] = [];
    for (let i = 0; i < fit; i++) ids.push(setWorldTimer(w, 10, 'once', big));
    const err = codeOf(() => setWorldTimer(w, 10, 'once', big));
    expect(err.code).toBe('WT_ERR_TIMER_LIMIT');
    expect(err.details).toMatchObject({ limit: 'bytes', max: MAX_PENDING_TIMER_BYTES, pending: fit * 4096, bytes: 4096 });
    expect(w.game?.timers.counters.refused).toBe(1);
    expect(pendingWorldTimers(w)).toHaveLength(fit);
    expect(w.game?.timers.nextId).toBe(fit + 1); // no id spent on a refusal
    expect(clearWorldTimer(w, ids[0] ?? 0)).toBe(true);
    expect(setWorldTimer(w, 0, 'once', big)).toBe(fit + 1);
    stepWorld(w, 1);
    expect(log.map((t) => t.id)).toEqual([fit + 1]);
    expect(log[0]?.payload).toBe(big);
    expect(w.game?.timers.pendingBytes).toBe((fit - 1) * 4096);
    // The count limit is counted the same way.
    const v = createGameWorld(makeGame(), { id: 'v', capacity: 10 });
    for (let i = 0; i < MAX_PENDING_TIMERS; i++) setWorldTimer(v, 1, 'once');
    expect(codeOf(() => setWorldTimer(v, 1, 'once')).details).toMatchObject({ limit: 'count', max: MAX_PENDING_TIMERS });
    expect(v.game?.timers.counters.refused).toBe(1);
  });

  it('restores a schema-3 checkpoint (pending timers in the header)', async () => {
    const game = makeGame();
    const w = createGameWorld(game, { id: 'w', capacity: 10 });
    pauseWorld(w);
    stepWorld(w, 3);
    setWorldTimer(w, 4, 'once', { a: [1, 'b'] });
    setWorldTimer(w, 2, 'once', null);
    const schema3 = await rewrite(await encodeCapture(captureWorld(w)), (h, s) => {
      h.schema = 3;
      h.gameTimers = {
        nextId: h.gameTimers.nextId,
        repeating: h.gameTimers.repeating,
        pending: pendingWorldTimers(w).map((t) => [t.id, t.name, t.due, t.payload]),
      };
      for (const k of [...s.keys()]) if (k.startsWith('timers.')) s.delete(k);
    });
    const b = await restoreWorld(schema3, { systems: game.pipeline, install: (x) => installGame(game, x) });
    expect(pendingWorldTimers(b)).toEqual(pendingWorldTimers(w));
    expect(hashWorldState(b)).toBe(hashWorldState(w));
  });

  it('refuses forged timer sections with WT_ERR_CHECKPOINT_CORRUPT', async () => {
    const game = makeGame();
    const w = createGameWorld(game, { id: 'w', capacity: 10 });
    setWorldTimer(w, 4, 'once', { a: 1 });
    setWorldTimer(w, 5, 'once', [2]);
    const good = await encodeCapture(captureWorld(w));
    const forge: Record<string, (h: Record<string, any>, s: Map<string, SectionIn['data']>) => void> = {
      'count over the limit': (h) => void (h.gameTimers.count = MAX_PENDING_TIMERS + 1),
      'count unlike the sections': (h) => void (h.gameTimers.count = 3),
      'a name index past the table': (_h, s) => void ((s.get('timers.name') as Uint16Array)[1] = 9),
      'a payload length past the bytes': (_h, s) => void ((s.get('timers.len') as Uint32Array)[0] = 1000),
      'a payload that is not JSON': (_h, s) => void ((s.get('timers.json') as Uint8Array)[0] = 0x7b + 1),
      'a non-integer id': (_h, s) => void ((s.get('timers.id') as Float64Array)[0] = 1.5),
      'an infinite due time': (_h, s) => void ((s.get('timers.due') as Float64Array)[0] = Infinity),
    };
    for (const [what, edit] of Object.entries(forge)) {
      const bad = await rewrite(good, edit);
      await expect(restoreWorld(bad, { systems: game.pipeline, install: (x) => installGame(game, x) }), what).rejects.toMatchObject({
        code: 'WT_ERR_CHECKPOINT_CORRUPT',
      });
    }
  });
});
