/**
 * Helpers the admin metrics modules register their metrics with (src/admin/metrics.ts): a gauge
 * or counter whose `collect()` refills it from a callback at scrape time, and a per-world fill.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { SimWorld } from '../world/sim-world.js';

/** Label values of one sample. */
export type Labels = Record<string, string>;
/** Set one sample of the metric being collected. */
export type Put = (labels: Labels, value: number) => void;
/** Register a metric filled at scrape time by `fill`. */
export type Register = (name: string, help: string, labelNames: string[], fill: (put: Put) => void) => void;

/** The registration helpers over one registry and the runtime's worlds. */
export interface MetricKit {
  /** A gauge reset and refilled at each scrape. */
  readonly gauge: Register;
  /** A counter reset and refilled at each scrape (non-finite or negative values skipped). */
  readonly counter: Register;
  /** A fill that calls `fn` for every world. */
  readonly perWorld: (fn: (w: SimWorld, put: Put) => void) => (put: Put) => void;
}

/** Build the helpers registering on `registry`; `worlds` is read at every scrape. */
export const createMetricKit = (registry: Registry, worlds: () => readonly SimWorld[]): MetricKit => {
  const gauge = (name: string, help: string, labelNames: string[], fill: (put: Put) => void): void => {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        fill((l, v) => this.set(l, v));
      },
    });
  };
  const counter = (name: string, help: string, labelNames: string[], fill: (put: Put) => void): void => {
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        fill((l, v) => {
          if (Number.isFinite(v) && v >= 0) this.inc(l, v);
        });
      },
    });
  };
  const perWorld = (fn: (w: SimWorld, put: Put) => void) => (put: Put) => {
    for (const w of worlds()) fn(w, put);
  };
  return { gauge, counter, perWorld };
};
