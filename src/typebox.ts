/**
 * TypeBox (the one validator of message payloads) for the rest of src/: `Type` and `TypeCompiler`,
 * loaded through `require`, i.e. the package's CommonJS build, instead of its ES build.
 *
 * Why: the ES build is ~220 modules. Under tsx (`npm start`, `npm run …`) every ES module is resolved
 * and loaded through tsx's hooks thread at a few ms of CPU each: TypeBox cost ~0.9 s of CPU per
 * process start that way, its CommonJS build ~0.25 s (plain `node` on the built package: the same
 * either way). Same code, same version; schemas are plain objects tagged with `Symbol.for` keys, so
 * a schema built with a game's own `import { Type } from '@sinclair/typebox'` is checked the same.
 */
import { createRequire } from 'node:module';
import type * as TypeBoxModule from '@sinclair/typebox';
import type * as TypeBoxCompilerModule from '@sinclair/typebox/compiler';

const require = createRequire(import.meta.url);

/** TypeBox's schema builder (`Type.Object`, `Type.Number`, ...). */
export const Type: typeof TypeBoxModule.Type = (require('@sinclair/typebox') as typeof TypeBoxModule).Type;

/** TypeBox's compiler: `TypeCompiler.Compile(schema)` returns a fast checker. */
export const TypeCompiler: typeof TypeBoxCompilerModule.TypeCompiler = (
  require('@sinclair/typebox/compiler') as typeof TypeBoxCompilerModule
).TypeCompiler;
