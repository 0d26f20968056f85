/**
 * Fuzz: the config file's blocks (`net`, `periodic`, `ledger`, `playerData`, `tierZones`, `physicsConfig`) with
 * random values — mostly valid per their schemas, often at an edge or of a wrong type — beside a random world size.
 * Each file is refused by parseOptions with WT_ERR_OPTION_INVALID (non-empty problem lines), or accepted, and then
 * the runtime it describes is made (`createRuntime`; a few started too) or refused with a coded WT_ERR_OPTION_INVALID
 * / WT_ERR_CONFIG_INVALID listing its problems (relations between net fields are checked there, where a game's net
 * defaults are merged). Anything else — a RangeError, a TypeError, an uncoded error — fails here. Found by hand before
 * this file: `--world-size 100000` with physics on passed parseOptions and died with a RangeError; this file fails on
 * that code (`createRuntime threw RangeError: Invalid typed array length`). docs/ARCHITECTURE.md "Grid bounds".
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseOptions } from '../../../src/cli/options.js';
import type { ObjectSpec, Spec } from '../../../src/config/schema.js';
import { ErrorCode, WorldtickError } from '../../../src/errors.js';
import { createLogger } from '../../../src/log.js';
import { NET_CONFIG_SPEC } from '../../../src/net/net-config.js';
import { DECLARED_TASK_SPEC } from '../../../src/periodic/declared-tasks.js';
import { WORLD_PHYSICS_SPEC } from '../../../src/physics/physics-world.js';
import { createRuntime } from '../../../src/server/runtime.js';
import { EDGE_NUMBERS, fuzzScale, fuzzSeed, jsonValue, ODD_KEYS, type Rng, withSeed, fuzzTimeout } from '../../fuzz-helpers/rng.js';

const FILES = Math.round(150 * fuzzScale());

const dir = mkdtempSync(join(tmpdir(), 'wt-fuzz-blocks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A value for a schema leaf: mostly one the schema accepts, else an edge number or any JSON value. */
const leaf = (rng: Rng, s: Exclude<Spec, ObjectSpec>): unknown => {
  if (rng.chance(0.97))
    switch (s.kind) {
      case 'number': {
        const lo = s.min ?? (s.gt !== undefined ? s.gt + 1e-3 : 0);
        const hi = Math.min(s.max ?? 1e6, lo + (rng.chance(0.5) ? 10 : 1e5));
        const v = rng.chance(0.3) ? rng.pick([lo, hi]) : lo + rng.next() * (hi - lo);
        return s.integer ? Math.min(Math.floor(s.max ?? Number.MAX_SAFE_INTEGER), Math.max(Math.ceil(lo), Math.round(v))) : v;
      }
      case 'boolean':
        return rng.chance(0.5);
      case 'enum':
        return rng.pick(s.values);
      case 'string':
        return s.default;
    }
  return rng.chance(0.5) ? rng.pick(EDGE_NUMBERS) : jsonValue(rng, 2);
};

/** Some fields of an object schema (nested objects likewise), now and then an unknown key. */
const object = (rng: Rng, spec: ObjectSpec, skip: readonly string[] = []): Record<string, unknown> => {
  const o: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(spec.fields)) {
    if (skip.includes(k) || !rng.chance(0.25)) continue;
    o[k] = f.kind === 'object' ? object(rng, f) : leaf(rng, f);
  }
  if (rng.chance(0.05)) o[rng.pick(ODD_KEYS)] = 1;
  return o;
};

const num = (rng: Rng, lo: number, hi: number): unknown =>
  rng.chance(0.8) ? (rng.chance(0.3) ? rng.pick([lo, hi]) : Math.round(lo + rng.next() * (hi - lo))) : rng.pick(EDGE_NUMBERS);

