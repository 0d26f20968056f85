/**
 * worldtick loads TypeBox's CommonJS build (src/typebox.ts: it starts faster under tsx); a game may
 * build its schemas with its own `import { Type } from '@sinclair/typebox'` (the ES build). The
 * schemas of either build are checked the same by a game's messages.
 */
import { Type as EsmType } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { defineGame, defineMessage, Type } from '../../../src/index.js';

const schemaOf = (T: typeof Type) =>
  T.Object({ damage: T.Integer({ minimum: 1, maximum: 50 }), tag: T.Optional(T.String({ maxLength: 4 })) });

describe('message schemas from either TypeBox build', () => {
  it('the exported Type is not the ES build’s object, and a schema from each checks payloads the same', () => {
    expect(Type).not.toBe(EsmType); // two builds loaded: the case this test is about
    const game = defineGame({
      name: 'typebox-builds',
      messages: [
        defineMessage({ name: 'cjs', schema: schemaOf(Type), apply: () => undefined }),
        defineMessage({ name: 'esm', schema: schemaOf(EsmType), apply: () => undefined }),
      ],
    });
    const [cjs, esm] = game.messages;
    for (const payload of [
      { damage: 3 },
      { damage: 3, tag: 'ab' },
      { damage: 0 },
      { damage: 3.5 },
      { damage: 3, tag: 'toolong' },
      {},
      null,
      'x',
    ]) {
      const a = cjs?.check(payload);
      const b = esm?.check(payload);
      expect(b === null, JSON.stringify(payload)).toBe(a === null);
    }
    expect(cjs?.check({ damage: 3 })).toBeNull();
    expect(esm?.check({ damage: 3 })).toBeNull();
    expect(esm?.check({ damage: 0 })).not.toBeNull();
    expect(esm?.check({ damage: 3, tag: 'toolong' })).not.toBeNull();
  });
});
