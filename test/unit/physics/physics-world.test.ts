/**
 * Physics as a world slot: the block is validated with the schema module (every problem listed,
 * one coded error), obstacles come inline or from a map file, a world built with physics has the
 * `physics` system at creation, runs are deterministic, and players stop at world edges.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isWorldtickError } from '../../../src/errors.js';
import { autoShards, physicsStatsOf, resolveWorldPhysics } from '../../../src/physics/physics-world.js';
import { physicsGridProblems } from '../../../src/physics/physics-config.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { createSimWorld, spawnPlayer } from '../../../src/world/sim-world.js';
import { hashWorldState } from '../../../src/world/state-hash.js';
import { stepWorld } from '../../../src/world/step.js';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import { createRuntime } from '../../../src/server/runtime.js';

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (isWorldtickError(err, ErrorCode.CONFIG_INVALID)) return (err.details as { problems: string[] }).problems;
    throw err;
  }
  throw new Error('no error');
};

describe('world physics options', () => {
  it('a bad block is one WT_ERR_CONFIG_INVALID listing every problem', () => {
    const problems = problemsOf(() =>
      resolveWorldPhysics({
        shards: 99,
        mode: 'fast',
        color: 'red',
        tuning: { cellSize: -1 },
        obstacles: [
          { minX: 0, minY: 0, maxX: 'a', maxY: 1 },
          { minX: 5, minY: 5, maxX: 1, maxY: 9 },
        ],
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^physics\.shards must be a string matching/),
        expect.stringMatching(/^physics\.mode must be one of auto, inline, shards/),
        'physics.color is not a known option',
        expect.stringMatching(/^physics\.tuning\.cellSize must be a number between/),
        'physics.obstacles[0].maxX must be a finite number',
        'physics.obstacles[1] must have minX < maxX and minY < maxY',
      ]),
    );
    expect(problemsOf(() => resolveWorldPhysics({ tuning: { cellSize: 1, npcRadius: 2 } }))).toEqual([
      expect.stringMatching(/^physics\.tuning\.cellSize 1 must be >= 2 × the largest body radius/),
    ]);
    expect(problemsOf(() => resolveWorldPhysics([]))).toEqual([expect.stringMatching(/physics must be true, false or an object/)]);
    // The world is not created with a bad block.
    expect(problemsOf(() => createSimWorld({ id: 'bad', physics: { shards: 'x' } }))).toHaveLength(1);
  });

  it('obstacles from a map file (array or {obstacles}), refused where map files are not allowed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wt-map-'));
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    const bad = join(dir, 'bad.json');
    writeFileSync(a, JSON.stringify([{ minX: 10, minY: 10, maxX: 20, maxY: 20 }]));
    writeFileSync(b, JSON.stringify({ obstacles: [{ minX: 30, minY: 30, maxX: 40, maxY: 40, kind: 2 }] }));
    writeFileSync(bad, '{"obstacles": [{"minX": 1}]');
    expect(resolveWorldPhysics({ map: a, obstacles: [{ minX: 50, minY: 50, maxX: 60, maxY: 60 }] }).obstacles).toHaveLength(2);
    expect(resolveWorldPhysics({ map: b }).obstacles[0]).toMatchObject({ minX: 30, kind: 2 });
    expect(problemsOf(() => resolveWorldPhysics({ map: bad }))[0]).toMatch(/could not be read as JSON/);
    expect(problemsOf(() => resolveWorldPhysics({ map: join(dir, 'missing.json') }))[0]).toMatch(/could not be read/);
    expect(problemsOf(() => resolveWorldPhysics({ map: a }, { allowMapFile: false }))).toEqual([
      'physics.map is not allowed here (give obstacles inline)',
    ]);
  });

  it('the default world from flags and the config file: a bad physics setup is one coded error listing every problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wt-physcfg-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ physicsConfig: { obstacles: [{ minX: 1 }], tuning: { maxSpeed: -1 } } }));
    // The config file's block is checked with the other options: one WT_ERR_OPTION_INVALID listing each problem.
    let parseErr: unknown;
    try {
      parseOptions(['--config', file, '--npcs', '10'], {});
    } catch (err) {
      parseErr = err;
    }
    expect(isWorldtickError(parseErr, ErrorCode.OPTION_INVALID)).toBe(true);
    expect((parseErr as { details: { problems: string[] } }).details.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^config file: physicsConfig\.tuning\.maxSpeed must be a number between/),
        'config file: physicsConfig.obstacles[0].minY must be a finite number',
      ]),
    );
    // What only the runtime can see (the map file) is a coded error of its own there, listing every problem.
    writeFileSync(file, JSON.stringify({ physicsConfig: { tuning: { maxSpeed: 10 } } }));
    const problems = problemsOf(() =>
      createRuntime(
        parseOptions(['--config', file, '--map', join(dir, 'missing.json'), '--npcs', '10', '--port', '0', '--admin-port', '0'], {}),
        createLogger('silent'),
      ),
    );
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^physics\.map .*missing\.json could not be read/)]));
    const off = createRuntime(
      parseOptions(['--physics', 'off', '--npcs', '10', '--port', '0', '--admin-port', '0'], {}),
      createLogger('silent'),
    );
    expect(off.defaultWorld.physics).toBeNull();
    expect(() => parseOptions(['--shards', '17'], {})).toThrow(/--shards must be one of auto, 0, 1/);
  });

  it('a collision grid over 2048 × 2048 cells or a navigation raster over 8192 × 8192 for the world is refused before any allocation', () => {
    // Before: a RangeError (Array buffer allocation failed / Invalid typed array length) from the allocation itself,
    // exit 1 for `npm start -- --world-size 100000` and a 500 for such an admin create.
    const problems = (fn: () => unknown): string[] => {
      try {
        fn();
        return [];
      } catch (err) {
        if (isWorldtickError(err)) return (err.details as { problems: string[] }).problems;
        throw err;
      }
    };
    const refused = (size: number, physics: unknown): string[] => problems(() => createSimWorld({ id: 'g', capacity: 10, size, physics }));
    expect(refused(100_000, {})).toEqual([
      'physics.tuning.cellSize 4 gives 25000×25000 collision grid cells for a world of size 100000 (at most 2048×2048: use cellSize >= 49)',
      'physics.tuning.navCellSize 4 gives 25000×25000 navigation raster cells for a world of size 100000 (at most 8192×8192: use navCellSize >= 13)',
    ]);
    expect(refused(2000, { tuning: { navCellSize: 0.01 } })).toEqual([
      'physics.tuning.navCellSize 0.01 gives 200000×200000 navigation raster cells for a world of size 2000 (at most 8192×8192: use navCellSize >= 1)',
    ]);
    expect(refused(2000, { tuning: { cellSize: 0.5, npcRadius: 0.1, playerRadius: 0.1 } })).toEqual([
      'physics.tuning.cellSize 0.5 gives 4000×4000 collision grid cells for a world of size 2000 (at most 2048×2048: use cellSize >= 1)',
    ]);
    // The bounds themselves (no allocation: a raster cell costs ~117 bytes with the pathfinder) and the benches' setups.
    expect(physicsGridProblems(8192, { cellSize: 4, navCellSize: 1 })).toEqual([]);
    expect(physicsGridProblems(8193, { cellSize: 4, navCellSize: 1 })).toHaveLength(2);
    expect(physicsGridProblems(50_000, { cellSize: 32, navCellSize: 16 })).toEqual([]); // bench/million-physics.ts
    expect(physicsGridProblems(20_000, { cellSize: 32, navCellSize: 4 })).toEqual([]); // bench/physics-lod.bench.ts at 1M
    // Worlds at the bound and at the size a message advises are made (small rasters here).
    expect(createSimWorld({ id: 'edge', capacity: 10, size: 8192, physics: { tuning: { navCellSize: 64 } } }).physics?.state.side).toBe(
      2048,
    );
    expect(refused(2000, { tuning: { cellSize: 1, npcRadius: 0.1, playerRadius: 0.1, navCellSize: 8 } })).toEqual([]);
    expect(
      createSimWorld({ id: 'advised', capacity: 10, size: 100_000, physics: { tuning: { cellSize: 49, navCellSize: 200 } } }).physics,
    ).not.toBeNull();
    // The command line says it with the option names, before any world is made; --physics off needs no grid.
    expect(problems(() => parseOptions(['--world-size', '100000'], {}))).toEqual([
      expect.stringMatching(
        /^--world-size 100000 with --physics on: physicsConfig\.tuning\.cellSize 4 gives 25000×25000 collision grid cells/,
      ),
      expect.stringMatching(/^--world-size 100000 with --physics on: physicsConfig\.tuning\.navCellSize 4 gives/),
    ]);
    expect(parseOptions(['--world-size', '100000', '--physics', 'off'], {}).worldSize).toBe(100_000);
    // The crowd scenario's world has no physics (and a size of its own): nothing to refuse.
    expect(parseOptions(['--world-size', '100000', '--scenario', 'crowd'], {}).scenario).toBe('crowd');
    const dir = mkdtempSync(join(tmpdir(), 'wt-physgrid-'));
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ physicsConfig: { tuning: { navCellSize: 0.2 } } }));
    expect(problems(() => parseOptions(['--config', join(dir, 'c.json')], {}))).toEqual([
      'config file: --world-size 2000 with --physics on: physicsConfig.tuning.navCellSize 0.2 gives 10000×10000 navigation raster cells for a world of size 2000 (at most 8192×8192: use navCellSize >= 1)',
    ]);
  });

  it('shards: auto is cores - 1 (at most 4), numbers are accepted', () => {
    expect(autoShards(1)).toBe(0);
    expect(autoShards(2)).toBe(1);
    expect(autoShards(64)).toBe(4);
    expect(resolveWorldPhysics({ shards: 'auto' }, { cores: 3 }).shards).toBe(2);
    expect(resolveWorldPhysics({ shards: 3 }).shards).toBe(3);
    expect(resolveWorldPhysics(true).enabled).toBe(true);
    expect(resolveWorldPhysics(false).enabled).toBe(false);
  });
});

describe('a world built with physics', () => {
  const build = (seed: number, physics: unknown) => {
    const w = createSimWorld({
      id: 'pw',
      seed,
      capacity: 2200,
      size: 400,
      physics,
      config: { controller: { enabled: false }, simulation: { pauseSimulation: true } },
    });
    populateNpcs(w, { count: 2000 });
    return w;
  };

  it('has the physics system in the physics phase from creation, and none without physics', () => {
    const w = build(1, { shards: 0, obstacles: [{ minX: 100, minY: 100, maxX: 140, maxY: 300 }] });
    const names = w.pipeline.map((e) => e.name);
    expect(names).toContain('physics');
    expect(names).not.toContain('movement');
    expect(w.pipeline[names.indexOf('physics')].phase).toBe('physics');
    const off = build(1, false);
    expect(off.physics).toBeNull();
    expect(off.pipeline.map((e) => e.name)).toContain('movement');
    expect(physicsStatsOf(off.physics)).toBeNull();
  });

  it('same seed and inputs give the same hash (physics on), and differ from physics off', () => {
    const block = { shards: 0, obstacles: [{ minX: 100, minY: 100, maxX: 140, maxY: 300 }] };
    const a = build(7, block);
    const b = build(7, block);
    const c = build(7, false);
    for (const w of [a, b, c]) stepWorld(w, 300);
    expect(hashWorldState(a)).toBe(hashWorldState(b));
    expect(hashWorldState(a)).not.toBe(hashWorldState(c));
    const st = physicsStatsOf(a.physics)!;
    expect(st.physics.steps).toBe(300);
    expect(st.physics.obstacles).toBe(1);
    expect(st.shards).toMatchObject({ configured: 0, pool: null, lastSharded: false });
  });

  it('NPCs beyond their home leash walk home by pathfinding (requestGoal) when the world has physics', () => {
    const wall = { minX: 150, minY: 0, maxX: 170, maxY: 350 };
    const w = createSimWorld({
      id: 'home',
      seed: 3,
      capacity: 400,
      size: 400,
      physics: { shards: 0, obstacles: [wall] },
      config: { controller: { enabled: false }, simulation: { pauseSimulation: true } },
    });
    const npcs = populateNpcs(w, { count: 200 });
    spawnPlayer(w, 100, 200, 400); // keeps everyone in a ticking tier
    for (const e of npcs) {
      w.stores.Npc.homeX[e] = 390;
      w.stores.Npc.homeY[e] = 200;
    }
    stepWorld(w, 400);
    const nav = physicsStatsOf(w.physics)!.navigation;
    expect(nav.plans).toBeGreaterThan(0);
    expect(nav.byOutcome.found).toBeGreaterThan(0);
    // Nobody walked through the wall.
    for (const e of npcs) {
      const x = w.stores.Position.x[e],
        y = w.stores.Position.y[e];
      expect(x > wall.minX && x < wall.maxX && y > wall.minY && y < wall.maxY).toBe(false);
    }
  });

  it('a player walking into the edge stops there (no bounce)', () => {
    const w = createSimWorld({
      id: 'edge',
      capacity: 10,
      size: 100,
      physics: { shards: 0 },
      config: { controller: { enabled: false }, simulation: { pauseSimulation: true, tickIntervalSeconds: 0.1 } },
    });
    const p = spawnPlayer(w, 90, 50, 50);
    w.stores.Velocity.x[p] = 20;
    stepWorld(w, 20);
    const r = w.physics!.config.tuning.playerRadius;
    expect(w.stores.Position.x[p]).toBeCloseTo(100 - r, 4);
    expect(w.stores.Velocity.x[p]).toBe(0);
    stepWorld(w, 5);
    expect(w.stores.Position.x[p]).toBeCloseTo(100 - r, 4);
  });
});
