/**
 * docs/ADMIN.md "Logs" shows what `--version` prints. Its example names the lines in order and the
 * schemas and protocol this build writes (what an operator compares before an upgrade), so those
 * values must be this build's; the versions of Node and the native packages are examples.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { versionLines } from '../../../src/cli/version-text.js';

const doc = readFileSync(new URL('../../../docs/ADMIN.md', import.meta.url), 'utf8');

describe('docs/ADMIN.md --version example', () => {
  it("has the lines of versionLines() in order, with this build's schemas and protocol", () => {
    const block = /`--version` prints[\s\S]*?```\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    const shown = block
      .trim()
      .split('\n')
      .map((l) => l.split(' ') as [string, string]);
    const actual = versionLines();
    expect(shown.map(([n]) => n)).toEqual(actual.map(([n]) => n));
    const own = new Set(['store-schema', 'checkpoint-schema', 'protocol']);
    expect(shown.filter(([n]) => own.has(n))).toEqual(actual.filter(([n]) => own.has(n)));
  });
});
