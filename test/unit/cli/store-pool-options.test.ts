/**
 * `--store-pool-size` / `--store-pool-wait` (and their `WORLDTICK_*` variables and config keys): parsed
 * like the other options, bad values named; they reach the runtime's store options
 * (`runtimeStoreOptions`), the pool wait defaulting in cluster mode to a third of the lease TTL (1–5 s);
 * the store refuses a bad pool size or wait naming the field (src/store/postgres-pool.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../../src/cli/options.js';
import { runtimeStoreOptions } from '../../../src/server/runtime-persist.js';
import { poolWaitForLease, postgresSettings } from '../../../src/store/postgres-pool.js';
import { optionProblems } from '../../helpers/option-problems.js';

describe('--store-pool-size and --store-pool-wait', () => {
  it('parse from flag, env and config file; bad values are named', () => {
    const d = parseOptions([], {});
    expect([d.storePoolSize, d.storePoolWaitSeconds]).toEqual([4, 0]);
    expect(parseOptions(['--store-pool-size', '12', '--store-pool-wait', '2.5'], {})).toMatchObject({
      storePoolSize: 12,
      storePoolWaitSeconds: 2.5,
    });
    expect(parseOptions([], { WORLDTICK_STORE_POOL_SIZE: '8', WORLDTICK_STORE_POOL_WAIT: '3' })).toMatchObject({
      storePoolSize: 8,
      storePoolWaitSeconds: 3,
    });
    const file = join(mkdtempSync(join(tmpdir(), 'wt-opt-')), 'c.json');
    writeFileSync(file, JSON.stringify({ storePoolSize: 6, storePoolWait: 1.5 }));
    expect(parseOptions(['--config', file], {})).toMatchObject({ storePoolSize: 6, storePoolWaitSeconds: 1.5 });
    expect(
      optionProblems(() => parseOptions(['--store-pool-size', '0', '--store-pool-wait', 'soon'], { WORLDTICK_STORE_POOL_SIZE: '2.5' })),
    ).toEqual([
      '--store-pool-size must be an integer between 1 and 1000 (got "0")',
      '--store-pool-wait must be a number between 0 and 600 (got "soon")',
      'WORLDTICK_STORE_POOL_SIZE must be an integer between 1 and 1000 (got "2.5")',
    ]);
  });

  it("reach the runtime's store options; in cluster mode the wait defaults to a third of the lease TTL", () => {
    const of = (argv: string[]) => runtimeStoreOptions(parseOptions(argv, {}));
    expect(of([])).toEqual({ store: '', dataDir: './data', maxConnections: 4, check: 'quick' });
    expect(of(['--store-pool-size', '10', '--store-pool-wait', '0.25'])).toMatchObject({ maxConnections: 10, poolWaitMs: 250 });
    const cluster = ['--redis', 'redis://127.0.0.1:1'];
    expect(of(cluster)).toMatchObject({ poolWaitMs: 2000, idleInTransactionTimeoutMs: 5000 });
    expect(of([...cluster, '--lease-ttl', '1'])).toMatchObject({ poolWaitMs: 1000 });
    expect(of([...cluster, '--lease-ttl', '60'])).toMatchObject({ poolWaitMs: 5000 });
    expect(of([...cluster, '--store-pool-wait', '0.5'])).toMatchObject({ poolWaitMs: 500 });
    expect([poolWaitForLease(6000), poolWaitForLease(300), poolWaitForLease(600_000)]).toEqual([2000, 1000, 5000]);
  });

  it('--store-check (SQLite): quick by default, off from flag, env or config file, reaching the store options; anything else named', () => {
    const of = (argv: string[], env: NodeJS.ProcessEnv = {}) => runtimeStoreOptions(parseOptions(argv, env)).check;
    expect([of([]), of(['--store-check', 'off']), of([], { WORLDTICK_STORE_CHECK: 'off' })]).toEqual(['quick', 'off', 'off']);
    const file = join(mkdtempSync(join(tmpdir(), 'wt-opt-')), 'c.json');
    writeFileSync(file, JSON.stringify({ storeCheck: 'off' }));
    expect(of(['--config', file])).toBe('off');
    expect(optionProblems(() => parseOptions(['--store-check', 'full'], {}))).toEqual([
      expect.stringMatching(/^--store-check must be one of quick, off \(got "full"\)$/),
    ]);
  });

  it('the PostgreSQL store takes them: the wait defaults to the query timeout; bad values are refused naming the field', () => {
    expect(postgresSettings({ url: 'postgres://u@h/db' })).toMatchObject({
      pool: { max: 4, connectionTimeoutMillis: 1000 },
      poolWaitMs: 5000,
    });
    expect(postgresSettings({ url: 'postgres://u@h/db', queryTimeoutMs: 3000 }).poolWaitMs).toBe(3000);
    expect(postgresSettings({ url: 'postgres://u@h/db', maxConnections: 16, poolWaitMs: 750 })).toMatchObject({
      pool: { max: 16, connectionTimeoutMillis: 1000 },
      poolWaitMs: 750,
    });
    for (const [field, v, msg] of [
      ['maxConnections', 0, 'maxConnections must be an integer from 1 to 1000 (got 0)'],
      ['maxConnections', 2.5, 'maxConnections must be an integer from 1 to 1000 (got 2.5)'],
      ['maxConnections', 1001, 'maxConnections must be an integer from 1 to 1000 (got 1001)'],
      ['poolWaitMs', 0, 'poolWaitMs must be a number > 0 (ms) (got 0)'],
      ['poolWaitMs', Number.NaN, 'poolWaitMs must be a number > 0 (ms) (got NaN)'],
    ] as const)
      expect(optionProblems(() => postgresSettings({ url: 'postgres://u@h/db', [field]: v }))).toEqual([msg]);
  });
});
