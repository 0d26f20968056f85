/**
 * An operator's typos are refused at start, all at once, each named with the likely intent: a
 * mistyped `WORLDTICK_*` variable (it used to be ignored without a word, the default used), a
 * mistyped flag, a mistyped config-file key, a config file that does not exist. Exit 2, no stack
 * trace, nothing bound or written. Real process (`src/cli/main.ts`, what `npm start` execs).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, beforeAll } from 'vitest';
import { parseOptions } from '../../src/cli/options.js';
import { childNodeArgs } from '../helpers/child-node.js';

let MAIN: string[] = [];
beforeAll(async () => {
  MAIN = await childNodeArgs('src/cli/main.ts');
});

const ROOT = new URL('../../', import.meta.url).pathname;

const problemsOf = (argv: string[], env: NodeJS.ProcessEnv = {}): string[] => {
  try {
    parseOptions(argv, env);
  } catch (err) {
    return (err as { details: { problems: string[] } }).details.problems;
  }
  return [];
};

describe('typos in options', () => {
  it('a real start with a typo in each source exits 2 listing every one, with suggestions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wt-typo-'));
    const data = join(dir, 'data');
    const child = spawn(process.execPath, [...MAIN, '--admin-prot', '0', '--port', '0'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WORLDTICK_ADMN_TOKEN: 'x', WORLDTICK_DATA_DIR: data, WORLDTICK_CONFIG: join(dir, 'nope.json') },
    });
    let err = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (err += d));
    const [code] = await once(child, 'close');
    expect(code).toBe(2);
    expect(err).not.toMatch(/\n\s+at /);
    expect(err).toContain('unknown option --admin-prot (did you mean --admin-port?)');
    expect(err).toContain('unknown environment variable WORLDTICK_ADMN_TOKEN (did you mean WORLDTICK_ADMIN_TOKEN?)');
    expect(err).toContain(`config file ${join(dir, 'nope.json')} does not exist`);
    expect(existsSync(data)).toBe(false); // refused before the store was opened
  });

  it('config-file keys and bad JSON are named precisely', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wt-typo-'));
    const typo = join(dir, 'typo.json');
    writeFileSync(typo, JSON.stringify({ checkpointIntervl: 5, schedular: {} }));
    expect(problemsOf(['--config', typo])).toEqual([
      'config file: checkpointIntervl is not a known option (did you mean checkpointInterval?)',
      'config file: schedular is not a known option (did you mean scheduler?)',
    ]);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ "port": 1, }');
    expect(problemsOf(['--config', bad])[0]).toMatch(/^config file .*bad\.json is not valid JSON: /);
    // The camelCase of a flag is the option (--help: "any option above by its camelCase name").
    const alias = join(dir, 'alias.json');
    writeFileSync(alias, JSON.stringify({ checkpointInterval: 5, leaseTtl: 3, tickInterval: 0.1 }));
    expect(parseOptions(['--config', alias], {})).toMatchObject({
      checkpointIntervalSeconds: 5,
      leaseTtlSeconds: 3,
      tickIntervalSeconds: 0.1,
    });
    const both = join(dir, 'both.json');
    writeFileSync(both, JSON.stringify({ leaseTtl: 3, leaseTtlSeconds: 4 }));
    expect(problemsOf(['--config', both])).toEqual(['config file: leaseTtl and leaseTtlSeconds are the same option; give one']);
    // A bad `net` field is listed with the file's other problems, prefixed like them (it used to be
    // reported alone, once the others were fixed, after the option parse: a second round of exit 2).
    const net = join(dir, 'net.json');
    writeFileSync(net, JSON.stringify({ portt: 1, net: { interestRadius: -5, maxStrikes: 'x' } }));
    expect(problemsOf(['--config', net])).toEqual([
      'config file: portt is not a known option (did you mean port?)',
      'config file: net.interestRadius must be a number between 0 and 10000000 (got number -5)',
      expect.stringMatching(/^config file: net\.maxStrikes must be an integer /),
    ]);
    // So is a bad `ledger` block, its catalogue included (it used to be refused after the runtime had
    // started its services, `invalid item catalogue: items must be an array`, naming neither the file
    // nor the block).
    const ledger = join(dir, 'ledger.json');
    writeFileSync(ledger, JSON.stringify({ portt: 1, ledger: { catalogue: 'x', flushDelayMs: -1 } }));
    expect(problemsOf(['--config', ledger])).toEqual([
      'config file: portt is not a known option (did you mean port?)',
      'config file: ledger.flushDelayMs must be a number between 0 and 1000',
      'config file: ledger.catalogue: items must be an array',
    ]);
    // A relation with a default in it is checked where the game's own `net` defaults are merged under
    // the file's: a field the game sets may make the file's value valid.
    const rel = join(dir, 'net-rel.json');
    writeFileSync(rel, JSON.stringify({ net: { skipBufferedBytes: 1e9 } }));
    expect(problemsOf(['--config', rel])).toEqual([]);
    // A relation between fields the file sets both of is final (the file's values win over the game's):
    // listed with the file's other problems (it was reported alone, after the others were fixed).
    const both2 = join(dir, 'net-rel-both.json');
    writeFileSync(both2, JSON.stringify({ portt: 1, net: { skipBufferedBytes: 4096, maxBackpressure: 2048 } }));
    expect(problemsOf(['--config', both2])).toEqual([
      'config file: portt is not a known option (did you mean port?)',
      'config file: net.skipBufferedBytes must be below net.maxBackpressure (got 4096 and 2048)',
    ]);
    const regions = join(dir, 'net-rel-regions.json');
    writeFileSync(regions, JSON.stringify({ net: { viewMode: 'regions', regionCellSize: 0, interestRadius: 0 } }));
    expect(problemsOf(['--config', regions])).toEqual([
      'config file: net.regionCellSize must be > 0 when net.interestRadius is 0 and net.viewMode is regions',
    ]);
    // Far from every name: no suggestion.
    expect(problemsOf([], { WORLDTICK_ZZZZZZZZZZZZ: '1' })).toEqual([
      'unknown environment variable WORLDTICK_ZZZZZZZZZZZZ (see --help for the WORLDTICK_* variables)',
    ]);
    // Known variables still work, empty ones are ignored as before.
    expect(parseOptions([], { WORLDTICK_NPCS: '5', WORLDTICK_SEED: '' }).npcs).toBe(5);
  });
});
