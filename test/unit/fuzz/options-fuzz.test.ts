/**
 * Fuzz: random argv, environment and config files through parseOptions. Each call either returns
 * an options object in which every option satisfies its spec (and whose scheduler patch merges
 * or is refused with a coded error), or throws WT_ERR_OPTION_INVALID with a non-empty problem
 * list. Never a raw exception, never a hang (devices and directories as config files).
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OPTION_SPECS, parseOptions, type ServerOptions } from '../../../src/cli/options.js';
import { defaultSchedulerConfig, mergeSchedulerConfig } from '../../../src/config/scheduler-config.js';
import { ErrorCode, WorldtickError } from '../../../src/errors.js';
import { deepJsonText, EDGE_NUMBERS, fuzzSeed, jsonValue, ODD_KEYS, withSeed, fuzzScale, type Rng } from '../../fuzz-helpers/rng.js';

const ITERATIONS = Math.round(4000 * fuzzScale());

const RAW_VALUES = [
  '',
  ' ',
  '0',
  '-0',
  '1',
  '-1',
  '7700',
  '65535',
  '65536',
  '0x10',
  '1e3',
  '1e400',
  'NaN',
  'Infinity',
  '-Infinity',
  '0.05',
  '0.0009',
  '60',
  '61',
  'true',
  'false',
  'yes',
  'debug',
  'info',
  'trace',
  'silent',
  'INFO',
  '4294967295',
  '4294967296',
  '٣',
  '\u0000',
  '--port',
  '=',
  '1 2',
  '  12  ',
  '1_000',
];

const rawValue = (rng: Rng): string => {
  const r = rng.next();
  if (r < 0.5) return rng.pick(RAW_VALUES);
  if (r < 0.7) return String(rng.pick(EDGE_NUMBERS));
  if (r < 0.9) return rng.str(rng.int(0, 20));
  return 'x'.repeat(rng.int(1000, 20_000));
};

/** A value the spec accepts (as text). */
const validValue = (rng: Rng, spec: (typeof OPTION_SPECS)[number]): string => {
  switch (spec.kind) {
    case 'int':
      return String(rng.int(spec.min!, Math.min(spec.max!, spec.min! + 5000)));
    case 'number':
      return String(spec.min! + rng.next() * Math.min(spec.max! - spec.min!, 100));
    case 'enum':
      return rng.pick(spec.values!);
    case 'boolean':
      return rng.pick(['true', 'false', '1', '0']);
    default:
      return rng.str(rng.int(0, 12));
  }
};

const tmpDirs: string[] = [];
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

const makeConfigFiles = (rng: Rng): string[] => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-fuzz-opt-'));
  tmpDirs.push(dir);
  mkdirSync(join(dir, 'a-dir'));
  const files: string[] = [join(dir, 'a-dir'), join(dir, 'missing.json'), '/dev/zero', '/dev/null', dir];
  const contents: string[] = [
    '',
    '{',
    'null',
    '[]',
    '"x"',
    '42',
    '{"__proto__":{"port":1}}',
    '{"constructor":{"prototype":{"x":1}}}',
    `{"scheduler":{"simulation":${deepJsonText(20_000, 'object')}}}`,
    `{"scheduler":${deepJsonText(30_000, 'array')}}`,
    JSON.stringify({ port: 1, npcs: 10, scheduler: { simulation: { timeScale: 5 } } }),
    JSON.stringify({ help: true }),
    JSON.stringify({ config: 'x' }),
    '{"port": 1e999}',
    `{"adminToken":"${'t'.repeat(100_000)}"}`,
    'x'.repeat(1024 * 1024 + 10),
  ];
  for (let i = 0; i < 40; i++) {
    const o: Record<string, unknown> = {};
    const n = rng.int(0, 6);
    for (let k = 0; k < n; k++) {
      const key = rng.chance(0.6) ? rng.pick(OPTION_SPECS).key : rng.chance(0.5) ? 'scheduler' : rng.pick(ODD_KEYS);
      o[key] = rng.chance(0.4) ? rawValue(rng) : rng.chance(0.5) ? rng.pick(EDGE_NUMBERS.filter(Number.isFinite)) : jsonValue(rng, 3);
    }
    contents.push(JSON.stringify(o));
  }
  contents.forEach((c, i) => {
    const f = join(dir, `c${i}.json`);
    writeFileSync(f, c);
    files.push(f);
  });
  return files;
};

