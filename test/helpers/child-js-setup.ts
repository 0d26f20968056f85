/**
 * vitest globalSetup: compiles src/, components/, systems/, examples/ and test/helpers/ to JavaScript
 * ONCE per run (esbuild, one output file per source file, the same transform tsx applies file by file),
 * so the child servers the tests start (test/helpers/child-node.ts) run plain `node <file>.js`.
 *
 * Why: `node --import tsx src/cli/main.ts` costs ~2.5-3 s of CPU to "server ready", the same program
 * compiled ~1.2 s: tsx resolves and loads each of the ~550 ES modules through its hooks thread, a few
 * ms of CPU each (docs/CONTRIBUTING.md, "Suite time"). The suite starts ~150 such children.
 *
 * The output sits in a temporary folder laid out like the repository (and like dist/ after `npm run
 * build`: non-TypeScript files such as the dashboard assets and the shard worker entry are copied),
 * with the repository's package.json (ESM, name and version) and a `node_modules` link to the
 * repository's. The build runs in the background: children wait for `<stateDir>/ready` (or fall back
 * to tsx when `<stateDir>/failed` says why not). Off in watch mode (a source edit would not reach the
 * children) and when WT_TEST_CHILD_TSX=1 (run every child with tsx, as before).
 */
import { cpSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import type { ChildJsInfo } from './child-node.js';

const ROOT = new URL('../../', import.meta.url).pathname;
/** The folders compiled, from the repository root. */
const SOURCES = ['src', 'components', 'systems', 'examples', 'test/helpers', 'test/fuzz-helpers'];

interface Shared {
  info: ChildJsInfo;
  done: Promise<void>;
  base: string | null;
  users: number;
}

const slot = globalThis as { __worldtickChildJs?: Shared };

const tsFiles = (dir: string, out: string[] = []): string[] => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) tsFiles(p, out);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
};

