/**
 * Suite `jobs`: the `scene` content job (src/content) in-process vs on a worker thread
 * (src/jobs/worker-pool.ts, piscina): per-job cost, dispatch overhead (a near-empty task's
 * round trip minus its in-process cost), and batch throughput with 1 and 2 threads against the
 * same batch in-process. The machine has 2 cores shared with other work: figures are noisy.
 */
import { createScenePool } from '../src/content/scene-job.js';
import { generateScene, type SceneInput } from '../src/content/scene-gen.js';
import type { Suite } from './harness.js';

const r3 = (x: number): number => Math.round(x * 1000) / 1000;

const suite: Suite = {
  name: 'jobs',
  async run(ctx) {
    let k = 0;
    const full = (): SceneInput => ({ seed: 1234, kind: k++ & 0xff, cellX: k % 61, cellY: -(k % 37) });
    const tiny = (): SceneInput => ({ seed: 1234, kind: k++ & 0xff, cellX: 0, cellY: 0, size: 8, octaves: 1 });
    const pool1 = createScenePool({ maxThreads: 1, minThreads: 1, maxQueue: 1024 });
    const pool2 = createScenePool({ maxThreads: 2, minThreads: 2, maxQueue: 1024 });
    try {
      await Promise.all([pool1.run(tiny()), pool2.run(tiny()), pool2.run(tiny())]); // threads up (tsx start-up excluded)
      const figs = await ctx.measure([
        ['scene in-process (128², 4 octaves)', () => void generateScene(full())],
        ['scene on worker, 1 in flight (128², 4 octaves)', async () => void (await pool1.run(full()))],
        ['tiny scene in-process (8², 1 octave)', () => void generateScene(tiny())],
        ['tiny scene on worker, 1 in flight (dispatch round trip)', async () => void (await pool1.run(tiny()))],
      ]);
      const mean = (i: number): number => figs[i].meanMs;
      ctx.record('perJobMs', { inProcess: r3(mean(0)), worker: r3(mean(1)) });
      ctx.record('dispatchOverheadUs', r3((mean(3) - mean(2)) * 1000));
      ctx.record('workerOverheadShareOfFullJob', r3((mean(1) - mean(0)) / mean(0)));

      const batch = ctx.quick ? 16 : 64;
      const inputs = Array.from({ length: batch }, full);
      const timeIt = async (fn: () => Promise<unknown> | unknown): Promise<number> => {
        const t0 = performance.now();
        await fn();
        return performance.now() - t0;
      };
      const reps = ctx.quick ? 1 : 3;
      const best = async (fn: () => Promise<unknown> | unknown): Promise<number> => {
        let b = Infinity;
        for (let i = 0; i < reps; i++) b = Math.min(b, await timeIt(fn));
        return b;
      };
      const inProc = await best(() =>
        inputs.forEach((i) => {
          generateScene(i);
        }),
      );
      const w1 = await best(() => Promise.all(inputs.map((i) => pool1.run(i))));
      const w2 = await best(() => Promise.all(inputs.map((i) => pool2.run(i))));
      // Main-thread time left free while a batch runs on the pool: the step loop's gain.
      ctx.record('batch', {
        jobs: batch,
        inProcessMs: r3(inProc),
        worker1ThreadMs: r3(w1),
        worker2ThreadsMs: r3(w2),
        jobsPerSecond: { inProcess: r3((batch * 1000) / inProc), worker1: r3((batch * 1000) / w1), worker2: r3((batch * 1000) / w2) },
        speedup2ThreadsVsInProcess: r3(inProc / w2),
      });
      ctx.log(`batch of ${batch}: in-process ${r3(inProc)} ms, 1 thread ${r3(w1)} ms, 2 threads ${r3(w2)} ms`);
      ctx.record(
        'note',
        'Worker figures include structured-clone dispatch and the reply; the in-process figures block the step loop for their whole duration, the worker ones do not. 2-core machine shared with other engineers: noisy.',
      );
    } finally {
      await Promise.all([pool1.close(), pool2.close()]);
    }
  },
};

export default suite;
