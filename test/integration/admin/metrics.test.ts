import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, useRuntime } from './harness.js';

/** promtool from PATH, /usr/bin, or an extracted Debian package under /tmp/prom (see .ci/run). */
const findPromtool = (): string | null => {
  for (const p of ['promtool', '/usr/bin/promtool', '/tmp/prom/usr/bin/promtool']) {
    if (p.includes('/') && !existsSync(p)) continue;
    const r = spawnSync(p, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return p;
  }
  return null;
};
const promtool = findPromtool();
if (!promtool) console.warn('SKIP promtool check: promtool not installed (apt-get install -y prometheus, or run .ci/run)');

const s = useRuntime();
beforeAll(async () => {
  // A second world so per-world labels are exercised.
  const r = await call(s.base, 'POST', '/api/v1/worlds', { body: { id: 'two', npcs: 100, controller: { frameBudgetMs: 8 } } });
  expect(r.status).toBe(201);
  await new Promise((r) => setTimeout(r, 300));
});

describe('/metrics', () => {
  it('requires the token', async () => {
    expect((await call(s.base, 'GET', '/metrics', { token: null })).status).toBe(401);
  });

  it('exports per-world metrics; the step histogram has the frame budget as a bucket edge', async () => {
    const r = await call(s.base, 'GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const t = r.text;
    for (const name of [
      'worldtick_world_time_seconds{world="1"}',
      'worldtick_world_time_seconds{world="two"}',
      'worldtick_world_steps_total{world="1"}',
      'worldtick_dropped_seconds_total{world="1"}',
      'worldtick_phase_seconds_total{world="1",phase="physics"}',
      'worldtick_controller_mode{world="1",mode="normal"}',
      'worldtick_ingest_pending{world="1"}',
      'worldtick_sessions{world="1"} 0',
      'worldtick_bytes_sent_total',
      'process_cpu_seconds_total',
      'nodejs_heap_size_used_bytes',
      'worldtick_checkpoints_total{world="1",outcome="saved"}',
      'worldtick_checkpoint_last_duration_seconds{world="1"}',
      'worldtick_checkpoint_last_copy_seconds{world="1"}',
      'worldtick_checkpoint_last_bytes{world="1"}',
      'worldtick_world_records_total{world="1",outcome="written"}',
      // The active players' overload spread: registered (series per served world and per class:
      // test/integration/admin/session-classes.test.ts; no game client here).
      '# TYPE worldtick_net_active_spread gauge',
      '# TYPE worldtick_net_crowd_spread gauge',
      '# TYPE worldtick_net_active_snapshot_seconds gauge',
      '# TYPE worldtick_net_spread_raised_total counter',
      '# TYPE worldtick_net_class_spread_total counter',
      // Clients behind, per served world (values: test/integration/net/backpressure.test.ts).
      '# TYPE worldtick_net_backpressure_skips_total counter',
      '# TYPE worldtick_net_snapshots_sent_buffered_total counter',
    ])
      expect(t, name).toContain(name);
    // Budget edges: 16 ms default for world 1, 8 ms configured for world "two".
    expect(t).toMatch(/worldtick_step_duration_seconds_bucket\{world="1",le="0\.016"\} \d+/);
    expect(t).toMatch(/worldtick_step_duration_seconds_bucket\{world="two",le="0\.008"\} \d+/);
    const count = Number(/worldtick_step_duration_seconds_count\{world="1"\} (\d+)/.exec(t)![1]);
    const inf = Number(/worldtick_step_duration_seconds_bucket\{world="1",le="\+Inf"\} (\d+)/.exec(t)![1]);
    expect(count).toBeGreaterThan(0);
    expect(inf).toBe(count);
  });

  it.skipIf(!promtool)('passes promtool check metrics', async () => {
    const r = await call(s.base, 'GET', '/metrics');
    const out = spawnSync(promtool!, ['check', 'metrics'], { input: r.text, encoding: 'utf8' });
    expect(out.stdout + out.stderr).toBe('');
    expect(out.status).toBe(0);
  });
});
