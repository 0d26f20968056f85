/**
 * Layering checks over the source tree (STYLE.md "Layers point one way"):
 * 1. no import circles among the .ts files of src/, systems/ and components/;
 * 2. the world core (src/core/) imports nothing above it.
 *
 * What is counted: every static `import ... from '<spec>'`, side-effect `import '<spec>'` and
 * `export ... from '<spec>'` with a relative specifier, INCLUDING `import type` / `export type`.
 * Type-only imports make no runtime circle, but the goal here is layering: a type reaching up a
 * layer ties the lower module to the upper one all the same. Dynamic `import()` is not counted
 * (it is how a lower layer may load an optional upper part lazily, on purpose).
 * Package specifiers (bitecs, node:*) are ignored.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const SCANNED = ['src', 'systems', 'components'];

const listTs = (dir: string, out: string[] = []): string[] => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) listTs(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
};

/** Strip block and line comments (so examples in TSDoc are not read as imports). */
const stripComments = (src: string): string => src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');

const IMPORT_RE = /^\s*(?:import|export)\b[^;'"`]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;

/** Relative specifiers of a file's static imports/re-exports. */
const staticSpecifiers = (src: string): string[] => {
  const out: string[] = [];
  for (const m of stripComments(src).matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2];
    if (spec?.startsWith('.')) out.push(spec);
  }
  return out;
};

const resolveSpec = (from: string, spec: string, known: Set<string>): string | null => {
  const base = resolve(dirname(from), spec);
  const candidates = [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')];
  for (const c of candidates) if (known.has(c)) return c;
  return null;
};

const buildGraph = (): Map<string, string[]> => {
  const files = SCANNED.flatMap((d) => listTs(join(ROOT, d)));
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const deps: string[] = [];
    for (const spec of staticSpecifiers(readFileSync(f, 'utf8'))) {
      const r = resolveSpec(f, spec, known);
      if (r) deps.push(r);
    }
    graph.set(f, deps);
  }
  return graph;
};

/** Strongly connected components with more than one file (or a file importing itself): Tarjan. */
const cycles = (graph: Map<string, string[]>): string[][] => {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(comp);
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
};

/** One concrete circle inside a component, for a readable failure message. */
const sampleCircle = (graph: Map<string, string[]>, comp: string[]): string[] => {
  const inComp = new Set(comp);
  const start = comp[0];
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!inComp.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let x = v; x !== start; x = prev.get(x)!) path.splice(1, 0, x);
        return [...path, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return comp;
};

const rel = (p: string): string => relative(ROOT, p).split(sep).join('/');

describe('architecture: imports', () => {
  const graph = buildGraph();

  it('reads static imports, re-exports and type imports, not comments or dynamic imports', () => {
    const src = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      'import {',
      '  c,',
      "} from './c.js';",
      "export * from './d.js';",
      "export { e } from './e.js';",
      "import './f.js';",
      "import x from 'bitecs';",
      "// import { no } from './comment.js';",
      "const m = await import('./dynamic.js');",
    ].join('\n');
    expect(staticSpecifiers(src)).toEqual(['./a.js', '../b.js', './c.js', './d.js', './e.js', './f.js']);
  });

  it('finds the files it checks', () => {
    expect(graph.size).toBeGreaterThan(50);
  });

  it('has no import circles in src/, systems/, components/', () => {
    const found = cycles(graph).map((comp) => {
      const circle = sampleCircle(graph, comp).map(rel).join(' → ');
      return `${comp.length} files, e.g. ${circle}`;
    });
    expect(found).toEqual([]);
  });

  it('src/core/ imports only itself, components/, src/config/ and src/errors.ts', () => {
    const allowed = (p: string): boolean => {
      const r = rel(p);
      return r.startsWith('src/core/') || r.startsWith('components/') || r.startsWith('src/config/') || r === 'src/errors.ts';
    };
    const bad: string[] = [];
    for (const [file, deps] of graph) {
      if (!rel(file).startsWith('src/core/')) continue;
      for (const d of deps) if (!allowed(d)) bad.push(`${rel(file)} → ${rel(d)}`);
    }
    expect(bad).toEqual([]);
  });
});
