/**
 * How a test runs one of the repository's TypeScript entry points as a child process: the node
 * arguments for `entry` (a path from the repository root, e.g. `src/cli/main.ts`).
 *
 * In a vitest run the sources are compiled once (test/helpers/child-js-setup.ts, a globalSetup) and
 * the child runs the compiled file: `node <run's js dir>/src/cli/main.js`, the same program in ~1.2 s
 * of CPU to "server ready" instead of ~2.5-3 s through tsx. Everything else falls back to what
 * `npm start` runs, `node --import tsx <entry>`: outside vitest, in watch mode, with
 * WT_TEST_CHILD_TSX=1, or when the compile failed.
 *
 * Use it for children whose subject is the server's behaviour (crash, restart, cluster). A test of
 * the command itself (`npm start`, `npm run restore`, tsx) spawns that command, not this.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { inject } from 'vitest';

/** What the globalSetup provides: the compiled tree and the folder where it says `ready` or `failed`; or why it is off. */
export type ChildJsInfo = { dir: string; stateDir: string } | { off: string };

declare module 'vitest' {
  export interface ProvidedContext {
    wtChildJs: ChildJsInfo;
  }
}

const ROOT = new URL('../../', import.meta.url).pathname;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The compiled tree's folder once it is ready, or `null` (not provided, off, or failed). */
const compiledDir = async (): Promise<string | null> => {
  let info: ChildJsInfo | undefined;
  try {
    info = inject('wtChildJs') as ChildJsInfo | undefined;
  } catch {
    return null; // not in a vitest worker
  }
  if (!info || 'off' in info) return null;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (existsSync(join(info.stateDir, 'ready'))) return info.dir;
    if (existsSync(join(info.stateDir, 'failed'))) {
      process.stderr.write(`${readFileSync(join(info.stateDir, 'failed'), 'utf8')}; children run with tsx\n`);
      return null;
    }
    if (Date.now() > deadline) throw new Error('the compiled sources for child processes were not ready within 120 s');
    await sleep(25);
  }
};

/**
 * Node arguments (before the entry's own arguments) that run `entry`, a `.ts` path from the
 * repository root: `[<compiled .js>]`, or `['--import', 'tsx', entry]` (see the module comment).
 */
export const childNodeArgs = async (entry: string): Promise<string[]> => {
  const rel = relative(ROOT, resolve(ROOT, entry));
  const dir = rel.endsWith('.ts') && !rel.startsWith('..') ? await compiledDir() : null;
  if (dir === null) return ['--import', 'tsx', entry];
  // The bundle of a much-started entry (test/helpers/child-js-setup.ts, `BUNDLED`) where there is one.
  const bundled = join(dir, `${rel.slice(0, -'.ts'.length)}.bundle.js`);
  if (existsSync(bundled)) return [bundled];
  const js = join(dir, `${rel.slice(0, -'.ts'.length)}.js`);
  return existsSync(js) ? [js] : ['--import', 'tsx', entry];
};

/**
 * The run's compiled copy of a repository file (a path from the root, e.g. the shard worker entry
 * `src/shards/shard-worker-entry.mjs`, which loads the compiled `shard-worker.js` beside it), or
 * `undefined` where {@link childNodeArgs} falls back to tsx. The shard tests start their pools' worker
 * threads from it: ~0.07 s of CPU per thread instead of ~0.45 s through tsx's hooks.
 */
export const compiledFile = async (file: string): Promise<string | undefined> => {
  const dir = await compiledDir();
  const path = dir === null ? null : join(dir, relative(ROOT, resolve(ROOT, file)));
  return path !== null && existsSync(path) ? path : undefined;
};
