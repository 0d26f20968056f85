/**
 * Headless Chromium for the browser tests (the dashboard, the client library in a browser). One
 * place says where the binary is and what a test does without it: it skips, with a message naming
 * what is missing (README "Quick start", docs/CONTRIBUTING.md). `WT_TEST_CHROMIUM` names another
 * binary (e.g. `/usr/bin/chromium-browser`). test/unit/architecture/lint-decisions.test.ts checks
 * that no test launches Chromium any other way.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

const CHROMIUM = process.env.WT_TEST_CHROMIUM || '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
export const HEADLESS_ARGS = ['--headless', '--no-sandbox', '--disable-gpu'];

/** Whether Chromium is here; when it is not, warns that `what` is skipped (or left unchecked). */
export function chromiumFor(what: string): boolean {
  if (!haveChromium) {
    console.warn(
      `SKIP ${what}: ${CHROMIUM} not installed (apt-get install -y chromium, or run .ci/run; WT_TEST_CHROMIUM names another binary)`,
    );
  }
  return haveChromium;
}

/** Launches the Chromium named by `CHROMIUM` (headless, no sandbox, no GPU unless `args` says otherwise). */
export function launchChromium(args: string[] = HEADLESS_ARGS): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args });
}
