/**
 * A game's facts waiting for a step in checkpoints (src/persist/fact-sections.ts, schema 5): a fact
 * delivered before the checkpoint and not yet applied comes back in the restored world's queue and
 * applies in its first step, in delivery order, before facts delivered after the restore, once; the
 * world-wide bounds (MAX_PENDING_FACTS, MAX_PENDING_FACT_BYTES) refuse one more (false, counted
 * `limited`, nothing queued) and a world at the bounds round-trips; a schema-4 checkpoint (no facts)
 * still restores; forged fact sections are refused `WT_ERR_CHECKPOINT_CORRUPT` before anything is
 * built; the restore of a replay's starting checkpoint does not apply them (the log holds them).
 */
import { describe, expect, it } from 'vitest';
import {
  defineComponent,
  defineFact,
  defineGame,
  deliverToWorld,
  gameFactStats,
  getStore,
  hashWorldState,
  MAX_FACT_BYTES,
  MAX_PENDING_FACT_BYTES,
  MAX_PENDING_FACTS,
  pauseWorld,
  stepWorld,
  type GameWorld,
} from '../../../src/index.js';
import { createGameWorld, installGame } from '../../../src/game/world.js';
import { createPlayerBindings } from '../../../src/replay/replay-players.js';
import { captureWorld, encodeCapture, restoreWorld } from '../../../src/persist/world-snapshot.js';
import type { SectionIn } from '../../../src/persist/snapshot-format.js';
import { rewriteCheckpoint } from '../../helpers/forge-checkpoint.js';

const Sum = defineComponent('Sum', { total: 'f64' });

const makeGame = (log: string[]) => {
  const add = defineFact<{ tag: string; n: number }>({
    name: 'add',
    capacity: 60_000,
    apply: (w: GameWorld, p) => {
      log.push(`add:${p.tag}@${w.clock.step}`);
      getStore(w, Sum).total[0] += p.n;
    },
  });
  const big = defineFact<string>({ name: 'big', maxBytes: MAX_FACT_BYTES, capacity: 1000, apply: () => {} });
  const note = defineFact<string>({ name: 'note', capacity: 60_000, apply: (w, p) => void log.push(`note:${p}@${w.clock.step}`) });
  return defineGame({ name: 'facts-ck', components: [Sum], facts: [add, big, note] });
};

const world = (game: ReturnType<typeof makeGame>): GameWorld => {
  const w = createGameWorld(game, { id: 'w', capacity: 10 });
  pauseWorld(w);
  stepWorld(w, 3);
  return w;
};

const restore = (game: ReturnType<typeof makeGame>, bytes: Uint8Array, onInstall?: () => void) =>
  restoreWorld(bytes, {
    systems: game.pipeline,
    install: (x) => {
      onInstall?.();
      installGame(game, x);
    },
  });

const rewrite = rewriteCheckpoint;