const compile = async (outDir: string): Promise<void> => {
  const { build } = await import('esbuild');
  const dirs = SOURCES.map((d) => join(ROOT, d));
  const entryPoints = dirs.flatMap((d) => tsFiles(d));
  await build({
    entryPoints,
    outdir: outDir,
    outbase: ROOT,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node}`,
    tsconfig: join(ROOT, 'tsconfig.json'),
    sourcemap: 'linked', // stack traces map back to the .ts with NODE_OPTIONS=--enable-source-maps
    logLevel: 'silent',
  });
  // What `npm run build` copies next to the compiled files (dashboard assets, the shard worker entry).
  for (const d of ['src', 'examples']) {
    cpSync(join(ROOT, d), join(outDir, d), { recursive: true, filter: (f) => !f.endsWith('.ts') });
  }
  cpSync(join(ROOT, 'package.json'), join(outDir, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(outDir, 'node_modules'), 'dir');
  // Without the bundles the children run file by file, as before: a failure here is said, not fatal.
  await bundle(build, outDir).catch((err: Error) => process.stderr.write(`child-js-setup: no bundled entries (${err.message})\n`));
};

/**
 * The entries most children run, also bundled: `<entry>.bundle.js` beside the compiled `<entry>.js`
 * (test/helpers/child-node.ts prefers it). Loading ~550 modules one by one was most of a start: `src/cli/main.js`
 * to "server ready" ~1.3 s of CPU file by file, ~0.83 s bundled (three alternating pairs, load ~25).
 * Packages stay outside (`node_modules`, resolved from beside the bundle), but for TypeBox (below);
 * every `import.meta.url` of a bundled source but the entry becomes its compiled file's URL in the tree, so what a module finds
 * relative to itself (worker files, the dashboard assets, `createRequire`) is found where the
 * file-by-file copy has it; the entry's own stays the bundle's (`npm run bots --procs` starts its
 * worker processes from it).
 * test/helpers/warm-cli-entry.ts is src/cli/main.ts as exports: warm-main.ts loads it bundled and runs it
 * on its go line. The test games' and examples' mains and the crash tests' store children started cold
 * are bundled too (~0.87 → ~0.51 s of CPU to "server ready" for counter-game-main, 5 alternating pairs;
 * bundling 16 more entries costs ~2.5 s of CPU once a run); started warm (`launchGameProcess`), a test
 * game's main still runs file by file.
 */
const BUNDLED = [
  'src/cli/main.ts',
  'src/bots/main.ts',
  'test/helpers/warm-cli-entry.ts',
  'src/replay/main.ts', // record-replay, record-from-checkpoint: two runs each
  'src/cli/store-copy-main.ts', // the store-copy tests: ~24 copies a run
  // Test games' and examples' mains, and the store children of the crash tests: started cold
  // (`startGameProcess`, `childNodeArgs`), each a few times a run.
  ...['counter-game', 'fact-game', 'incident-game', 'migrate-game', 'player-data-game', 'rejecting-game', 'timer-game', 'upgrade-game'].map(
    (g) => `test/helpers/${g}-main.ts`,
  ),
  'test/helpers/quiet-start-main.ts',
  'test/helpers/pg-paused-writer-main.ts',
  'test/helpers/pg-paused-upload-main.ts',
  'test/helpers/pg-write-child.ts',
  'test/helpers/ledger-crash-child.ts',
  'test/fuzz-helpers/admin-child.ts',
  ...['ctf', 'farm', 'market', 'royale'].map((e) => `examples/${e}/main.ts`),
];

const bundle = async (build: typeof import('esbuild').build, outDir: string): Promise<void> => {
  const { readFile } = await import('node:fs/promises');
  const { relative } = await import('node:path');
  const { pathToFileURL } = await import('node:url');
  const fromRoot = (await import('node:module')).createRequire(join(ROOT, 'package.json'));
  await build({
    entryPoints: BUNDLED.map((e) => ({ in: join(ROOT, e), out: e.replace(/\.ts$/, '.bundle') })),
    outdir: outDir,
    bundle: true,
    // What the entries share (most of src/) in chunks of their own (bundle-chunks/): 22 single-file bundles
    // were ~70 MB with their maps and ~3.2 s of esbuild CPU a run; split, ~6 MB and ~0.65 s. A start loads
    // its entry and ~10 chunks: ~0.5 s of CPU to "server ready" either way (6 alternating pairs).
    splitting: true,
    chunkNames: 'bundle-chunks/[name]-[hash]',
    packages: 'external',
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node}`,
    tsconfig: join(ROOT, 'tsconfig.json'),
    sourcemap: 'linked',
    logLevel: 'silent',
    plugins: [
      {
        name: 'import-meta-url-of-the-compiled-file',
        setup(b) {
          b.onLoad({ filter: /\.ts$/ }, async (args) => {
            if (BUNDLED.includes(relative(ROOT, args.path))) return undefined; // the entry's own: the bundle (bots --procs runs it)
            const url = pathToFileURL(join(outDir, relative(ROOT, args.path).replace(/\.ts$/, '.js'))).href;
            let contents = (await readFile(args.path, 'utf8')).replaceAll('import.meta.url', JSON.stringify(url));
            // src/typebox.ts requires TypeBox's CommonJS build through createRequire: with that line gone its
            // `require` calls are the bundle's own, and TypeBox is bundled (below).
            if (relative(ROOT, args.path) === 'src/typebox.ts')
              contents = contents.replace(/^const require = createRequire\([^)]*\);$/m, '');
            return { contents, loader: 'ts' };
          });
        },
      },
      {
        // TypeBox's CommonJS build (src/typebox.ts; it requires only its own files) inside the bundle: resolving,
        // reading and compiling them one by one was ~15 % of a start (0.60 → 0.51 s of CPU to "server ready",
        // 13 alternating pairs). The same files, the same version.
        name: 'typebox-inside',
        setup(b) {
          b.onResolve({ filter: /^@sinclair\/typebox(\/compiler)?$/ }, (args) => ({ path: fromRoot.resolve(args.path) }));
        },
      },
    ],
  });
};

const launch = (off: string | null): Shared => {
  if (off !== null) return { info: { off }, done: Promise.resolve(), base: null, users: 0 };
  const base = mkdtempSync(join(tmpdir(), 'wt-child-js-'));
  const stateDir = join(base, 'state');
  const dir = join(base, 'js');
  const done = import('node:fs/promises')
    .then((fs) => fs.mkdir(stateDir))
    .then(() => compile(dir))
    .then(
      () => writeFileSync(join(stateDir, 'ready'), ''),
      (err: Error) => writeFileSync(join(stateDir, 'failed'), `could not compile the sources for child processes: ${err.message}`),
    );
  return { info: { dir, stateDir }, done, base, users: 0 };
};

export default function setup(project: TestProject): () => Promise<void> {
  const off =
    process.env.WT_TEST_CHILD_TSX === '1'
      ? 'WT_TEST_CHILD_TSX=1'
      : project.config.watch
        ? 'watch mode (a source edit would not reach compiled children)'
        : null;
  slot.__worldtickChildJs ??= launch(off);
  const shared = slot.__worldtickChildJs;
  shared.users++;
  project.provide('wtChildJs', shared.info);
  return async () => {
    if (--shared.users > 0) return;
    slot.__worldtickChildJs = undefined;
    await shared.done;
    if (shared.base) rmSync(shared.base, { recursive: true, force: true });
  };
}
