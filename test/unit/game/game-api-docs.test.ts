/**
 * docs/GAME-API.md documents every value the two public entries export (src/index.ts and
 * src/client/index.ts): each exported name appears on the page in code spans; the names the page
 * and README import or list exist; the page's first example, "A game in five minutes", runs as
 * written (imported from a file of its own, `'worldtick'` pointed at src/index.ts).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

  it('"A game in five minutes" runs as written: its decay system takes 1 hp a second', async () => {
    const block = /## A game in five minutes\n\n```ts\n([\s\S]*?)```/.exec(page)?.[1] ?? '';
    expect(block).toContain("from 'worldtick'");
    const root = new URL('../../../', import.meta.url).pathname;
    mkdirSync(join(root, '.tmp'), { recursive: true });
    const dir = mkdtempSync(join(root, '.tmp', 'five-minutes-'));
    try {
      const file = join(dir, 'game.ts');
      writeFileSync(file, block.replace("from 'worldtick'", `from '${join(root, 'src/index.ts')}'`));
      const mod = (await import(file)) as { game: api.GameDefinition; Health: api.ComponentDef };
      const world = api.createGameWorld(mod.game, { id: 'five', config: { simulation: { pauseSimulation: true } } });
      const e = api.spawn(world, { kind: 1, x: 10, y: 10 });
      api.addComponent(world, e, mod.Health);
      api.stepWorld(world, 41); // steps 0, 20 and 40 decay
      expect(api.getStore(world, mod.Health).hp[e]).toBe(97);
      api.deleteGameWorld(world);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('README\'s layout and the page\'s "The examples" name every example game', () => {
    const examples = readdirSync(new URL('../../../examples/', import.meta.url), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    const layout = readme.split('\n').find((l) => l.startsWith('- `examples/` —')) ?? '';
    const section = page.slice(page.indexOf('## The examples'));
    expect(examples.filter((e) => !layout.includes(`\`${e}\``))).toEqual([]);
    expect(examples.filter((e) => !section.includes(`\`examples/${e}`))).toEqual([]);
  });

  it('lists LIFE_SIM_SYSTEMS as the module defines them', () => {
    const m = /`LIFE_SIM_SYSTEMS`: `([^`]+)`/.exec(page);
    expect(m?.[1]?.split(/,\s*/)).toEqual([...api.LIFE_SIM_SYSTEMS]);
  });
});
