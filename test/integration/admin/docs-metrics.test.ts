/**
 * docs/ADMIN.md's metrics table names every `worldtick_*` metric a running server exposes (with
 * physics on, so the physics, shard and navigation families are there), and no metric the server
 * lacks. A row may shorten a family: `worldtick_jobs_started_total` / `_completed_total` stands for
 * `worldtick_jobs_completed_total`; `worldtick_checkpoint_last_*` for every name with that prefix.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { call, useRuntime } from './harness.js';

/** The metric names written in the rows of the "## Metrics" section: full names, `_suffix` short forms and `prefix_*` families. */
const documented = (md: string): { names: Set<string>; matches: (name: string) => boolean } => {
  const section = md.split('\n## Metrics')[1]?.split('\n## ')[0] ?? '';
  const names = new Set<string>();
  const families: string[] = [];
  const short: { base: string; suffix: string }[] = [];
  for (const row of section.split('\n').filter((l) => l.startsWith('| `'))) {
    const cell = row.split(' | ')[0] ?? '';
    let base = '';
    for (const m of cell.matchAll(/`([^`]+)`/g)) {
      const t = (m[1] ?? '').replace(/\{.*\}$/, '');
      if (t.endsWith('*')) families.push(t.slice(0, -1));
      else if (t.startsWith('worldtick_')) {
        base = t;
        names.add(t);
      } else if (t.startsWith('_') && base) short.push({ base, suffix: t });
    }
  }
  const matches = (name: string): boolean => {
    if (names.has(name) || families.some((f) => name.startsWith(f))) return true;
    return short.some(({ base, suffix }) => {
      const parts = base.split('_');
      for (let i = 2; i < parts.length; i++) if (parts.slice(0, i).join('_') + suffix === name) return true;
      return false;
    });
  };
  return { names, matches };
};

describe('metrics in the documentation', () => {
  const s = useRuntime(['--physics', 'on']);

  it('docs/ADMIN.md names every worldtick_* metric the server exposes, and none it lacks', async () => {
    const r = await call(s.base, 'GET', '/metrics');
    expect(r.status).toBe(200);
    const exposed = [...r.text.matchAll(/^# TYPE (worldtick_\w+) /gm)].map((m) => m[1] ?? '');
    expect(exposed.length).toBeGreaterThan(50);
    const docs = documented(readFileSync(new URL('../../../docs/ADMIN.md', import.meta.url), 'utf8'));
    expect(exposed.filter((n) => !docs.matches(n))).toEqual([]);
    expect([...docs.names].filter((n) => !exposed.includes(n))).toEqual([]);
  });
});
