/**
 * Record and replay a game's world (src/game): the log's recipe names the game and its hashes
 * cover the game's component stores; the replay rebuilds the world with the game's definition
 * (pipeline, stores, messages) — from its seed, or from the starting checkpoint of a recording
 * begun on the running world (the game's stores are in it) — and matches every hash, in process
 * and with `npm run replay -- <log> --game <module>#<export>`. Replaying a game's log without its
 * game, or a built-in world's log with a game, is a coded error.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pack } from 'msgpackr';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.js';
import { createGameWorld } from '../../../src/game/world.js';
import { getStore, hashWorldState, query } from '../../../src/index.js';
import { readLog } from '../../../src/replay/log-format.js';
import { Recorder } from '../../../src/replay/recorder.js';
import { replayLog } from '../../../src/replay/replayer.js';
import { runStep } from '../../../src/world/step.js';
import type { SimWorld } from '../../../src/world/sim-world.js';
import { Score, SCORE_SESSION, scoreGame } from '../../helpers/score-game.js';
import { childNodeArgs } from '../../helpers/child-node.js';
import { recipeOfTestWorld } from '../../helpers/world-recipe.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'wt-rec-game-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const recipeOf = (w: SimWorld) => recipeOfTestWorld(w, { npcs: 20, scenes: false, inputMaxSpeed: null, game: scoreGame.name });

describe('record and replay a game world', () => {
  it('from the seed and from a checkpoint of the running world: every hash (game stores included) matches', async () => {
    const w = createGameWorld(scoreGame, { id: 'g', seed: 3, capacity: 200, size: 300, npcs: 20 });
    const player = query(w, [w.stores.Player])[0] ?? -1;
    let k = 0;
    const steps = (n: number): void => {
      for (let i = 0; i < n; i++, k++) {
        if (k % 3 === 0) w.ingest.push('msg:bump', player, { session: SCORE_SESSION, payload: { amount: 1 + (k % 9) } });
        runStep(w);
      }
    };
    const seedLog = join(dir, 'seed.wtlog');
    const a = new Recorder(w, { path: seedLog, recipe: recipeOf, hashEvery: 3 });
    await a.start();
    expect(a.startCheckpoint).toBeNull(); // step 0, nothing submitted: from the seed
    steps(30);
    await a.stop();
    const ckLog = join(dir, 'running.wtlog');
    const b = new Recorder(w, { path: ckLog, recipe: recipeOf, hashEvery: 3 });
    await b.start();
    expect(b.startCheckpoint?.reason).toBe('running');
    steps(30);
    await b.stop();
    expect(getStore(w, Score).pts[player]).toBeGreaterThan(0);

    for (const file of [seedLog, ckLog]) {
      const log = readLog(file);
      expect(log.header.recipe.game).toBe('score');
      expect(log.steps.some((f) => f.facts.some(([t]) => t === 'msg:bump'))).toBe(true);
      const res = await replayLog(log, undefined, { game: scoreGame });
      expect(res.failure).toBeNull();
      expect(res.checks.length).toBe(11);
      expect(res.checks.every((c) => c.ok)).toBe(true);
      await expect(replayLog(log)).rejects.toMatchObject({ code: ErrorCode.REPLAY_LOG_INVALID });
    }
    expect(readLog(ckLog).end?.hash).toBe(hashWorldState(w));

    const ok = await run('node', [
      '--import',
      'tsx',
      'src/replay/main.ts',
      ckLog,
      '--quiet',
      '--game',
      'test/helpers/score-game.ts#scoreGame',
    ]);
    expect(ok.stdout).toMatch(/world g of game score, from checkpoint running\.wtlog\.start\.wtck/);
    expect(ok.stdout).toMatch(/^OK: 30 steps replayed, 11\/11 hashes matched$/m);
    const bad = await run('node', [...(await childNodeArgs('src/replay/main.ts')), ckLog, '--quiet']).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(bad?.code).toBe(2);
    expect(bad?.stderr).toMatch(/WT_ERR_REPLAY_LOG_INVALID.*game "score"/);
  }, 30_000);
});

describe("a game's log and the definition's version", () => {
  it('a log recorded by version 1 is refused with version 2, naming both; replayed with version 1; a malformed recorded version is refused', async () => {
    const w = createGameWorld(scoreGame, { id: 'v', seed: 5, capacity: 200, size: 300, npcs: 20 });
    const file = join(dir, 'versioned.wtlog');
    const rec = new Recorder(w, { path: file, recipe: (x) => ({ ...recipeOf(x), gameVersion: scoreGame.version }), hashEvery: 2 });
    await rec.start();
    for (let i = 0; i < 6; i++) runStep(w);
    await rec.stop();
    const log = readLog(file);
    expect(log.header.recipe.gameVersion).toBe(1);
    const v2 = { ...scoreGame, version: 2 };
    await expect(replayLog(log, undefined, { game: v2 })).rejects.toMatchObject({
      code: ErrorCode.REPLAY_LOG_INVALID,
      message: expect.stringMatching(/recorded by version 1 of game "score", the definition given is version 2/),
    });
    expect((await replayLog(log, undefined, { game: scoreGame })).failure).toBeNull();
    // A log written before the version was recorded is not checked.
    const { gameVersion: _, ...older } = log.header.recipe;
    expect((await replayLog({ ...log, header: { ...log.header, recipe: older } }, undefined, { game: v2 })).failure).toBeNull();
    const bad = join(dir, 'bad-version.wtlog');
    writeFileSync(bad, pack({ ...log.header, recipe: { ...log.header.recipe, gameVersion: 'x' } }));
    expect(() => readLog(bad)).toThrow(/game version is malformed/);
  });
});
