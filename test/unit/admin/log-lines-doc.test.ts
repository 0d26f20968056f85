/**
 * The operator docs quote log lines to grep for ("warn `cluster: coordinator unreachable`"). Each
 * quoted message must be text the code logs: the part before a `…` or `<placeholder>` is found
 * literally in src/. A message the code changed, or a quote that dropped characters (backticks
 * inside a code span), fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../../', import.meta.url);
const source = readdirSync(new URL('src/', ROOT), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .map((f) => readFileSync(new URL(`src/${f}`, ROOT), 'utf8'))
  .join('\n');

/** Messages built from parts (a variable inside the text), quoted with example values: not literal in src. */
const COMPOSED = new Set([
  // `${kind} refused: world ${world} moved to ${where} …` (src/persist/write-failure-log.ts)
  'checkpoint refused: world 1 moved to another instance (fencing token 1 < 2); dropped, as designed',
  // `${label} held by a session …` (src/server/pg-store-lock.ts)
  'single-instance lock of the PostgreSQL store held by a session that has been idle: waiting for it to end',
]);

/** Code spans right after a level word: warn `…`, error line `…`, info, `…`. */
const quotedMessages = (doc: string): string[] => {
  const text = readFileSync(new URL(`docs/${doc}`, ROOT), 'utf8').replace(/\s+/g, ' ');
  return [...text.matchAll(/\b(?:warn|error|info|fatal)(?: line)?,? `([a-z][^`]{5,})`/g)].map((m) => m[1] ?? '');
};

describe('log lines quoted by the operator docs are logged by the code', () => {
  for (const doc of ['ADMIN.md', 'CLUSTER.md', 'DURABILITY.md']) {
    it(`docs/${doc}`, () => {
      const quoted = quotedMessages(doc);
      expect(quoted.length).toBeGreaterThan(3);
      const missing = quoted.filter((q) => {
        if (COMPOSED.has(q)) return false;
        const literal = (q.split(/…|\.\.\.|</)[0] ?? '').trim();
        return literal.length >= 6 && !source.includes(literal);
      });
      expect(missing).toEqual([]);
    });
  }
});
