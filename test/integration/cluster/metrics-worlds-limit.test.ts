/**
 * `--metrics-worlds N` in cluster mode (docs/ADMIN.md "Metrics"): the cluster's per-world series
 * (`worldtick_cluster_world_owned`, `worldtick_cluster_world_fencing_token`) follow the same N oldest
 * worlds as the world series, while the instance gauges count every world. Two in-process runtimes on
 * a real redis-server and a real PostgreSQL; `a` holds four worlds, only the two oldest labelled.
 */
import { describe, expect, it } from 'vitest';
import { until, createWorld } from '../../helpers/cluster-instances.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { sharedBackendOrSkip, twoRuntimes } from '../../helpers/shared-cluster.js';

const { skip, pg } = await sharedBackendOrSkip('cluster metrics worlds limit');

/** The `world` label values of `series` in a scrape. */
const worldsOf = (text: string, series: string): string[] =>
  [...text.matchAll(new RegExp(`^${series}\\{world="([^"]*)"\\}`, 'gm'))].map((m) => m[1] ?? '').sort();
const sample = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe.skipIf(skip !== null)('cluster: --metrics-worlds limits the cluster per-world series too', () => {
  const { inst } = twoRuntimes(pg as PgServer, ['--metrics-worlds', '2']);

  it("labels a's two oldest worlds only; the instance gauges count all", { timeout: 60_000 }, async () => {
    const [a] = inst;
    if (!a) throw new Error('instances not started');
    for (const id of ['ml-a', 'ml-b', 'ml-c']) {
      const made = await createWorld(a, { id, npcs: 0, capacity: 20 }, '?placement=local');
      expect(made.status, made.text).toBe(201);
    }
    // a steps the three and (default world 1 anywhere) holds their leases.
    await until('a steps ml-a, ml-b and ml-c', () => ['ml-a', 'ml-b', 'ml-c'].every((w) => a.runtime.cluster.serving().includes(w)));
    const oldest = a.runtime.runner
      .worlds()
      .map((w) => w.id)
      .slice(0, 2);
    // The instance gauge counts the leases of the view (the last control tick's listing): a lease taken since
    // shows from the next tick on. Scraped until it agrees with what a serves (a stress run once read 3 for 4).
    const gauge = 'worldtick_cluster_instance_worlds{instance="a"}';
    const text = await until('the instance gauge counts what a serves', async () => {
      const t = (await a.api('GET', '/metrics')).text;
      return sample(t, gauge) === a.runtime.cluster.serving().length ? t : null;
    });
    const owned = worldsOf(text, 'worldtick_cluster_world_owned');
    expect(owned.length).toBeGreaterThan(0);
    expect(
      owned.every((w) => oldest.includes(w)),
      `owned ${owned} ⊆ oldest ${oldest}`,
    ).toBe(true);
    expect(owned).not.toContain('ml-c');
    expect(worldsOf(text, 'worldtick_cluster_world_fencing_token')).toEqual(owned);
    expect(sample(text, 'worldtick_metrics_worlds_unlabelled')).toBe(a.runtime.runner.worlds().length - 2);
    expect(sample(text, gauge)).toBeGreaterThanOrEqual(3); // ml-a, ml-b, ml-c (and the default world when a holds it)
  });
});
