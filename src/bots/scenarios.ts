/**
 * Load-test scenarios of the bots CLI (docs/BOTS.md). Each one ramps `--clients` bots, warms
 * up, then measures for `--duration` seconds; they differ in what happens during the window.
 */

/** Scenarios the fleet can play. */
export type BotScenario = 'steady' | 'crowd' | 'influx' | 'churn' | 'purchase-storm';

/** Every scenario name the CLI accepts. */
export const SCENARIO_NAMES = ['steady', 'crowd', 'influx', 'churn', 'purchase-storm'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** One line per scenario, for `--help` and docs/BOTS.md. */
export const SCENARIO_DOCS: Readonly<Record<ScenarioName, string>> = {
  steady: 'steady play: every bot walks randomly (--input-hz inputs per second)',
  crowd:
    "the standard crowd scenario's players (server: npm start -- --scenario crowd): one seeded input per bot per second, up to ±1 per axis = ±20 units per axis at the scenario's speed",
  influx: 'sudden influx: after the steady bots, --influx N more bots join the same world within 1 s at the start of the measured window',
  churn: 'churn: during the measured window, --churn-rate bots per second leave and as many new ones join',
  'purchase-storm':
    'purchase storm: steady play, and every bot buys one arrow at --purchase-hz per second with a unique idempotency key; the transaction round trip (purchase sent → txResult) is measured (any npm start: its durable store is on by default)',
};

/**
 * Why a scenario cannot run now, or null. Every scenario runs now: every server has a durable
 * store (SQLite in `--data-dir` by default), and one that cannot reach it answers purchases
 * TX_UNAVAILABLE, which the report counts under `purchaseResults`.
 */
export const scenarioUnavailable = (_name: ScenarioName): string | null => null;
