/**
 * Forced garbage collection for memory assertions in fuzz tests, without starting the test
 * process with --expose-gc: the flag is switched on at run time and `gc` taken from a fresh
 * V8 context. Await between dropping a reference and `forceGc` (WeakRef targets live until the
 * end of the current job).
 */
import v8 from 'node:v8';
import vm from 'node:vm';

let gcFn: (() => void) | null = null;

/** Run a full GC (twice, so finalizers' garbage goes too). */
export const forceGc = async (): Promise<void> => {
  if (!gcFn) {
    v8.setFlagsFromString('--expose-gc');
    gcFn = vm.runInNewContext('gc') as () => void;
  }
  await new Promise((r) => setImmediate(r));
  gcFn();
  await new Promise((r) => setImmediate(r));
  gcFn();
};

/** Heap used + external + array buffers after a forced GC, in bytes. */
export const retainedBytes = async (): Promise<number> => {
  await forceGc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};
