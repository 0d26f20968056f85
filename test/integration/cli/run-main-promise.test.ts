/**
 * `runMain`'s promise (src/game/server.ts, docs/GAME-API.md): it resolves only after `--help` /
 * `--version`; after a stop the process ends (src/cli/exit-process.ts may wait for a log write in
 * flight first) and code chained after `runMain` never runs — else it could run during that wait
 * and, say, exit with its own code. A real child process and a real SIGTERM.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { childNodeArgs } from '../../helpers/child-node.js';
import { collectJsonLines } from '../../helpers/log-lines.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

const run = async (args: string[]) => {
  const child = spawn(process.execPath, [...(await childNodeArgs('test/helpers/run-main-then.ts')), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WORLDTICK_ADMIN_TOKEN: 'test-token', WORLDTICK_DATA_DIR: mkdtempSync(join(tmpdir(), 'wt-runmain-')) },
  });
  const lines = collectJsonLines(child.stdout);
  child.stderr.resume();
  const exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, lines, exited };
};

describe('runMain: its promise', () => {
  it('does not resolve after a clean stop: the process ends with the stop exit code, nothing chained runs', async () => {
    const s = await run(['--port', '0', '--admin-port', '0', '--npcs', '20']);
    const deadline = Date.now() + 20_000;
    while (!s.lines.some((l) => l.msg === 'server ready')) {
      if (Date.now() > deadline || s.child.exitCode !== null) throw new Error('no "server ready" line');
      await new Promise((r) => setTimeout(r, 20));
    }
    s.child.kill('SIGTERM');
    const [code] = await s.exited;
    expect(code).toBe(0);
    const msgs = s.lines.map((l) => l.msg);
    expect(msgs).toContain('bye');
    expect(msgs).not.toContain('runMain resolved');
  });

  it('resolves after --version', async () => {
    const s = await run(['--version']);
    const [code] = await s.exited;
    expect(code).toBe(0);
    expect(s.lines.map((l) => l.msg)).toContain('runMain resolved');
  });
});