const genArgv = (rng: Rng, files: readonly string[]): string[] => {
  const argv: string[] = [];
  const n = rng.int(0, 8);
  const tame = rng.chance(0.5); // mostly valid flags, so both outcomes are exercised
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    const spec = rng.pick(OPTION_SPECS);
    if (tame && rng.chance(0.9)) {
      if (spec.key !== 'config' || rng.chance(0.3))
        argv.push(`--${spec.flag}=${spec.key === 'config' ? rng.pick(files) : validValue(rng, spec)}`);
      continue;
    }
    if (r < 0.45) argv.push(`--${spec.flag}`, spec.key === 'config' ? rng.pick(files) : rawValue(rng));
    else if (r < 0.7) argv.push(`--${spec.flag}=${spec.key === 'config' ? rng.pick(files) : rawValue(rng)}`);
    else if (r < 0.78)
      argv.push(`--${spec.flag}`); // maybe missing its value
    else
      argv.push(
        rng.pick([
          '-h',
          '--',
          '---',
          '--=',
          '-',
          'word',
          '--unknown',
          '--PORT',
          '--port==1',
          '--__proto__',
          '--constructor',
          rawValue(rng),
        ]),
      );
  }
  return argv;
};

const genEnv = (rng: Rng, files: readonly string[]): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  const tame = rng.chance(0.5);
  for (const spec of OPTION_SPECS) {
    if (spec.env && rng.chance(0.15))
      env[spec.env] = spec.key === 'config' ? (tame ? undefined : rng.pick(files)) : tame ? validValue(rng, spec) : rawValue(rng);
  }
  if (rng.chance(0.1)) env.WORLDTICK_BOGUS = rawValue(rng);
  return env;
};

const validOptions = (o: ServerOptions): string[] => {
  const bad: string[] = [];
  for (const s of OPTION_SPECS) {
    const v = (o as unknown as Record<string, unknown>)[s.key];
    switch (s.kind) {
      case 'int':
      case 'number':
        if (typeof v !== 'number' || !Number.isFinite(v) || (s.kind === 'int' && !Number.isInteger(v)) || v < s.min! || v > s.max!)
          bad.push(s.key);
        break;
      case 'boolean':
        if (typeof v !== 'boolean') bad.push(s.key);
        break;
      case 'enum':
        if (typeof v !== 'string' || !s.values!.includes(v)) bad.push(s.key);
        break;
      case 'string':
        if (typeof v !== 'string') bad.push(s.key);
    }
  }
  return bad;
};

describe('fuzz: parseOptions', () => {
  it(`${ITERATIONS} random argv/env/config-file combinations: valid options or WT_ERR_OPTION_INVALID`, async () => {
    await withSeed('options', fuzzSeed(0x0b7), (rng, ctx) => {
      const files = makeConfigFiles(rng);
      let ok = 0;
      let schedulerRefused = 0;
      for (let i = 0; i < ITERATIONS; i++) {
        const argv = genArgv(rng, files);
        const env = genEnv(rng, files);
        ctx.at = `iteration ${i}: argv=${JSON.stringify(argv).slice(0, 300)} env=${JSON.stringify(env).slice(0, 300)}`;
        let o: ServerOptions;
        try {
          o = parseOptions(argv, env);
        } catch (err) {
          if (!(err instanceof WorldtickError) || err.code !== ErrorCode.OPTION_INVALID) throw err;
          const problems = (err.details as { problems: unknown }).problems as unknown[];
          if (!Array.isArray(problems) || problems.length === 0 || problems.some((p) => typeof p !== 'string' || p.length === 0)) {
            throw new Error(`problems must be non-empty strings: ${JSON.stringify(problems).slice(0, 300)}`);
          }
          if (problems.some((p) => String(p).startsWith('config file: scheduler.'))) schedulerRefused++;
          continue;
        }
        ok++;
        expect(validOptions(o)).toEqual([]);
        // A bad scheduler patch (config file) is refused by parseOptions with the other problems (as
        // `config file: scheduler.…`, counted above); one that passed merges cleanly.
        expect(() => mergeSchedulerConfig(defaultSchedulerConfig(), o.scheduler)).not.toThrow();
      }
      expect(ok).toBeGreaterThan(ITERATIONS * 0.05);
      expect(ok).toBeLessThan(ITERATIONS * 0.95);
      expect(schedulerRefused).toBeGreaterThan(0);
    });
  });

  it('a device, a directory or an oversized file as config file is a coded problem (no endless read)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wt-fuzz-opt-'));
    tmpDirs.push(dir);
    const big = join(dir, 'big.json');
    writeFileSync(big, `{"adminToken":"${'t'.repeat(1024 * 1024)}"}`);
    for (const [path, re] of [
      ['/dev/zero', /not a regular file/],
      [dir, /not a regular file/],
      [big, /larger than/],
    ] as const) {
      let err: unknown;
      try {
        parseOptions(['--config', path], {});
      } catch (e) {
        err = e;
      }
      expect((err as WorldtickError).code).toBe(ErrorCode.OPTION_INVALID);
      expect(((err as WorldtickError).details as { problems: string[] }).problems.join()).toMatch(re);
    }
  });
});
