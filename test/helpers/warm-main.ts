/**
 * A server program started AHEAD of its turn: `node <warm-main> [options]` (run it with
 * `childNodeArgs('test/helpers/warm-main.ts')`, test/helpers/child-node.ts) loads the server's
 * modules, then waits for one line on stdin and only then imports its entry, which runs as
 * `node <entry> [options]` would (`runMain` reads the same `process.argv.slice(2)`). The entry is
 * `WT_WARM_ENTRY` (not a `WORLDTICK_*` name: the server refuses unknown ones), a path from the
 * repository root: `src/cli/main.ts` (what `npm start` runs) when unset, or a test game's main
 * (test/helpers/timer-game-main.ts through `launchGameProcess`, test/helpers/game-process.ts).
 *
 * Why: a child's start is mostly loading modules (~0.7 of ~0.9 s to "server ready" on a quiet
 * machine, compiled). A test that restarts a server on one data directory (tx/crash-restart,
 * durability/restart) starts the next process while the current one still runs, and says go only
 * once the current one was stopped or SIGKILLed and has exited: the new server opens the data
 * directory and binds its ports after that, as a cold start would. If the test process dies first,
 * stdin ends and the waiting process exits by itself.
 */
import { existsSync } from 'node:fs';

const entry = process.env.WT_WARM_ENTRY ?? 'src/cli/main.ts';
// Compiled (test/helpers/child-js-setup.ts): the .js next to this file's tree; under tsx, the .ts.
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const url = new URL(`../../${entry.replace(/\.ts$/, ext)}`, import.meta.url).href;

// `npm start`'s program, compiled: its bundle (test/helpers/child-js-setup.ts, ~0.5 s of CPU less to load than
// file by file), which exports what src/cli/main.ts calls (test/helpers/warm-cli-entry.ts).
const bundled = new URL('./warm-cli-entry.bundle.js', import.meta.url);
if (entry === 'src/cli/main.ts' && ext === '.js' && existsSync(bundled)) {
  const cli = (await import(bundled.href)) as typeof import('./warm-cli-entry.js');
  process.stdin.once('data', () => {
    process.stdin.destroy(); // nothing more to read; the pipe must not keep the process alive
    void cli.runMain(cli.lifeSimGame);
  });
} else {
  // What every server entry loads (the public API and the runtime behind it); `npm start`'s game too.
  await import('../../src/index.js');
  if (entry === 'src/cli/main.ts') await import('../../examples/life-sim/game.js');

  process.stdin.once('data', () => {
    process.stdin.destroy(); // nothing more to read; the pipe must not keep the process alive
    void import(url);
  });
}
