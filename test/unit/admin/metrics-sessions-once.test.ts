/**
 * One `/metrics` scrape takes the game server's session report once: the report is built over every
 * served world (src/net/game-server-stats.ts), and the session metrics each read it (per world, per
 * class, per ladder level, errors, auth...), so a scrape of N worlds built it a dozen times and more
 * (bench/worlds-list.ts, its `metrics` row, has the figures). Each scrape still takes a fresh one.
 */
import { describe, expect, it } from 'vitest';
import { createAdminMetrics } from '../../../src/admin/metrics.js';
import { createTelemetry } from '../../../src/admin/telemetry.js';
import { createSimWorld } from '../../../src/world/sim-world.js';

describe('/metrics: the session report', () => {
  it('is built once per scrape, each world its own count, a fresh one at the next scrape', async () => {
    const worlds = [0, 1, 2].map((i) => createSimWorld({ id: `w${i}`, capacity: 16 }));
    let reports = 0;
    const metrics = createAdminMetrics({
      worlds: () => worlds,
      telemetry: createTelemetry({}),
      processMetrics: false,
      sources: {
        sessions: () => {
          reports++;
          return { parked: reports, worlds: Object.fromEntries(worlds.map((w, i) => [w.id, { sessions: i + 10 * reports }])) };
        },
      },
    });
    const first = await metrics.registry.metrics();
    expect(reports).toBe(1);
    expect(first).toMatch(/^worldtick_sessions\{world="w2"\} 12$/m);
    const second = await metrics.registry.metrics();
    expect(reports).toBe(2);
    expect(second).toMatch(/^worldtick_sessions\{world="w2"\} 22$/m);
  });
});
