/**
 * Suite `admin`: what the operator surface costs the server. The per-step telemetry hook (what
 * every step pays, with and without the step log at info), a /metrics scrape (prom-client text
 * for 1 and 8 worlds, process metrics included), a stats JSON build, and a map sample + encode
 * for 100k NPCs (full and downsampled to 20k).
 */
import { createAdminMetrics } from '../src/admin/metrics.js';
import { encodeWorldMap, sampleWorldMap } from '../src/admin/map.js';
import { worldStats } from '../src/admin/stats.js';
import { createTelemetry } from '../src/admin/telemetry.js';
import { createLogger } from '../src/log.js';
import { createStepLog } from '../src/server/step-log.js';
import { runStep } from '../src/world/step.js';
import type { SimWorld } from '../src/world/sim-world.js';
import { genWorld } from './gendata.js';
import type { Suite } from './harness.js';

const suite: Suite = {
  name: 'admin',
  async run(ctx) {
    const w10k = genWorld({ npcs: 10_000, players: 10, id: 'a10k' }).world;
    const w100k = genWorld({ npcs: 100_000, players: 50, id: 'a100k' }).world;
    runStep(w10k);
    runStep(w100k);
    const bare = createTelemetry();
    const logged = createTelemetry({ stepLog: createStepLog(createLogger('info')) });
    const hook = await ctx.measure([
      ['telemetry onStep, 10k NPCs world', () => bare.onStep(w10k)],
      ['telemetry onStep + step log (info), 10k NPCs world', () => logged.onStep(w10k)],
      ['runStep 10k NPCs (reference)', () => runStep(w10k)],
    ]);
    ctx.record('onStepUs', Math.round(hook[0].meanMs * 1e6) / 1000);
    ctx.record('onStepWithLogUs', Math.round(hook[1].meanMs * 1e6) / 1000);
    ctx.record('onStepShareOfStep10k', Math.round((hook[1].meanMs / hook[2].meanMs) * 10000) / 10000);

    const eight: SimWorld[] = [w10k];
    for (let i = 1; i < 8; i++) {
      const w = genWorld({ npcs: 2_000, id: `s${i}` }).world;
      runStep(w);
      eight.push(w);
    }
    const tel = createTelemetry();
    for (const w of eight) tel.onStep(w);
    const m1 = createAdminMetrics({ worlds: () => [w10k], telemetry: tel });
    const m8 = createAdminMetrics({ worlds: () => eight, telemetry: tel });
    const scrape1 = await m1.registry.metrics();
    const scrape8 = await m8.registry.metrics();
    ctx.record('scrapeBytes1World', scrape1.length);
    ctx.record('scrapeBytes8Worlds', scrape8.length);
    const scrape = await ctx.measure([
      ['/metrics text, 1 world (+ process metrics)', async () => void (await m1.registry.metrics())],
      ['/metrics text, 8 worlds (+ process metrics)', async () => void (await m8.registry.metrics())],
      ['stats JSON, 10k NPCs world', () => void JSON.stringify(worldStats(w10k, tel))],
    ]);
    ctx.record('scrapeMs1World', scrape[0].meanMs);
    ctx.record('scrapeMs8Worlds', scrape[1].meanMs);

    const full = encodeWorldMap(sampleWorldMap(w100k, 200_000));
    const down = encodeWorldMap(sampleWorldMap(w100k, 20_000));
    ctx.record('mapBytes100kFull', full.byteLength);
    ctx.record('mapBytes100kDown20k', down.byteLength);
    const map = await ctx.measure([
      ['map sample + encode, 100k NPCs (all)', () => void encodeWorldMap(sampleWorldMap(w100k, 200_000))],
      ['map sample + encode, 100k NPCs (downsampled to 20k)', () => void encodeWorldMap(sampleWorldMap(w100k, 20_000))],
    ]);
    ctx.record('mapMsRatioFullVsDown', Math.round((map[0].meanMs / map[1].meanMs) * 100) / 100);
    ctx.log('timings are from a shared 2-core machine: noisy, compare ratios within a run');
  },
};
export default suite;
