/**
 * Issue 9 item 6: one validation mechanism (src/config/schema.ts) behind the scheduler config,
 * the CLI options, the net config, the worker pool and the bots' flags — same path-naming,
 * every-problem-listed messages — and the documented precedence flag > env > file > default
 * for the scheduler keys that are also options.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../../src/cli/options.js';
import { checkOption } from '../../../src/config/schema.js';
import { createLogger } from '../../../src/log.js';
import { WorkerPool } from '../../../src/jobs/worker-pool.js';
import { resolveNetConfig } from '../../../src/net/net-config.js';
import { createRuntime } from '../../../src/server/runtime.js';
import { optionProblems } from '../../helpers/option-problems.js';

const problemsOf = optionProblems;

const configFile = (content: unknown): string => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-prec-'));
  const f = join(dir, 'c.json');
  writeFileSync(f, JSON.stringify(content));
  return f;
};

describe('one validator', () => {
  it('net config: every problem by path, from the schema module', () => {
    expect(problemsOf(() => resolveNetConfig({ maxStrikes: 0, compression: 'yes', bogus: 1 } as never))).toEqual([
      'net.bogus is not a known option',
      'net.compression must be true or false (got a string)',
      'net.maxStrikes must be an integer between 1 and 1000000 (got number 0)',
    ]);
    expect(problemsOf(() => resolveNetConfig([] as never))).toEqual(['net must be an object (got an array)']);
  });

  it('worker pool: every problem by name, minThreads <= maxThreads', () => {
    expect(problemsOf(() => new WorkerPool({ filename: '', maxThreads: 0, maxQueue: 1.5, closeTimeoutMs: 0 }))).toEqual([
      'worker pool: filename is required',
      'worker pool: maxThreads must be an integer between 1 and 64 (got number 0)',
      'worker pool: maxQueue must be an integer between 0 and 1000000 (got number 1.5)',
      'worker pool: closeTimeoutMs must be a number > 0 <= 3600000 (got number 0)',
    ]);
    expect(problemsOf(() => new WorkerPool({ filename: 'x.js', minThreads: 3, maxThreads: 2 }))).toEqual([
      'worker pool: minThreads must be <= maxThreads (2)',
    ]);
  });

  it('text options (CLI, env, bots) show the raw value', () => {
    const p: string[] = [];
    expect(checkOption({ kind: 'number', default: 1, min: 1, max: 100_000 }, 'lots', '--clients', p)).toBeUndefined();
    expect(checkOption({ kind: 'number', default: 1, integer: true, min: 0, max: 10 }, '7', '--n', p)).toBe(7);
    expect(checkOption({ kind: 'boolean', default: false }, '1', '--flag', p)).toBe(true);
    expect(p).toEqual(['--clients must be a number between 1 and 100000 (got "lots")']);
  });
});

describe('precedence flag > env > file > default for scheduler keys that are options', () => {
  const file = configFile({ scheduler: { simulation: { tickIntervalSeconds: 1, timeScale: 2, maxNpcTicksPerStep: 50 } } });

  it('a flag or env value beats the file scheduler block; the block beats the default', () => {
    const flag = parseOptions(['--config', file, '--time-scale', '7'], { WORLDTICK_TICK_INTERVAL: '0.5' });
    expect(flag.timeScale).toBe(7);
    expect(flag.tickIntervalSeconds).toBe(0.5);
    expect(flag.scheduler).toEqual({ simulation: { tickIntervalSeconds: 0.5, timeScale: 7, maxNpcTicksPerStep: 50 } });
    const fileOnly = parseOptions(['--config', file], {});
    expect(fileOnly.timeScale).toBe(2);
    expect(fileOnly.tickIntervalSeconds).toBe(1);
    expect(fileOnly.scheduler).toEqual({ simulation: { tickIntervalSeconds: 1, timeScale: 2, maxNpcTicksPerStep: 50 } });
  });

  it('the running default world uses the flag value', () => {
    const o = parseOptions(['--config', file, '--time-scale=7', '--tick-interval=0.25', '--npcs=10', '--port=0', '--admin-port=0'], {});
    const rt = createRuntime(o, createLogger('silent'));
    expect(rt.defaultWorld.config.simulation.timeScale).toBe(7);
    expect(rt.defaultWorld.config.simulation.tickIntervalSeconds).toBe(0.25);
    expect(rt.defaultWorld.config.simulation.maxNpcTicksPerStep).toBe(50);
    const fromFile = createRuntime(parseOptions(['--config', file, '--npcs=10'], {}), createLogger('silent'));
    expect(fromFile.defaultWorld.config.simulation.timeScale).toBe(2);
  });

  it('the same key at the top level and in the scheduler block of one file must agree', () => {
    const both = configFile({ timeScale: 3, scheduler: { simulation: { timeScale: 2 } } });
    expect(() => parseOptions(['--config', both], {})).toThrow(/timeScale and scheduler\.simulation\.timeScale are both given/);
    const same = configFile({ timeScale: 2, scheduler: { simulation: { timeScale: 2 } } });
    expect(parseOptions(['--config', same], {}).timeScale).toBe(2);
  });
});
