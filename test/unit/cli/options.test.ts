import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_BLOCKS } from '../../../src/cli/config-blocks.js';
import { helpText, OPTION_SPECS, parseOptions } from '../../../src/cli/options.js';
import { optionProblems } from '../../helpers/option-problems.js';

const problems = (argv: string[], env: NodeJS.ProcessEnv = {}): string[] => optionProblems(() => parseOptions(argv, env));

describe('server options', () => {
  it('defaults, then file < env < flag', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wt-opt-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ npcs: 5, port: 1111, seed: 9, scheduler: { simulation: { timeScale: 2 } } }));
    expect(parseOptions([], {}).npcs).toBe(10_000);
    const o = parseOptions(['--config', file, '--port=3333'], { WORLDTICK_PORT: '2222', WORLDTICK_SEED: '4' });
    expect(o.npcs).toBe(5);
    expect(o.port).toBe(3333);
    expect(o.seed).toBe(4);
    expect(o.scheduler).toEqual({ simulation: { timeScale: 2 } });
  });

  it('names every bad option', () => {
    expect(problems(['--port', '70000', '--npcs', 'many', '--what', 'x', '--log-level', 'loud'], { WORLDTICK_SEED: '-1' })).toEqual([
      '--port must be an integer between 0 and 65535 (got "70000")',
      '--npcs must be an integer between 0 and 10000000 (got "many")',
      'unknown option --what (see --help)',
      'unexpected argument "x"',
      '--log-level must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
      'WORLDTICK_SEED must be an integer between 0 and 4294967295 (got "-1")',
    ]);
    expect(problems(['--port'])).toEqual(['--port needs a value']);
  });

  it('reports a bad config file by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wt-opt-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ nope');
    expect(problems(['--config', bad])[0]).toMatch(/^config file .*bad\.json is not valid JSON/);
    const unknown = join(dir, 'u.json');
    writeFileSync(unknown, JSON.stringify({ colour: 'red', npcs: -1 }));
    expect(problems(['--config', unknown])).toEqual([
      'config file: colour is not a known option',
      'config file: npcs must be an integer between 0 and 10000000 (got -1)',
    ]);
  });

  it('passes a "net" block through from the config file and refuses a non-object one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wt-opt-'));
    const good = join(dir, 'net.json');
    writeFileSync(good, JSON.stringify({ net: { resumeGraceSeconds: 5, interestRadius: 42 } }));
    expect(parseOptions(['--config', good], {}).net).toEqual({ resumeGraceSeconds: 5, interestRadius: 42 });
    expect(parseOptions([], {}).net).toEqual({});
    const bad = join(dir, 'bad-net.json');
    writeFileSync(bad, JSON.stringify({ net: [1] }));
    expect(problems(['--config', bad])).toEqual(['config file: net must be an object of game-server settings']);
  });

  it('--help documents every option', () => {
    const text = helpText();
    for (const s of OPTION_SPECS) {
      expect(text).toContain(`--${s.flag}`);
      if (s.env) expect(text).toContain(s.env);
    }
  });

  it("README's option table lists every option (flag, env, literal default) and no other", () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Options'), readme.indexOf('\n## ', readme.indexOf('## Options') + 1));
    const rows = new Map<string, { env: string; def: string }>();
    for (const line of section.split('\n')) {
      const m = /^\| `--([a-z-]+)` \| `([A-Z_]+)` \| ([^|]*) \|/.exec(line);
      if (m) rows.set(m[1], { env: m[2], def: m[3].trim() });
    }
    // --help (no environment variable) is named in the text above the table, not in it.
    const specs = OPTION_SPECS.filter((o) => o.env !== '');
    expect([...rows.keys()].sort()).toEqual(specs.map((o) => o.flag).sort());
    for (const o of specs) {
      const row = rows.get(o.flag);
      expect(row?.env, o.flag).toBe(o.env);
      // A default written as a literal (`7700`, `./data`) must be the real one; prose (generated, —) is not checked.
      const literal = /^`([^`]*)`$/.exec(row?.def ?? '')?.[1];
      if (literal !== undefined && !literal.startsWith('--')) expect(literal, o.flag).toBe(String(o.default));
    }
    // An option whose 0 turns it off (its doc says `0 = off`) says so in the README too.
    const rowText = (flag: string) => section.split('\n').find((l) => l.startsWith(`| \`--${flag}\` |`)) ?? '';
    const offByZero = OPTION_SPECS.filter((o) => o.doc.includes('0 = off'));
    expect(offByZero.map((o) => o.flag)).toContain('stats-interval');
    expect(offByZero.filter((o) => !/`0` turns .* off/.test(rowText(o.flag))).map((o) => o.flag)).toEqual([]);
    // The --config row names every block a config file may carry besides the options.
    const configRow = section.split('\n').find((l) => l.startsWith('| `--config` |')) ?? '';
    expect(CONFIG_BLOCKS.filter((b) => !configRow.includes(`\`${b}\``))).toEqual([]);
  });

  it('--data-dir / --store: defaults, env, and a bad store spec named at validation', () => {
    const d = parseOptions([], {});
    expect(d.dataDir).toBe('./data');
    expect(d.store).toBe('');
    expect(d.checkpointIntervalSeconds).toBe(10);
    const o = parseOptions(['--data-dir', '/tmp/x'], {
      WORLDTICK_STORE: 'postgres://u@127.0.0.1:5432/db',
      WORLDTICK_CHECKPOINT_INTERVAL: '0',
    });
    expect(o.dataDir).toBe('/tmp/x');
    expect(o.store).toBe('postgres://u@127.0.0.1:5432/db');
    expect(o.checkpointIntervalSeconds).toBe(0);
    expect(problems(['--store', 'mysql://x'])).toEqual([expect.stringMatching(/^--store must be postgres:\/\/…/)]);
    expect(problems([], { WORLDTICK_STORE: 'sqlite:' })).toEqual(['--store sqlite:<dir> needs a directory']);
    expect(problems(['--checkpoint-interval', '-1'])).toEqual([
      expect.stringMatching(/--checkpoint-interval must be a number between 0 and 86400/),
    ]);
  });
});
