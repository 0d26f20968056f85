/**
 * Options of a worker thread that runs a TypeScript module through tsx (the server run from its
 * sources: `npm start`, the tests, the benches; a built package runs `.js` workers and needs none).
 *
 * Why the environment: tsx writes each module it transforms to its disk cache with an async
 * `writeFile`, from the thread's loader, whose event loop does not run between two imports. A thread
 * that retires (a pool's idle timeout, a pool closed with its world) before such a write finished
 * left the write's file descriptor open in the process for good — each new thread transformed the
 * same modules again (their cache files left empty) and leaked again: 2–3 descriptors per thread
 * retired (bench/soak-all.ts; test/unit/jobs/worker-pool-fds.test.ts). With `TSX_DISABLE_CACHE` the
 * threads' tsx keeps its cache in memory only: a thread transforms its modules once, at its start.
 */
export const tsxWorkerOptions = (filename: string): { execArgv: string[]; env?: NodeJS.ProcessEnv } =>
  filename.endsWith('.ts') ? { execArgv: tsxImport(), env: tsxWorkerEnv() } : { execArgv: [] };

/**
 * The `--import` of tsx's loader for a thread or process that runs TypeScript, resolved from this module. A bare
 * `--import tsx` is resolved from the process's working directory: a server started from another directory (a
 * service's working directory, `npx --prefix`) had every TypeScript worker fail `Cannot find package 'tsx'`, so no
 * checkpoint was written and a stop never finished its final one (stop 67; test/integration/cli/other-cwd.test.ts).
 */
export const tsxImport = (): string[] => ['--import', import.meta.resolve('tsx')];

/** The environment of a thread that loads tsx (this process's, with tsx's disk cache off). */
export const tsxWorkerEnv = (): NodeJS.ProcessEnv => ({ ...process.env, TSX_DISABLE_CACHE: '1' });