describe('waiting facts in checkpoints', () => {
  it('come back queued and apply in the first step, in delivery order, before facts delivered after the restore', async () => {
    const logA: string[] = [];
    const gameA = makeGame(logA);
    const a = world(gameA);
    deliverToWorld(a, 'add', { tag: 'x', n: 5 });
    deliverToWorld(a, 'note', 'é-1');
    deliverToWorld(a, 'add', { tag: 'y', n: 7 });
    const stored = await encodeCapture(captureWorld(a));
    const logB: string[] = [];
    const gameB = makeGame(logB);
    const b = await restore(gameB, stored);
    expect(gameFactStats(b)).toMatchObject({ pending: { add: 2, note: 1, big: 0 }, pendingBytes: gameFactStats(a)?.pendingBytes });
    expect(hashWorldState(b)).toBe(hashWorldState(a));
    deliverToWorld(b, 'note', 'after');
    deliverToWorld(a, 'note', 'after');
    stepWorld(a, 2);
    stepWorld(b, 2);
    expect(logA).toEqual(['add:x@3', 'note:é-1@3', 'add:y@3', 'note:after@3']);
    expect(logB).toEqual(logA);
    expect(getStore(b, Sum).total[0]).toBe(12);
    expect(hashWorldState(b)).toBe(hashWorldState(a));
    expect(gameFactStats(b)).toMatchObject({ applied: 4, pending: { add: 0, note: 0 }, pendingBytes: 0, dropped: 0 });
  });

  it('a fact applied after the checkpoint is applied once in the restored history, not twice', async () => {
    const log: string[] = [];
    const game = makeGame(log);
    const a = world(game);
    deliverToWorld(a, 'add', { tag: 'x', n: 5 });
    const stored = await encodeCapture(captureWorld(a));
    stepWorld(a, 1); // applied in the original after the checkpoint: that history is what a crash loses
    expect(getStore(a, Sum).total[0]).toBe(5);
    const b = await restore(game, stored);
    expect(getStore(b, Sum).total[0]).toBe(0); // the state of the checkpoint: not applied yet
    stepWorld(b, 3);
    expect(getStore(b, Sum).total[0]).toBe(5);
    expect(log).toEqual(['add:x@3', 'add:x@3']); // once in each history, at the same step
  });

  it('refuses a fact past the world-wide bounds (false, counted limited, nothing queued); a world at the byte bound round-trips', async () => {
    const game = makeGame([]);
    const a = world(game);
    let queued = 0; // (one expect per call would cost seconds)
    for (let i = 0; i < MAX_PENDING_FACTS; i++) if (deliverToWorld(a, i % 2 ? 'add' : 'note', i % 2 ? { tag: 't', n: 1 } : 'n')) queued++;
    expect(queued).toBe(MAX_PENDING_FACTS);
    expect(deliverToWorld(a, 'note', 'one more')).toBe(false);
    expect(gameFactStats(a)).toMatchObject({ limited: 1, delivered: MAX_PENDING_FACTS });
    expect(gameFactStats(a)?.pending).toEqual({ add: MAX_PENDING_FACTS / 2, big: 0, note: MAX_PENDING_FACTS / 2 });
    stepWorld(a, 1);
    expect(getStore(a, Sum).total[0]).toBe(MAX_PENDING_FACTS / 2);
    expect(deliverToWorld(a, 'note', 'room again')).toBe(true);

    const c = world(game);
    const text = 'x'.repeat(MAX_FACT_BYTES - 2); // a JSON string of MAX_FACT_BYTES bytes
    const fit = Math.floor(MAX_PENDING_FACT_BYTES / MAX_FACT_BYTES);
    for (let i = 0; i < fit; i++) expect(deliverToWorld(c, 'big', text)).toBe(true);
    expect(gameFactStats(c)?.pendingBytes).toBe(fit * MAX_FACT_BYTES);
    expect(deliverToWorld(c, 'big', text)).toBe(false);
    expect(gameFactStats(c)).toMatchObject({ limited: 1, delivered: fit, pending: { big: fit } });
    const d = await restore(game, await encodeCapture(captureWorld(c)));
    expect(gameFactStats(d)).toMatchObject({ pending: { big: fit }, pendingBytes: fit * MAX_FACT_BYTES });
  });

  it('restores a schema-4 checkpoint (no facts section) with nothing waiting', async () => {
    const game = makeGame([]);
    const a = world(game);
    deliverToWorld(a, 'add', { tag: 'x', n: 5 });
    const schema4 = await rewrite(await encodeCapture(captureWorld(a)), (h, s) => {
      expect(h.schema).toBeGreaterThanOrEqual(5); // 6 since the Spectator tag
      expect(h.gameFacts).toEqual({ count: 1, names: ['add'] });
      h.schema = 4;
      delete h.gameFacts;
      for (const k of [...s.keys()]) if (k.startsWith('facts.')) s.delete(k);
    });
    const b = await restore(game, schema4);
    expect(gameFactStats(b)).toMatchObject({ pending: { add: 0 }, pendingBytes: 0 });
    expect(hashWorldState(b)).toBe(hashWorldState(a));
  });

  it('facts whose handlers deliver again every step keep applying in order, and a checkpoint holds the ones waiting', async () => {
    const log: string[] = [];
    const relay = (name: string) =>
      defineFact<number>({
        name,
        apply: (w, n) => {
          log.push(`${name}${n}@${w.clock.step}`);
          deliverToWorld(w, name, n + 1); // applied in the next step
        },
      });
    const game = defineGame({ name: 'relay', facts: [relay('f'), relay('g')] });
    const a = createGameWorld(game, { id: 'w', capacity: 10 });
    pauseWorld(a);
    deliverToWorld(a, 'f', 0);
    deliverToWorld(a, 'g', 0);
    stepWorld(a, 3000);
    expect(log.length).toBe(6000);
    expect(log.slice(-2)).toEqual(['f2999@2999', 'g2999@2999']);
    expect(gameFactStats(a)).toMatchObject({ pending: { f: 1, g: 1 }, applied: 6000 });
    const b = await restoreWorld(await encodeCapture(captureWorld(a)), { systems: game.pipeline, install: (x) => installGame(game, x) });
    log.length = 0;
    stepWorld(b, 1);
    expect(log).toEqual(['f3000@3000', 'g3000@3000']);
  });

  it('a name the game no longer declares is dropped at the restore, counted', async () => {
    const game = makeGame([]);
    const a = world(game);
    deliverToWorld(a, 'note', 'kept');
    deliverToWorld(a, 'big', 'gone');
    const log: string[] = [];
    const fewer = defineGame({
      name: 'facts-ck',
      components: [Sum],
      facts: [defineFact<string>({ name: 'note', apply: (w, p) => void log.push(`${p}@${w.clock.step}`) })],
    });
    const b = await restoreWorld(await encodeCapture(captureWorld(a)), { systems: fewer.pipeline, install: (x) => installGame(fewer, x) });
    expect(gameFactStats(b)).toMatchObject({ dropped: 1, pending: { note: 1 } });
    stepWorld(b, 1);
    expect(log).toEqual(['kept@3']);
  });

  it('past the room of the restored queue (capacities lowered) the newest are dropped, counted; the oldest apply in order', async () => {
    const game = makeGame([]);
    const a = world(game);
    for (let i = 0; i < 5; i++) deliverToWorld(a, 'note', `n${i}`);
    const log: string[] = [];
    const smaller = defineGame({
      name: 'facts-ck',
      components: [Sum],
      facts: [defineFact<string>({ name: 'note', capacity: 2, apply: (w, p) => void log.push(`${p}@${w.clock.step}`) })],
    });
    const b = await restoreWorld(await encodeCapture(captureWorld(a)), {
      systems: smaller.pipeline,
      install: (x) => installGame(smaller, x),
    });
    expect(gameFactStats(b)).toMatchObject({ dropped: 3, pending: { note: 2 } });
    stepWorld(b, 1);
    expect(log).toEqual(['n0@3', 'n1@3']);
    expect(gameFactStats(b)).toMatchObject({ applied: 2, pending: { note: 0 }, pendingBytes: 0 });
  });

  it('refuses forged fact sections with WT_ERR_CHECKPOINT_CORRUPT before anything is built', async () => {
    const game = makeGame([]);
    const a = world(game);
    deliverToWorld(a, 'add', { tag: 'x', n: 5 });
    deliverToWorld(a, 'note', 'y');
    const good = await encodeCapture(captureWorld(a));
    const set = (name: string, k: number, v: number) => (_h: unknown, s: Map<string, SectionIn['data']>) => void (s.get(name)![k] = v);
    const forge: Record<string, (h: Record<string, any>, s: Map<string, SectionIn['data']>) => void> = {
      'gameFacts not an object': (h) => void (h.gameFacts = 7),
      'count over the limit': (h) => void (h.gameFacts.count = MAX_PENDING_FACTS + 1),
      'count unlike the sections': (h) => void (h.gameFacts.count = 3),
      'a negative count': (h) => void (h.gameFacts.count = -1),
      'a bad name': (h) => void (h.gameFacts.names[1] = 'no spaces'),
      'names not an array': (h) => void (h.gameFacts.names = 'add'),
      'a missing section': (_h, s) => void s.delete('facts.len'),
      'a section of another type': (_h, s) => void s.set('facts.name', new Uint32Array(2)),
      'a name index past the table': set('facts.name', 1, 9),
      'a payload length past the bytes': set('facts.len', 0, 1000),
      'a payload length over MAX_FACT_BYTES': set('facts.len', 0, MAX_FACT_BYTES + 1),
      'bytes that do not add up': set('facts.len', 1, 1),
      'a payload that is not JSON': set('facts.json', 0, 0x7b + 1),
      'a payload that is not UTF-8': set('facts.json', 1, 0xff),
      'a "__proto__" key': (_h, s) => {
        const json = new TextEncoder().encode('{"__proto__":1}"y"');
        s.set('facts.json', json);
        s.set('facts.len', Uint32Array.of(15, 3));
      },
    };
    for (const [what, edit] of Object.entries(forge)) {
      let installed = false;
      await expect(
        restore(game, await rewrite(good, edit), () => (installed = true)),
        what,
      ).rejects.toMatchObject({ code: 'WT_ERR_CHECKPOINT_CORRUPT' });
      expect(installed, what).toBe(false); // refused before the world was built: nothing half-applied
    }
    const b = await restore(game, good);
    expect(gameFactStats(b)?.pending).toEqual({ add: 1, big: 0, note: 1 });
  });

  it('the restore of a replay does not apply them: its log holds them (counted discardedInReplay)', async () => {
    const log: string[] = [];
    const game = makeGame(log);
    const a = world(game);
    deliverToWorld(a, 'add', { tag: 'x', n: 5 });
    const b = await restore(game, await encodeCapture(captureWorld(a)));
    if (b.game) b.game.replay = createPlayerBindings(); // as src/replay's buildRecordedWorld does after restoring
    stepWorld(b, 1);
    expect(log).toEqual([]);
    expect(gameFactStats(b)).toMatchObject({ applied: 0, discardedInReplay: 1, pending: { add: 0 }, pendingBytes: 0 });
  });
});
