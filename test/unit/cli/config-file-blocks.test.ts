/**
 * The config file's `scheduler` and `physicsConfig` blocks are checked with the other options: their
 * problems are `config file: scheduler.…` / `config file: physicsConfig.…` lines of the one
 * WT_ERR_OPTION_INVALID list (exit 2 at the command line), not a start failure naming a bare
 * `simulation.x` / `physics.x`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import { createPlayerData } from '../../../src/server/runtime-ledger.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { optionProblems } from '../../helpers/option-problems.js';

const file = (content: unknown): string => {
  const path = join(mkdtempSync(join(tmpdir(), 'wt-cfgblk-')), 'c.json');
  writeFileSync(path, JSON.stringify(content));
  return path;
};

const problemsOf = (content: unknown): string[] => optionProblems(() => parseOptions(['--config', file(content)], {}));

describe('config file blocks', () => {
  it('a bad scheduler block is listed with the config-file prefix and its full path', () => {
    const p = problemsOf({ npcs: -1, scheduler: { simulation: { timeScale: -1, bogus: 2 } } });
    expect(p).toContain('config file: scheduler.simulation.bogus is not a known option');
    expect(p.some((m) => m.startsWith('config file: scheduler.simulation.timeScale must be a number'))).toBe(true);
    expect(p.some((m) => m.startsWith('config file: npcs must be'))).toBe(true); // one list with the others
  });

  it('cross-field scheduler rules are named under scheduler.', () => {
    const p = problemsOf({ scheduler: { controller: { degradeAt: 0.9, emergencyAt: 0.5 } } });
    expect(p).toContain('config file: scheduler.controller.degradeAt must be < controller.emergencyAt');
  });

  it('a bad physicsConfig block is listed as physicsConfig.x', () => {
    const p = problemsOf({ physicsConfig: { tuning: { x: 1, cellSize: -1 }, bogus: 1 } });
    expect(p).toContain('config file: physicsConfig.bogus is not a known option');
    expect(p.some((m) => m.startsWith('config file: physicsConfig.tuning.'))).toBe(true);
    expect(p.every((m) => m.startsWith('config file: '))).toBe(true);
  });

  it('good blocks are kept as given', () => {
    const o = parseOptions(
      ['--config', file({ scheduler: { simulation: { timeScale: 2 } }, physicsConfig: { tuning: { maxSpeed: 10 } } })],
      {},
    );
    expect(o.scheduler).toEqual({ simulation: { timeScale: 2 } });
    expect(o.physicsConfig).toEqual({ tuning: { maxSpeed: 10 } });
  });
});

describe('config file: playerData', () => {
  it('a bad block lists every problem with its path; an unknown key names the known ones', () => {
    const p = problemsOf({ playerData: { maxBatch: 0, retryDeadlineMs: 'soon', bogus: 1 } });
    expect(p).toContain('config file: playerData.maxBatch must be an integer in 1..10000 (got 0)');
    expect(p).toContain('config file: playerData.retryDeadlineMs must be a number of ms (got "soon")');
    expect(p.some((m) => m.startsWith('config file: playerData.bogus is not a player-data setting (known: flushDelayMs'))).toBe(true);
    expect(problemsOf({ playerData: { retryFirstMs: 500, retryMaxMs: 100 } })).toContain(
      'config file: playerData.retryMaxMs must be >= retryFirstMs',
    );
    expect(problemsOf({ playerData: [1] })).toContain('config file: playerData must be an object of player-data settings');
  });

  it('good settings reach the player-data service: maxQueued 1 answers a second queued call queue-full', async () => {
    const o = parseOptions(['--config', file({ playerData: { maxQueued: 1, flushDelayMs: 50 } })], {});
    expect(o.playerData).toEqual({ maxQueued: 1, flushDelayMs: 50 });
    const dir = tempDataDir('wt-cfg-pd-');
    const store = new SqliteStore({ dataDir: dir.dir });
    const service = createPlayerData(store, createLogger('silent'), o.playerData as { maxQueued: number });
    try {
      const first = service.save('t:ann', 'k', 1, '1', null);
      const second = await service.save('t:ann', 'k2', 2, '2', null);
      expect(second).toMatchObject({ status: 'rejected', code: 'PD_UNAVAILABLE', reason: 'queue-full' });
      expect(await first).toMatchObject({ status: 'ok', version: 1 });
    } finally {
      await service.close();
      await store.close();
      dir.remove();
    }
  });
});

describe('--stop-timeout and --version', () => {
  it('stop timeout: default 30 s; config key (stopTimeout or stopTimeoutSeconds) < env < flag', () => {
    expect(parseOptions([], {}).stopTimeoutSeconds).toBe(30);
    expect(parseOptions(['--config', file({ stopTimeout: 5 })], {}).stopTimeoutSeconds).toBe(5);
    expect(parseOptions(['--config', file({ stopTimeoutSeconds: 6 })], {}).stopTimeoutSeconds).toBe(6);
    expect(parseOptions(['--config', file({ stopTimeout: 5 })], { WORLDTICK_STOP_TIMEOUT: '7' }).stopTimeoutSeconds).toBe(7);
    expect(parseOptions(['--stop-timeout', '0.5'], { WORLDTICK_STOP_TIMEOUT: '7' }).stopTimeoutSeconds).toBe(0.5);
    expect(() => parseOptions(['--stop-timeout', '-1'], {})).toThrow(/--stop-timeout must be/);
  });

  it('--version is a flag only (not a config key)', () => {
    expect(parseOptions(['--version'], {}).version).toBe(true);
    expect(problemsOf({ version: true })[0]).toMatch(/^config file: version is not a known option/);
  });
});
