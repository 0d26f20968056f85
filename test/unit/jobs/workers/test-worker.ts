/** Worker module for worker-pool tests: does what the task says (real thread, no mocks). */
import { threadId } from 'node:worker_threads';

export interface TestTask {
  op: 'echo' | 'throw' | 'exit' | 'sleep';
  value?: number;
  ms?: number;
}

export default function testTask(t: TestTask): { value: number; threadId: number } {
  if (t.op === 'throw') throw new Error(`boom ${t.value ?? 0}`);
  if (t.op === 'exit') process.exit(3);
  if (t.op === 'sleep') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, t.ms ?? 100);
  return { value: (t.value ?? 0) * 2, threadId };
}
