/**
 * The Prometheus examples an operator copies (docs/prometheus/: scrape config, alerting rules and
 * their unit tests; the rules block in docs/ADMIN.md) are valid for promtool, the alerts fire as
 * their tests say, and every metric they name is served by a real server's /metrics — so a renamed
 * metric breaks this test, not somebody's paging. Skips (with a message) without promtool.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startRuntime, type Started } from './harness.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const EXAMPLES = join(ROOT, 'docs/prometheus');
const promtool = ['promtool', '/usr/bin/promtool', '/tmp/prom/usr/bin/promtool'].find(
  (p) => spawnSync(p, ['--version'], { encoding: 'utf8' }).status === 0,
);
if (!promtool) console.warn('SKIP prometheus examples: promtool not installed (apt-get install -y prometheus, or run .ci/run)');

const run = (args: string[], cwd: string) => {
  const r = spawnSync(promtool ?? 'promtool', args, { cwd, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
};

/** Metric names (worldtick_*, nodejs_*, process_*) a rules file mentions. */
const metricNames = (text: string): string[] => [
  ...new Set(
    text
      .split('\n')
      .filter((l) => !l.trim().startsWith('#') && !/^\s*(summary|description):/.test(l))
      .flatMap((l) => l.match(/\b(?:worldtick|nodejs|process)_[a-z0-9_]+\b/g) ?? []),
  ),
];

describe.skipIf(!promtool)('Prometheus examples (docs/prometheus, docs/ADMIN.md)', () => {
  let dir: string;
  let s: Started;
  beforeAll(async () => {
    // The scrape config reads the token from a file next to it: a copy with a token file.
    dir = mkdtempSync(join(tmpdir(), 'wt-prom-'));
    for (const f of readdirSync(EXAMPLES)) copyFileSync(join(EXAMPLES, f), join(dir, f));
    writeFileSync(join(dir, 'worldtick-admin-token'), 'a-token', { mode: 0o600 });
    s = await startRuntime(['--npcs', '50']);
  });
  afterAll(async () => {
    await s?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the scrape config and the rules pass promtool check config / check rules', () => {
    const cfg = run(['check', 'config', 'prometheus.yml'], dir);
    expect(cfg.status, cfg.out).toBe(0);
    const rules = run(['check', 'rules', 'worldtick-alerts.yml'], dir);
    expect(rules.status, rules.out).toBe(0);
  });

  it('the alerts fire as their unit tests say (promtool test rules)', () => {
    const t = run(['test', 'rules', 'worldtick-alerts.test.yml'], dir);
    expect(t.status, t.out).toBe(0);
  });

  it('the rules block in docs/ADMIN.md passes promtool check rules', () => {
    const admin = readFileSync(join(ROOT, 'docs/ADMIN.md'), 'utf8');
    const blocks = [...admin.matchAll(/```yaml\n(groups:[\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.length).toBeGreaterThan(0);
    for (const [i, b] of blocks.entries()) writeFileSync(join(dir, `admin-${i}.yml`), b);
    const r = run(['check', 'rules', ...blocks.map((_, i) => `admin-${i}.yml`)], dir);
    expect(r.status, r.out).toBe(0);
  });

  it('every metric the rules name is served by a real server', async () => {
    const text = (await call(s.base, 'GET', '/metrics')).text as string;
    const served = new Set([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1]));
    const histograms = new Set([...text.matchAll(/^# TYPE (\S+) histogram$/gm)].map((m) => m[1]));
    const admin = readFileSync(join(ROOT, 'docs/ADMIN.md'), 'utf8');
    const named = metricNames(
      `${readFileSync(join(EXAMPLES, 'worldtick-alerts.yml'), 'utf8')}\n${admin.match(/```yaml\n(groups:[\s\S]*?)```/)?.[1]}`,
    );
    expect(named.length).toBeGreaterThan(10);
    const missing = named.filter((n) => {
      if (served.has(n)) return false;
      const base = n.replace(/_(bucket|sum|count)$/, '');
      return !(base !== n && histograms.has(base));
    });
    expect(missing).toEqual([]);
  });
});
