/**
 * The live heap of this process after full collections (memory benches): exposes `gc` to the
 * bench process and runs three collections, a turn of the event loop apart, before reading it.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** `heapUsed` bytes after three full GCs. */
export const heapAfterGc = async (): Promise<number> => {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setImmediate(r));
    gc();
  }
  return process.memoryUsage().heapUsed;
};