/** One block's value. */
const block = (rng: Rng, name: string): unknown => {
  if (rng.chance(0.05)) return jsonValue(rng, 2); // any shape at all
  switch (name) {
    case 'net': {
      const o = object(rng, NET_CONFIG_SPEC);
      if (rng.chance(0.3))
        o.trustedProxies = rng.pick<unknown>([[], ['10.0.0.0/8'], ['::1', '127.0.0.1'], ['10.0.0.0/33'], ['x'], [1], 'x']);
      return o;
    }
    case 'periodic':
      return Array.from({ length: rng.int(0, 3) }, () => ({
        ...object(rng, DECLARED_TASK_SPEC),
        name: rng.chance(0.8) ? `fz.task${rng.int(0, 9)}` : rng.pick<unknown>(['heartbeat', 'runtime.stats', '', 1]),
        intervalSeconds: rng.chance(0.8) ? rng.pick([0.05, 1, 60, 86400]) : rng.pick<unknown>([0, -1, 'x']),
      }));
    case 'ledger':
      return {
        ...(rng.chance(0.4) ? { flushDelayMs: num(rng, 0, 1000) } : {}),
        ...(rng.chance(0.3) ? { anonymousStartingCoins: num(rng, 0, 1_000_000_000) } : {}),
        ...(rng.chance(0.4) ? { deadlineMs: num(rng, 10, 60_000) } : {}),
        ...(rng.chance(0.3) ? { rateLimit: { perSecond: num(rng, 0, 1e6), burst: num(rng, 1, 1e6) } } : {}),
        ...(rng.chance(0.5)
          ? {
              catalogue: Array.from({ length: rng.int(0, 4) }, (_, i) => ({
                id: rng.chance(0.85) ? `item${i}` : rng.pick<unknown>(['', 'a b', 'x'.repeat(65)]),
                price: num(rng, 0, 1_000_000),
              })),
            }
          : {}),
      };
    case 'playerData': {
      const o: Record<string, unknown> = {};
      const keys: Array<[string, number, number]> = [
        ['flushDelayMs', 0, 1000],
        ['maxBatch', 1, 10_000],
        ['maxBatchBytes', 1024, 64 * 1024 * 1024],
        ['maxQueued', 1, 1_000_000],
        ['maxQueuedBytes', 64 * 1024, 4 * 1024 * 1024 * 1024],
        ['retryDeadlineMs', 0, 600_000],
        ['retryFirstMs', 1, 10_000],
        ['retryMaxMs', 1, 60_000],
        ['closeGraceMs', 0, 60_000],
      ];
      for (const [k, lo, hi] of keys) if (rng.chance(0.3)) o[k] = num(rng, lo, hi);
      return o;
    }
    case 'tierZones':
      return Array.from({ length: rng.int(0, 4) }, (_, i) => {
        const x = rng.int(-100, 400);
        const y = rng.int(-100, 400);
        return {
          id: rng.chance(0.85) ? `z${i}` : rng.pick<unknown>(['', 'x'.repeat(65)]),
          minX: x,
          minY: y,
          maxX: rng.chance(0.9) ? x + rng.int(1, 300) : x,
          maxY: rng.chance(0.9) ? y + rng.int(1, 300) : rng.pick(EDGE_NUMBERS),
          tier: rng.chance(0.9) ? rng.pick(['detailed', 'active', 'ambient', 'dormant']) : 'nope',
        };
      });
    default: {
      // physicsConfig: no worker pools here (shards, mode left out) and no map file but a missing one.
      const o = object(rng, WORLD_PHYSICS_SPEC, ['shards', 'mode', 'map', 'enabled']);
      if (rng.chance(0.1)) o.map = join(dir, 'missing-map.json');
      if (rng.chance(0.4))
        o.obstacles = Array.from({ length: rng.int(0, 4) }, () => {
          const x = rng.int(0, 300);
          const y = rng.int(0, 300);
          return { minX: x, minY: y, maxX: x + rng.int(rng.chance(0.9) ? 1 : -5, 50), maxY: y + rng.int(1, 50) };
        });
      return o;
    }
  }
};

const BLOCKS = ['net', 'periodic', 'ledger', 'playerData', 'tierZones', 'physicsConfig'] as const;

