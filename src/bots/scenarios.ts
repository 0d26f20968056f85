/**
 * Load-test scenarios of the bots CLI (docs/BOTS.md). Each one ramps `--clients` bots, warms
 * up, then measures for `--duration` seconds; they differ in what happens during the window.
 */

/** Scenarios the fleet can play. */
export type BotScenario = 'steady' | 'crowd' | 'influx' | 'churn';

/** Every scenario name the CLI accepts (purchase-storm is a placeholder that refuses). */
export const SCENARIO_NAMES = ['steady', 'crowd', 'influx', 'churn', 'purchase-storm'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** One line per scenario, for `--help` and docs/BOTS.md. */
export const SCENARIO_DOCS: Readonly<Record<ScenarioName, string>> = {
  steady: 'steady play: every bot walks randomly (--input-hz inputs per second)',
  crowd: 'the standard crowd scenario\'s players (server: npm start -- --scenario crowd): one seeded input per bot per second, up to ±1 per axis = ±20 units per axis at the scenario\'s speed',
  influx: 'sudden influx: after the steady bots, --influx N more bots join the same world within 1 s at the start of the measured window',
  churn: 'churn: during the measured window, --churn-rate bots per second leave and as many new ones join',
  'purchase-storm': 'purchase storm: placeholder — refuses until the server supports purchases (durability issue)',
};

/**
 * Why a scenario cannot run now, or null. Purchases are answered `NOT_IMPLEMENTED` by the
 * server until the durability issue lands (docs/PROTOCOL.md), so a purchase storm would only
 * measure error replies: the scenario refuses instead of producing a misleading report.
 */
export const scenarioUnavailable = (name: ScenarioName): string | null =>
  name === 'purchase-storm'
    ? 'scenario purchase-storm is not available yet: the server answers every purchase with NOT_IMPLEMENTED until the durability issue (durable, idempotent purchases) lands; see docs/BOTS.md'
    : null;
