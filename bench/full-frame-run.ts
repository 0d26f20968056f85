/**
 * Run only `fullPipelineFrames` (bench/full-frame.ts) and print its figures as JSON, without
 * writing `bench/results`: `WT_FRAME_ONLY=auto npx tsx bench/full-frame-run.ts [--quick]` (A/B sittings).
 */
import { fullPipelineFrames } from './full-frame.js';
import type { SuiteContext } from './harness.js';

const extra: Record<string, unknown> = {};
const ctx: SuiteContext = {
  quick: process.argv.includes('--quick'),
  measure: async () => [],
  record: (k, v) => {
    extra[k] = v;
  },
  log: (line) => console.log(line),
};
await fullPipelineFrames(ctx);
console.log(JSON.stringify(extra));
process.exit(0);
