/**
 * docs/GAME-API.md documents every value the two public entries export (src/index.ts and
 * src/client/index.ts): each exported name appears on the page in code spans.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as client from '../../../src/client/index.js';
import * as api from '../../../src/index.js';

const page = readFileSync(new URL('../../../docs/GAME-API.md', import.meta.url), 'utf8');

describe('docs/GAME-API.md', () => {
  it.each([
    ['worldtick', api],
    ['worldtick/client', client],
  ] as const)('documents every export of %s', (_name, mod) => {
    const missing = Object.keys(mod).filter((k) => !new RegExp(`\`(new )?${k}[\`(]`).test(page) && !page.includes(`\`${k}\``));
    expect(missing).toEqual([]);
  });
});
