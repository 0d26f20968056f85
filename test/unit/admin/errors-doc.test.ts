/**
 * docs/ADMIN.md "Errors" is where an operator looks up what a status and code of the admin API mean:
 * its table lists every code the admin server maps to a status (src/admin/http-errors.ts) under that
 * status, and every `NNN \`CODE\`` a route of the "Routes" table answers with.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STATUS_BY_CODE } from '../../../src/admin/http-errors.js';

const doc = readFileSync(new URL('../../../docs/ADMIN.md', import.meta.url), 'utf8');
const section = (title: string): string => doc.split(`\n## ${title}\n`)[1]?.split('\n## ')[0] ?? '';

/** The "Errors" table: status → the codes its row lists. */
const errorTable = (): Map<number, Set<string>> => {
  const out = new Map<number, Set<string>>();
  for (const m of section('Errors').matchAll(/^\| (\d{3}) \|(.*)\|$/gm))
    out.set(Number(m[1]), new Set([...(m[2] ?? '').matchAll(/`((?:WT_ERR|TX)_[A-Z_]+)`/g)].map((c) => c[1] ?? '')));
  return out;
};

describe('docs/ADMIN.md "Errors" lists the admin API\'s codes', () => {
  const table = errorTable();

  it('has a row per status, 400 to 503', () => {
    expect([...table.keys()]).toEqual(expect.arrayContaining([400, 401, 404, 405, 409, 413, 415, 500, 502, 503]));
  });

  it('lists every code of STATUS_BY_CODE under its status', () => {
    const missing = Object.entries(STATUS_BY_CODE)
      .filter(([code, status]) => !table.get(status ?? 0)?.has(code))
      .map(([code, status]) => `${status} ${code}`);
    expect(missing).toEqual([]);
  });

  it('lists every `status CODE` the Routes table names under that status', () => {
    const routes = section('Routes');
    const pairs = [...routes.matchAll(/\b(\d{3}) `((?:WT_ERR|TX)_[A-Z_]+)`/g)].map((m) => ({ status: Number(m[1]), code: m[2] ?? '' }));
    expect(pairs.length).toBeGreaterThan(20);
    const missing = pairs.filter((p) => !table.get(p.status)?.has(p.code)).map((p) => `${p.status} ${p.code}`);
    expect([...new Set(missing)]).toEqual([]);
  });
});
