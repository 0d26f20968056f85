/**
 * The server run from its TypeScript sources with another working directory than the package's (a service's
 * working directory, `npx --prefix`): its worker threads (the checkpoint writer, content jobs) load tsx from the
 * package, not from the working directory. Before (stop 67), each was started with `--import tsx`, which Node
 * resolves from the working directory: there it found no tsx, every checkpoint write failed ("Cannot find package
 * 'tsx'"), and a stop waited for its final checkpoint until `--stop-timeout` — no checkpoint, no `bye`.
 * Here: a checkpoint asked for is written, and SIGTERM ends with the final checkpoint, `bye` and exit code 0.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { until } from '../../helpers/cluster-instances.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { collectJsonLines } from '../../helpers/log-lines.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

describe('npm start from another working directory', () => {
  it('writes checkpoints and stops cleanly (bye, exit 0)', async () => {
    const dir = tempDataDir('wt-other-cwd-');
    try {
      // The tsx command line `npx tsx` runs (its loader given by path), with the working directory elsewhere.
      const child = spawn(
        process.execPath,
        [
          join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
          join(ROOT, 'src/cli/main.ts'),
          ...['--data-dir', join(dir.dir, 'data'), '--port', '0', '--admin-port', '0', '--npcs', '50', '--stats-interval', '0'],
          ...['--admin-token', 'cwd-token'],
        ],
        { cwd: dir.dir, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const lines = collectJsonLines(child.stdout);
      const exited = once(child, 'exit');
      try {
        const ready = await until('server ready', () => lines.find((l) => l.msg === 'server ready'), 60_000);
        const r = await fetch(`http://127.0.0.1:${ready.adminPort}/api/v1/worlds/1/checkpoint`, {
          method: 'POST',
          headers: { authorization: 'Bearer cwd-token' },
          signal: AbortSignal.timeout(20_000), // before the fix the write never came back
        });
        expect(r.status, await r.text()).toBe(200);
      } finally {
        child.kill('SIGTERM');
      }
      const [code] = await exited;
      const errors = lines.filter((l) => Number(l.level) >= 50).map((l) => JSON.stringify(l).slice(0, 300));
      expect(errors).toEqual([]);
      const stopped = lines.find((l) => l.msg === 'runtime stopped') as
        | { failed?: number; checkpoints?: Record<string, number> }
        | undefined;
      expect(stopped?.failed).toBe(0);
      expect(stopped?.checkpoints?.['1']).toBeGreaterThan(0);
      expect(lines.at(-1)?.msg).toBe('bye');
      expect(code).toBe(0);
    } finally {
      dir.remove();
    }
  }, 120_000);
});
