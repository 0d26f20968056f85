/**
 * The pg package, loaded on first use by whatever talks to PostgreSQL (the store, the store lock, a fresh
 * store's schema drop, store-copy): a start on SQLite, the default, never loads it (~0.1 s of CPU).
 * Only types are imported from 'pg' elsewhere.
 */
import { createRequire } from 'node:module';
import type pg from 'pg';

let loaded: typeof pg | undefined;

export const loadPg = (): typeof pg => {
  loaded ??= createRequire(import.meta.url)('pg') as typeof pg;
  return loaded;
};
