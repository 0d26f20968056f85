/**
 * Physics, shard and navigation metrics of the admin (src/admin/metrics.ts), for worlds built
 * with physics (src/physics/physics-world.ts); read at scrape time.
 */
import { type PhysicsStatsReport, physicsStatsOf } from '../physics/physics-world.js';
import type { MetricKit } from './metrics-kit.js';

/** Register the physics, shard pool and navigation metrics. */
export const registerPhysicsMetrics = (kit: MetricKit): void => {
  const { gauge, counter, perWorld } = kit;
  // Physics, shards and navigation (worlds built with physics only; src/physics/physics-world.ts).
  const phys = (pick: (p: PhysicsStatsReport) => number | null) =>
    perWorld((w, put) => {
      const p = physicsStatsOf(w.physics);
      const v = p ? pick(p) : null;
      if (v !== null && Number.isFinite(v)) put({ world: w.id }, v);
    });
  counter(
    'worldtick_physics_steps_total',
    'Physics steps run.',
    ['world'],
    phys((p) => p.physics.steps),
  );
  gauge(
    'worldtick_physics_bodies',
    'Bodies in the last physics step.',
    ['world'],
    phys((p) => p.physics.lastBodies),
  );
  counter(
    'worldtick_physics_pairs_total',
    'Neighbour pairs examined by collision.',
    ['world'],
    phys((p) => p.physics.pairs),
  );
  counter(
    'worldtick_physics_edge_stops_total',
    'Body-steps clamped at the world edge.',
    ['world'],
    phys((p) => p.physics.edgeStops),
  );
  counter(
    'worldtick_physics_obstacle_pushes_total',
    'Bodies pushed out of obstacles.',
    ['world'],
    phys((p) => p.physics.obstaclePushes),
  );
  counter(
    'worldtick_physics_anomalies_total',
    'Anomalies bounded by the physics guard, by kind.',
    ['world', 'kind'],
    perWorld((w, put) => {
      const p = physicsStatsOf(w.physics);
      if (!p) return;
      put({ world: w.id, kind: 'quarantined' }, p.physics.quarantined);
      put({ world: w.id, kind: 'velocity_clamped' }, p.physics.velocityClamped);
      put({ world: w.id, kind: 'position_clamped' }, p.physics.positionClamped);
      put({ world: w.id, kind: 'cell_capped' }, p.physics.cellCapped);
    }),
  );
  gauge(
    'worldtick_shards_configured',
    'Shard workers configured for the world (0 = inline).',
    ['world'],
    phys((p) => p.shards.configured),
  );
  gauge(
    'worldtick_shards_ready',
    'Shard workers READY now.',
    ['world'],
    phys((p) => p.shards.pool?.ready ?? 0),
  );
  gauge(
    'worldtick_shards_last_sharded',
    '1 when the last physics step ran on shards, 0 inline.',
    ['world'],
    phys((p) => (p.shards.lastSharded ? 1 : 0)),
  );
  counter(
    'worldtick_shards_events_total',
    'Shard pool events by kind (dispatched, inline, timeouts, crashes, restarts).',
    ['world', 'kind'],
    perWorld((w, put) => {
      const pool = physicsStatsOf(w.physics)?.shards.pool;
      if (!pool) return;
      for (const kind of ['dispatched', 'inline', 'timeouts', 'crashes', 'restarts'] as const) put({ world: w.id, kind }, pool[kind]);
    }),
  );
  counter(
    'worldtick_navigation_plans_total',
    'Navigation plans (A*) run.',
    ['world'],
    phys((p) => p.navigation.plans),
  );
  counter(
    'worldtick_navigation_outcomes_total',
    'Navigation outcomes by kind.',
    ['world', 'outcome'],
    perWorld((w, put) => {
      const p = physicsStatsOf(w.physics);
      if (!p) return;
      for (const [outcome, n] of Object.entries(p.navigation.byOutcome)) put({ world: w.id, outcome }, n);
    }),
  );
  gauge(
    'worldtick_navigation_queued',
    'Navigation goals waiting for a plan.',
    ['world'],
    phys((p) => p.navigation.queued),
  );
};
