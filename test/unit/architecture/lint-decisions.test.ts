/**
 * Decisions no linter checks, checked here (docs/CONTRIBUTING.md):
 * - non-null assertions: with `noUncheckedIndexedAccess` off, an index expression is never
 *   `undefined` to the compiler, so an index assertion (`a[i]!`) is noise and none is written.
 *   Biome has no rule for exactly this case; this test is the rule.
 * - tests that need Chromium take it from test/helpers/chromium.ts, which skips them with a message
 *   where it is not installed (a test that launched its own path failed instead).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const DIRS = ['src', 'components', 'systems', 'test', 'bench', 'examples'];

const files = (dir: string, out: string[] = []): string[] => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
};

/** `]!` not followed by `=` (so `a[i] !== b` and `a[i]! = x` are told apart from `a[i]!.x`). */
const INDEX_ASSERTION = /\]!(?!=)/;

describe('lint decisions', () => {
  it('no index non-null assertions (a[i]!) anywhere in the code', () => {
    const hits: string[] = [];
    for (const d of DIRS) {
      let all: string[] = [];
      try {
        all = files(join(ROOT, d));
      } catch {
        continue; // a folder a checkout may lack
      }
      for (const f of all) {
        if (f.endsWith('lint-decisions.test.ts')) continue;
        const lines = readFileSync(f, 'utf8').split('\n');
        lines.forEach((line, i) => {
          if (INDEX_ASSERTION.test(line)) hits.push(`${relative(ROOT, f)}:${i + 1}: ${line.trim().slice(0, 100)}`);
        });
      }
    }
    expect(hits.slice(0, 20), `${hits.length} index assertions`).toEqual([]);
  });

  it('no test launches Chromium or names its path except through test/helpers/chromium.ts', () => {
    const hits: string[] = [];
    for (const f of files(join(ROOT, 'test'))) {
      if (f.endsWith(join('helpers', 'chromium.ts')) || f.endsWith('lint-decisions.test.ts')) continue;
      const text = readFileSync(f, 'utf8');
      if (/chromium\.launch\(|\/usr\/bin\/chromium/.test(text)) hits.push(relative(ROOT, f));
    }
    expect(hits).toEqual([]);
  });
});
