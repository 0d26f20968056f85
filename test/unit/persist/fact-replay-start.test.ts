/**
 * Waiting game facts and a replay's starting checkpoint (docs/DURABILITY.md "Waiting game facts",
 * "Replays"): a recording begun on a running world while a fact waits starts from a checkpoint that
 * holds the fact, and its log holds the fact too (applied in the first recorded step). The replay
 * restores the checkpoint — the fact is queued again — and applies the log's: the restored one is
 * discarded, so the fact is applied once and every hash matches (applied twice, they would not).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  defineComponent,
  defineFact,
  defineGame,
  deliverToWorld,
  getStore,
  pauseWorld,
  query,
  spawn,
  addComponent,
} from '../../../src/index.js';
import { GAME_FACT_INGEST_TYPE } from '../../../src/game/fact-state.js';
import { createGameWorld } from '../../../src/game/world.js';
import { readLog } from '../../../src/replay/log-format.js';
import { Recorder } from '../../../src/replay/recorder.js';
import { replayLog } from '../../../src/replay/replayer.js';
import { runStep } from '../../../src/world/step.js';
import { recipeOfTestWorld } from '../../helpers/world-recipe.js';

const dir = mkdtempSync(join(tmpdir(), 'wt-fact-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const Sum = defineComponent('Sum', { total: 'f64' });
const add = defineFact<{ n: number }>({
  name: 'add',
  apply: (w, p) => {
    const e = query(w, [Sum])[0];
    if (e !== undefined) getStore(w, Sum).total[e] += p.n;
  },
});
const game = defineGame({
  name: 'fact-replay',
  components: [Sum],
  facts: [add],
  hooks: { populate: (w) => addComponent(w, spawn(w, { kind: 1, x: 5, y: 5 }), Sum) },
});

describe('a waiting fact in a replay starting checkpoint', () => {
  it('is applied once in the replay (from the log), not again from the checkpoint', async () => {
    const w = createGameWorld(game, { id: 'r', seed: 3, capacity: 16, size: 100 });
    pauseWorld(w);
    for (let i = 0; i < 3; i++) runStep(w);
    await Promise.resolve().then(() => deliverToWorld(w, add, { n: 5 })); // waits for the next step
    const path = join(dir, 'running.wtlog');
    const rec = new Recorder(w, {
      path,
      recipe: (x) => recipeOfTestWorld(x, { npcs: 0, scenes: false, inputMaxSpeed: null, game: game.name }),
      hashEvery: 1,
    });
    await rec.start();
    for (let i = 0; i < 3; i++) runStep(w);
    await rec.stop();
    const e = query(w, [Sum])[0] as number;
    expect(getStore(w, Sum).total[e]).toBe(5);

    const log = readLog(path);
    expect(log.header.start?.reason).toBe('running');
    expect(log.steps.flatMap((f) => f.facts).filter(([t]) => t === GAME_FACT_INGEST_TYPE)).toEqual([
      [GAME_FACT_INGEST_TYPE, 0, ['add', { n: 5 }]],
    ]);
    const res = await replayLog(log, undefined, { game });
    expect(res.failure).toBeNull();
    expect(res.checks.length).toBeGreaterThanOrEqual(2);
    expect(res.checks.every((c) => c.ok)).toBe(true);
  });
});
