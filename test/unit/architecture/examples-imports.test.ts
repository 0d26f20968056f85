/**
 * Examples sit above everything and use the package's public entries only: every relative
 * import of a file under examples/ stays inside its own example folder or is `src/index.ts` /
 * `src/client/index.ts`. And nothing under src/, systems/ or components/ imports an example,
 * except the CLI entries: `npm start` runs the life-sim example, and `npm run replay` replays its
 * logs with that game's definition when no `--game` is given.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Relative specifiers of static imports / re-exports (comments stripped), as in import-cycles.test.ts. */
const staticSpecifiers = (src: string): string[] => {
  const code = src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const out: string[] = [];
  for (const m of code.matchAll(/^\s*(?:import|export)\b[^;'"`]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm)) {
    const spec = m[1] ?? m[2];
    if (spec?.startsWith('.')) out.push(spec);
  }
  return out;
};

const ROOT = resolve(import.meta.dirname, '../../..');
const listTs = (dir: string, out: string[] = []): string[] => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) listTs(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
};
/** The command-line entries that may name the default world's game (examples/life-sim). */
const CLI_ENTRIES = new Set(['src/cli/main.ts', 'src/replay/main.ts']);
const ENTRIES = new Set([join(ROOT, 'src/index.ts'), join(ROOT, 'src/client/index.ts')]);
const target = (from: string, spec: string): string => resolve(dirname(from), spec).replace(/\.js$/, '.ts');

describe('examples use the public API only', () => {
  it('examples import only their own files and the package entries', () => {
    const bad: string[] = [];
    const files = listTs(join(ROOT, 'examples'));
    expect(files.map((f) => relative(ROOT, f))).toEqual(
      expect.arrayContaining(['examples/arena/game.ts', 'examples/arena/main.ts', 'examples/life-sim/game.ts']),
    );
    for (const f of files) {
      const own = dirname(f);
      for (const spec of staticSpecifiers(readFileSync(f, 'utf8'))) {
        const t = target(f, spec);
        if (!ENTRIES.has(t) && !t.startsWith(`${own}/`)) bad.push(`${relative(ROOT, f)} imports ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the engine imports no example, except the CLI entries', () => {
    const bad: string[] = [];
    for (const d of ['src', 'systems', 'components'])
      for (const f of listTs(join(ROOT, d))) {
        if (CLI_ENTRIES.has(relative(ROOT, f))) continue;
        for (const spec of staticSpecifiers(readFileSync(f, 'utf8')))
          if (target(f, spec).startsWith(`${join(ROOT, 'examples')}/`)) bad.push(`${relative(ROOT, f)} imports ${spec}`);
      }
    expect(bad).toEqual([]);
  });
});
