/**
 * docs/GAME-API.md documents every value the two public entries export (src/index.ts and
 * src/client/index.ts): each exported name appears on the page in code spans; the names the page
 * and README import or list exist.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as client from '../../../src/client/index.js';
import * as api from '../../../src/index.js';

const page = readFileSync(new URL('../../../docs/GAME-API.md', import.meta.url), 'utf8');
const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** Names in every `import { a, b } from 'spec'` of `text`. */
const importedNames = (text: string, spec: string): string[] =>
  [...text.matchAll(new RegExp(`import \\{([^}]*)\\} from '${spec}'`, 'g'))].flatMap((m) =>
    (m[1] ?? '')
      .split(',')
      .map((n) => n.trim().replace(/^type /, ''))
      .filter(Boolean),
  );

describe('docs/GAME-API.md', () => {
  it.each([
    ['worldtick', api],
    ['worldtick/client', client],
  ] as const)('documents every export of %s', (_name, mod) => {
    const missing = Object.keys(mod).filter((k) => !new RegExp(`\`(new )?${k}[\`(]`).test(page) && !page.includes(`\`${k}\``));
    expect(missing).toEqual([]);
  });

  it.each([
    ['docs/GAME-API.md', page],
    ['README.md', readme],
  ] as const)('%s imports only names the entries export', (_name, text) => {
    const values = new Set([...Object.keys(api), 'GameDefinition', 'ComponentDef']);
    const server = importedNames(text, 'worldtick');
    const cl = importedNames(text, 'worldtick/client');
    expect(server.length + cl.length).toBeGreaterThan(0);
    expect(server.filter((n) => !values.has(n))).toEqual([]);
    expect(cl.filter((n) => !(n in client))).toEqual([]);
  });

  it('lists LIFE_SIM_SYSTEMS as the module defines them', () => {
    const m = /`LIFE_SIM_SYSTEMS`: `([^`]+)`/.exec(page);
    expect(m?.[1]?.split(/,\s*/)).toEqual([...api.LIFE_SIM_SYSTEMS]);
  });
});