describe('fuzz: config file blocks', () => {
  it("a key named as an object's inherited property (constructor, toString, __proto__...) is unknown in every block", () => {
    // Found by reading after fuzz seed 80218 (stop 57): playerData looked its keys up as `INT_BOUNDS[key]`, so
    // `{"playerData": {"constructor": 5}}` was accepted (bounds: Object's constructor) instead of refused.
    const zone = { id: 'z', minX: 0, minY: 0, maxX: 10, maxY: 10, tier: 'active' };
    for (const name of BLOCKS)
      for (const [i, k] of ODD_KEYS.entries()) {
        const file = join(dir, `odd-${name}-${i}.json`);
        // Written as text: an object literal's `__proto__` would set the prototype, not a key.
        const inner = `{${name === 'tierZones' ? `${JSON.stringify(zone).slice(1, -1)},` : ''}${JSON.stringify(k)}: 5}`;
        writeFileSync(file, `{${JSON.stringify(name)}: ${name === 'tierZones' ? `[${inner}]` : inner}}`);
        let err: unknown = null;
        try {
          parseOptions(['--config', file, '--port', '0', '--admin-port', '0', '--data-dir', join(dir, 'odd')], {});
        } catch (e) {
          err = e;
        }
        expect(err, `${name}.${k}`).toBeInstanceOf(WorldtickError);
        expect((err as WorldtickError).code, `${name}.${k}: ${String(err)}`).toBe(ErrorCode.OPTION_INVALID);
      }
  });

  it(`${FILES} files of random blocks: refused by parseOptions, or a runtime is made from them without an error`, {
    timeout: fuzzTimeout(60_000),
  }, async () => {
    await withSeed('config-blocks', fuzzSeed(0xb10c), async (rng, ctx) => {
      let accepted = 0;
      let refused = 0;
      let refusedAtCreate = 0;
      let started = 0;
      const reached = new Set<string>();
      for (let i = 0; i < FILES; i++) {
        const content: Record<string, unknown> = {};
        for (const name of BLOCKS) if (rng.chance(0.4)) content[name] = block(rng, name);
        const file = join(dir, `c${i}.json`);
        writeFileSync(file, JSON.stringify(content));
        const argv = [
          '--config',
          file,
          '--npcs',
          String(rng.int(0, 30)),
          '--capacity',
          '60',
          '--world-size',
          String(rng.pick([300, 2000, 8192, 9000, 100_000])),
          '--physics',
          rng.pick(['on', 'off']),
          '--port',
          '0',
          '--admin-port',
          '0',
          '--stats-interval',
          '0',
          '--data-dir',
          join(dir, `d${i}`),
          '--admin-token',
          'fuzz-blocks-token',
        ];
        ctx.at = `file ${i}: ${JSON.stringify(content).slice(0, 600)} argv ${argv.slice(2, 10).join(' ')}`;
        let options: ReturnType<typeof parseOptions>;
        try {
          options = parseOptions(argv, {});
        } catch (err) {
          if (!(err instanceof WorldtickError) || err.code !== ErrorCode.OPTION_INVALID) throw err;
          const problems = (err.details as { problems?: unknown }).problems;
          if (!Array.isArray(problems) || problems.length === 0 || problems.some((p) => typeof p !== 'string' || p.length === 0))
            throw new Error(`problems must be non-empty strings: ${JSON.stringify(problems).slice(0, 300)}`);
          refused++;
          if (process.env.WT_FUZZ_DEBUG) console.log('REFUSED', JSON.stringify(problems).slice(0, 400));
          continue;
        }
        for (const name of Object.keys(content)) reached.add(name);
        let rt: ReturnType<typeof createRuntime>;
        try {
          rt = createRuntime(options, createLogger('silent'));
        } catch (err) {
          // Relations between net fields are checked where the game's own net defaults are merged under the block (the
          // game server's resolveNetConfig; the command line exits 2 with them all the same): a coded refusal listing
          // its problems is an answer. Anything else — a RangeError, a TypeError, an uncoded error — is not.
          const coded =
            err instanceof WorldtickError &&
            (err.code === ErrorCode.OPTION_INVALID || err.code === ErrorCode.CONFIG_INVALID) &&
            Array.isArray((err.details as { problems?: unknown } | undefined)?.problems);
          if (!coded) {
            const code = err instanceof WorldtickError ? err.code : (err as Error).constructor.name;
            throw new Error(`accepted by parseOptions, then createRuntime threw ${code}: ${(err as Error).message.slice(0, 500)}`);
          }
          refusedAtCreate++;
          continue;
        }
        // A few are started too (start builds what creation leaves: the physics pathfinder, the store's first writes): those on
        // the largest physics worlds first, where an allocation could fail, then one in five, at most 4 a run (~1 s each).
        const bigPhysics = options.physics === 'on' && options.worldSize > 8192;
        if (started < 4 && (bigPhysics || rng.chance(0.2))) {
          started++;
          try {
            await rt.start();
          } catch (err) {
            await rt.stop().catch(() => undefined);
            const code = err instanceof WorldtickError ? err.code : (err as Error).constructor.name;
            throw new Error(`accepted and made, then start threw ${code}: ${(err as Error).message.slice(0, 500)}`);
          }
        }
        await rt.stop();
        accepted++;
      }
      // Both outcomes, and every block accepted at least once.
      if (process.env.WT_FUZZ_DEBUG)
        console.log(`config blocks: ${accepted} made (${started} started), ${refused} refused, ${refusedAtCreate} refused at creation`);
      expect(started).toBeGreaterThan(0);
      expect(accepted).toBeGreaterThan(FILES * 0.1);
      expect(refused).toBeGreaterThan(FILES * 0.1);
      expect([...reached].sort()).toEqual([...BLOCKS].sort());
    });
  });
});
