import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NET_CONFIG_SPEC, NET_DEFAULTS } from '../../../src/net/net-config.js';

/** docs/PROTOCOL.md "Server settings": one row per `net` option, `| name | default | unit | meaning |`. */
const rows = (): Map<string, { def: string; meaning: string }> => {
  const doc = readFileSync(new URL('../../../docs/PROTOCOL.md', import.meta.url), 'utf8');
  const sec = doc.slice(doc.indexOf('## Server settings'));
  const out = new Map<string, { def: string; meaning: string }>();
  for (const m of sec.matchAll(/^\| `(\w+)` \| ([^|]+) \| [^|]+ \| (.+) \|$/gm)) out.set(m[1], { def: m[2].trim(), meaning: m[3] });
  return out;
};

describe('docs/PROTOCOL.md "Server settings" matches src/net/net-config.ts', () => {
  const table = rows();
  const fields = NET_CONFIG_SPEC.fields as Record<string, { kind: string; min?: number; max?: number }>;
  it('names every option of the code, and only those, with its default', () => {
    expect([...table.keys()].sort()).toEqual(Object.keys(NET_DEFAULTS).sort());
    for (const [name, row] of table) {
      const d = (NET_DEFAULTS as unknown as Record<string, unknown>)[name];
      const shown = row.def.replace(/[`"]/g, '').split(' ')[0];
      expect(shown, name).toBe(Array.isArray(d) ? '[]' : String(d));
    }
  });
  it('ends each number option with its accepted range', () => {
    for (const [name, f] of Object.entries(fields)) {
      if (f.kind !== 'number') continue;
      const range = name === 'idleTimeoutSeconds' ? '0 or 8..960' : `${f.min}..${f.max}`;
      expect(table.get(name)?.meaning, name).toMatch(new RegExp(`; ${range.replace(/\./g, '\\.')}( |,|$)`));
    }
  });
});
