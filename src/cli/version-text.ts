/**
 * What `--version` prints (`npm start -- --version`, every game's `runMain`): one `name version` per
 * line, worldtick first — the first line is what it always was, `worldtick <version>` — then what this
 * process actually runs on: Node, the uWebSockets.js and better-sqlite3 packages the runtime's imports
 * resolve to (their package.json versions), the SQLite library better-sqlite3 loaded (opened in memory:
 * a native binding that does not load reads `sqlite unavailable`), and the versions this build writes
 * (store schema, checkpoint schema, wire protocol). Names never contain spaces; the list only grows at
 * the end (docs/ADMIN.md "Logs": `--version`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readBuildInfo } from '../admin/build-info.js';

const require = createRequire(import.meta.url);

/** The version of the package `name` resolves to from here (its nearest package.json), or `unknown`. */
const resolvedVersion = (name: string): string => {
  try {
    let dir = dirname(require.resolve(name));
    for (let i = 0; i < 6; i++) {
      const file = join(dir, 'package.json');
      if (existsSync(file)) {
        const v = (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version;
        if (typeof v === 'string') return v;
      }
      dir = dirname(dir);
    }
  } catch {
    // not installed: unknown
  }
  return 'unknown';
};

/** The SQLite library better-sqlite3's native binding carries, or `unavailable` when it does not load. */
const sqliteVersion = (): string => {
  try {
    const Database = require('better-sqlite3') as typeof import('better-sqlite3');
    const db = new Database(':memory:');
    try {
      return String((db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v);
    } finally {
      db.close();
    }
  } catch {
    return 'unavailable';
  }
};

/** `--version`'s lines, in order (see the module comment). */
export const versionLines = (): Array<[name: string, version: string]> => {
  const build = readBuildInfo();
  return [
    ['worldtick', build.version],
    ['node', process.versions.node],
    ['uWebSockets.js', resolvedVersion('uWebSockets.js')],
    ['better-sqlite3', resolvedVersion('better-sqlite3')],
    ['sqlite', sqliteVersion()],
    ['store-schema', build.schema],
    ['checkpoint-schema', build.checkpointSchema],
    ['protocol', build.protocol],
  ];
};

/** `--version`'s text: {@link versionLines} as `name version` lines, each ending in a newline. */
export const versionText = (): string =>
  versionLines()
    .map(([n, v]) => `${n} ${v}\n`)
    .join('');
