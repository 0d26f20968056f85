import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type ExpectStatic } from 'vitest';
import { fileTempDirs } from '../helpers/data-dir.js';
import { collectJsonLines } from '../helpers/log-lines.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/** The file's temporary folders (data directories, a config file), removed after its tests. */
const tempDir = fileTempDirs();

const start = (args: string[]) =>
  // exactly what `npm start` execs
  spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WORLDTICK_ADMIN_TOKEN: 'test-token', WORLDTICK_DATA_DIR: tempDir('wt-cli-') },
  });

/** Start with `args`, expect exit code 2 and no stack trace; returns stderr. */
const expectRefused = async (expect: ExpectStatic, args: string[]): Promise<string> => {
  const child = start(args);
  let err = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (err += d));
  const [code] = await once(child, 'close');
  expect(code).toBe(2);
  expect(err).not.toMatch(/\n\s+at /);
  return err;
};

// The three run side by side (each its own process and data dir): most of each is tsx's start (~2.5 s
// of CPU), one after the other ~10 s. Each uses its own `expect` (vitest's rule for concurrent tests).
describe.concurrent('npm start entry point', () => {
  it('runs the default world, logs steps per second and world time, exits 0 on SIGINT', async ({ expect }) => {
    const child = start(['--npcs', '2000', '--port', '0', '--admin-port', '0', '--stats-interval', '0.3']);
    const lines = collectJsonLines(child.stdout);
    const deadline = Date.now() + 50_000; // a hang guard (three tsx starts share the machine), not a timing claim
    while (Date.now() < deadline && lines.filter((l) => l.msg === 'world stats' && (l.stepsPerSecond as number) > 0).length < 2) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const stats = lines.filter((l) => l.msg === 'world stats' && (l.stepsPerSecond as number) > 0);
    expect(stats.length).toBeGreaterThanOrEqual(2);
    expect(stats[0]).toMatchObject({ world: '1', entities: 2000 });
    expect(stats[1].worldTime as number).toBeGreaterThan(stats[0].worldTime as number);
    child.kill('SIGINT');
    const [code] = await once(child, 'close');
    expect(code).toBe(0);
    expect(lines.some((l) => l.msg === 'bye')).toBe(true);
  }, 60_000);

  it('a bad option exits 2 with a clear message and no stack trace', async ({ expect }) => {
    const err = await expectRefused(expect, ['--npcs', '-5']);
    expect(err).toContain('--npcs must be an integer between 0 and 10000000 (got "-5")');
  });

  it('bad game-server settings in the config file exit 2 naming the setting', async ({ expect }) => {
    const dir = tempDir('wt-start-');
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ net: { idleTimeoutSeconds: 3, bogus: 1 } }));
    const err = await expectRefused(expect, ['--config', file, '--port', '0', '--admin-port', '0']);
    expect(err).toContain('net.idleTimeoutSeconds must be 0 or 8..960');
    expect(err).toContain('net.bogus is not a known option');
  });
});
