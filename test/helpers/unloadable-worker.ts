/**
 * A worker module that cannot load: it throws while it is imported, as a module with a broken import or a
 * start-up error does (test/unit/jobs/worker-pool.test.ts, test/integration/persist/writer-thread-fails.test.ts).
 */
const fail = (): never => {
  throw new Error('unloadable worker module: it throws at import');
};
fail();

export default (): number => 0;
