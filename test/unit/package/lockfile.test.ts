/**
 * package-lock.json must be complete for every platform a studio develops on: each optional
 * (platform) package a dependency declares must have its own lock entry, or `npm ci` on another
 * OS fails with "Missing from lock file" and `npm install` rewrites the lock on a fresh clone.
 * The declarations are read from the installed packages (node_modules/<pkg>/package.json) and
 * from the lock's own records; only this platform's packages are installed, so the lock is the
 * only place the other platforms' packages can be.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../../', import.meta.url).pathname;

interface LockEntry {
  version?: string;
  optionalDependencies?: Record<string, string>;
  link?: boolean;
}
interface Lock {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
}
/** One optional dependency declared by a locked package. */
interface OptionalDecl {
  /** Lock key of the declaring package (`node_modules/a/node_modules/b`). */
  from: string;
  name: string;
  /** Where the declaration was read: the installed package.json or the lock entry. */
  source: 'installed' | 'lock';
}

/** Lock key `name` resolves to from package `from`, as Node looks it up (nearest node_modules up), or null. */
const resolveInLock = (packages: Lock['packages'], from: string, name: string): string | null => {
  let dir = from;
  for (;;) {
    const key = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (packages[key]) return key;
    if (dir === '') return null;
    const i = dir.lastIndexOf('/node_modules/');
    dir = i >= 0 ? dir.slice(0, i) : '';
  }
};

/**
 * Every optional dependency declared by a locked package (installed package.json when its
 * version is the locked one, and the lock's own record) that has no lock entry.
 */
const missingOptionalPackages = (
  lock: Lock,
  readInstalled: (key: string) => { version?: string; optionalDependencies?: Record<string, string> } | null,
): { checked: OptionalDecl[]; missing: OptionalDecl[] } => {
  const checked: OptionalDecl[] = [];
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key === '' || entry.link) continue;
    for (const name of Object.keys(entry.optionalDependencies ?? {})) checked.push({ from: key, name, source: 'lock' });
    const installed = readInstalled(key);
    if (installed && installed.version === entry.version) {
      for (const name of Object.keys(installed.optionalDependencies ?? {})) checked.push({ from: key, name, source: 'installed' });
    }
  }
  return { checked, missing: checked.filter((d) => resolveInLock(lock.packages, d.from, d.name) === null) };
};

const readLock = (): Lock => JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as Lock;
const readInstalled = (key: string) => {
  const file = join(ROOT, key, 'package.json');
  return existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { version?: string; optionalDependencies?: Record<string, string> })
    : null;
};

describe('package-lock.json holds every platform package', () => {
  it('every optional dependency a locked package declares has a lock entry', () => {
    const lock = readLock();
    expect(lock.lockfileVersion).toBeGreaterThanOrEqual(2);
    const { checked, missing } = missingOptionalPackages(lock, readInstalled);
    expect(missing.map((d) => `${d.from} -> ${d.name} (${d.source})`)).toEqual([]);
    // Not vacuous: msgpackr-extract's native packages for the other platforms are among those checked.
    const names = new Set(checked.filter((d) => d.source === 'installed').map((d) => d.name));
    for (const p of [
      '@msgpackr-extract/msgpackr-extract-darwin-arm64',
      '@msgpackr-extract/msgpackr-extract-darwin-x64',
      '@msgpackr-extract/msgpackr-extract-win32-x64',
      '@msgpackr-extract/msgpackr-extract-linux-arm64',
    ]) {
      expect(names.has(p), `${p} checked from an installed package.json`).toBe(true);
    }
  });

  it('reports a platform package that is missing from the lock', () => {
    const lock = readLock();
    const key = 'node_modules/@msgpackr-extract/msgpackr-extract-darwin-arm64';
    expect(lock.packages[key]).toBeDefined();
    delete lock.packages[key];
    const { missing } = missingOptionalPackages(lock, readInstalled);
    expect(missing.map((d) => d.name)).toContain('@msgpackr-extract/msgpackr-extract-darwin-arm64');
    expect(missing.every((d) => d.name === '@msgpackr-extract/msgpackr-extract-darwin-arm64')).toBe(true);
  });

  it('resolves a nested declaration to the nearest node_modules, as Node does', () => {
    const packages: Lock['packages'] = {
      '': {},
      'node_modules/a': { version: '1.0.0', optionalDependencies: { b: '1', c: '1' } },
      'node_modules/a/node_modules/b': { version: '1.0.0' },
      'node_modules/x': { version: '1.0.0' },
      'node_modules/x/node_modules/y': { version: '1.0.0', optionalDependencies: { a: '1', d: '1' } },
    };
    const { missing } = missingOptionalPackages({ lockfileVersion: 3, packages }, () => null);
    expect(missing.map((d) => `${d.from} -> ${d.name}`)).toEqual(['node_modules/a -> c', 'node_modules/x/node_modules/y -> d']);
  });
});
