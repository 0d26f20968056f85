/**
 * Hostile probe: admin requests whose error would echo the body back many times over (the admin
 * fuzz test holds error bodies to 16 KB, but never reaches the tier-zone or ledger-reward routes).
 * Before the fix, a 40 KB `PUT …/tiers/zones` of 3,000 bad zones answered a 1.8 MB 400 (every
 * problem in `details.problems` and again joined into the message), a reward body of 5,000 unknown
 * keys a 150 KB 400, and a reward with a 60 KB key was handed to the ledger, whose 422 echoed it
 * and whose recent-results ring (`GET …/ledger`) kept it.
 *
 * Asserted: each is a coded 400 of at most 16 KB (problems capped at 100 + a count line, each
 * problem and the message cut), nothing changed (zones, the ledger's recent results), and valid
 * requests still work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import { createRuntime, type Runtime } from '../../../src/server/runtime.js';
import { tempDataDir } from '../../helpers/data-dir.js';

let rt: Runtime;
let base = '';
const H = { authorization: 'Bearer hostile', 'content-type': 'application/json' };

beforeAll(async () => {
  const argv = ['--npcs', '20', '--world-size', '300', '--port', '0', '--admin-port', '0', '--stats-interval', '0'];
  rt = createRuntime(parseOptions([...argv, '--admin-token', 'hostile', '--data-dir', tempDataDir().dir], {}), createLogger('silent'));
  await rt.start();
  base = `http://127.0.0.1:${rt.admin.port}/api/v1/worlds/1`;
}, 30_000);

afterAll(async () => {
  await rt?.stop();
});

const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; text: string; json: any }> => {
  const r = await fetch(base + path, { method, headers: H, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, text, json: JSON.parse(text) };
};

describe('hostile: admin error bodies stay small, refusals change nothing', () => {
  it('3,000 bad tier zones: a bounded 400, zones unchanged', async () => {
    const before = (await call('GET', '/tiers/zones')).text;
    const zones = Array.from({ length: 3000 }, (_, i) => ({ id: `z${i}` }));
    const r = await call('PUT', '/tiers/zones', { zones });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('WT_ERR_TIER_ZONE_INVALID');
    expect(r.text.length).toBeLessThan(16 * 1024);
    expect(r.json.details.problems.length).toBeLessThanOrEqual(101);
    expect(r.json.details.problems.at(-1)).toMatch(/^…and \d+ more problems$/);
    expect((await call('GET', '/tiers/zones')).text).toBe(before);
  });

  it('rewards: thousands of unknown keys and 60 KB strings are a bounded 400 that never reaches the ledger', async () => {
    const recent0 = (await call('GET', '/ledger')).json.recent.length;
    const many: Record<string, number> = {};
    for (let i = 0; i < 5000; i++) many[`k${i}`] = 1;
    const cases: unknown[] = [
      many,
      { [`K${'x'.repeat(50_000)}`]: 1, playerId: 'p', key: 'k' },
      { playerId: 'x'.repeat(60_000), key: 'k', coins: 1 },
      { playerId: 'p', key: 'k'.repeat(60_000), coins: 1 },
      { playerId: 'p', key: 'k', item: 'i'.repeat(10_000), quantity: 1 },
    ];
    for (const body of cases) {
      const r = await call('POST', '/ledger/rewards', body);
      expect(r.status).toBe(400);
      expect(r.json.code).toBe('WT_ERR_ADMIN_BAD_REQUEST');
      expect(r.text.length).toBeLessThan(16 * 1024);
    }
    const after = await call('GET', '/ledger');
    expect(after.json.recent.length).toBe(recent0);
    const ok = await call('POST', '/ledger/rewards', { playerId: 'p1', key: 'k-ok', coins: 5 });
    expect(ok.status).toBe(200);
    expect(ok.json.result.status).toBe('ok');
    expect(rt.admin.counters.internalErrors).toBe(0);
  });
});
