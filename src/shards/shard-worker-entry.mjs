/**
 * The file piscina loads in a shard worker: it registers tsx's ESM hooks in this thread and
 * imports the TypeScript worker as ESM.
 *
 * Why: piscina tries `require(file)` before `import()`, and in a Node 20 worker started with
 * `--import tsx` only tsx's CommonJS hook takes effect, so the TypeScript worker used to be
 * compiled to CommonJS, where every imported binding (`BodyKind.player`, `TierCode.*`,
 * `perceiveBody`, ...) is read through an esbuild export getter on each access: the physics
 * kernel ran ~1.5x slower on a worker than the same kernel inline (ESM on the main thread).
 * The top-level await makes `require` of this file fail (ERR_REQUIRE_ASYNC_MODULE), so piscina
 * falls back to `import()`, and the worker runs the same ESM code as the main thread.
 */
import { register } from 'tsx/esm/api';

register();
const worker = await import('./shard-worker.ts');

export default worker.default;
