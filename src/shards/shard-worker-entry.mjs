/**
 * The file piscina loads in a shard worker: it imports the shard worker as ESM — the compiled
 * `shard-worker.js` next to it when there is one (the built package), else the TypeScript source
 * after registering tsx's ESM hooks in this thread.
 *
 * Why: piscina tries `require(file)` before `import()`, and in a Node 20 worker started with
 * `--import tsx` only tsx's CommonJS hook takes effect, so the TypeScript worker used to be
 * compiled to CommonJS, where every imported binding (`BodyKind.player`, `TierCode.*`,
 * `perceiveBody`, ...) is read through an esbuild export getter on each access: the physics
 * kernel ran ~1.5x slower on a worker than the same kernel inline (ESM on the main thread).
 * The top-level await makes `require` of this file fail (ERR_REQUIRE_ASYNC_MODULE), so piscina
 * falls back to `import()`, and the worker runs the same ESM code as the main thread.
 */
import { existsSync } from 'node:fs';

const compiled = new URL('./shard-worker.js', import.meta.url);
let worker;
if (existsSync(compiled)) worker = await import(compiled.href);
else {
  const { register } = await import('tsx/esm/api');
  register();
  worker = await import('./shard-worker.ts');
}

export default worker.default;
