/**
 * What a leak test reads of a child process's heap: the strings a V8 heap snapshot holds. The child
 * runs with `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=<dir>` (in NODE_OPTIONS, {@link heapSnapshotEnv});
 * {@link retainedStrings} signals it and reads the snapshot it writes. V8 collects all the garbage it
 * can before a snapshot, so a string in it is reachable (or held by V8 itself: compiled code, caches).
 */
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Environment for a child whose heap {@link retainedStrings} reads: snapshots go to `dir`. */
export const heapSnapshotEnv = (dir: string): Record<string, string> => ({
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${dir}`.trim(),
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A snapshot file is complete once its JSON ends (the `strings` array is written last). */
const complete = (file: string): boolean => {
  const size = statSync(file).size;
  if (size < 16) return false;
  return /\]\s*\}\s*$/.test(readFileSync(file, 'latin1').slice(-16));
};

/**
 * Signal `child` (started with {@link heapSnapshotEnv}`(dir)`) to write a heap snapshot, wait for it,
 * and return every string in it that contains `needle` (the snapshot is deleted after). Node writes
 * the file on the child's main thread, so this waits for the event loop to come round.
 */
export const retainedStrings = async (child: ChildProcess, dir: string, needle: string, timeoutMs = 30_000): Promise<string[]> => {
  const before = new Set(readdirSync(dir));
  child.kill('SIGUSR2');
  const deadline = Date.now() + timeoutMs;
  let file: string | undefined;
  while (Date.now() < deadline) {
    const name = readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    if (name !== undefined && complete(join(dir, name))) {
      file = join(dir, name);
      break;
    }
    await sleep(100);
  }
  if (file === undefined) throw new Error(`no heap snapshot in ${dir} within ${timeoutMs} ms`);
  const text = readFileSync(file, 'utf8');
  if (process.env.WT_KEEP_SNAP) copyFileSync(file, process.env.WT_KEEP_SNAP);
  rmSync(file);
  const at = text.lastIndexOf('"strings":[');
  const strings = JSON.parse(text.slice(at + '"strings":'.length, text.lastIndexOf('}'))) as string[];
  return strings.filter((s) => s.includes(needle));
};
