/**
 * `startServer` embedded in a process prints nothing of its own: at `logLevel: 'silent'` with a
 * generated admin token, stderr stays empty and stdout holds only what the embedding process wrote
 * (the token is in the result's `adminToken`). With `printAdminUrl: true` it prints the dashboard
 * URL and the generated token on stderr as `npm start` does (test/integration/admin/startup-logs.test.ts).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { childNodeArgs } from '../helpers/child-node.js';
import { tempDataDir } from '../helpers/data-dir.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const data = tempDataDir('wt-quiet-');
afterAll(() => data.remove());

const run = async (args: string[]): Promise<{ code: number | null; out: string; err: string }> => {
  const env = { ...process.env };
  delete env.WORLDTICK_ADMIN_TOKEN;
  const child = spawn(process.execPath, [...(await childNodeArgs('test/helpers/quiet-start-main.ts')), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, out, err };
};

describe('startServer output', () => {
  it('prints nothing by default: stderr empty, stdout only the embedding process’s line; the token is in the result', async () => {
    const r = await run([data.dir]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe('');
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(1);
    const { adminToken } = JSON.parse(lines[0] ?? '{}') as { adminToken: string };
    expect(adminToken).toMatch(/^[A-Za-z0-9_-]{24}$/);
  }, 30_000);

  it('printAdminUrl: true prints the dashboard URL and the generated token on stderr', async () => {
    const r = await run([data.dir, 'print']);
    expect(r.code, r.err).toBe(0);
    const { adminToken, adminPort } = JSON.parse(r.out.trim()) as { adminToken: string; adminPort: number };
    expect(r.err).toBe(
      `worldtick admin: dashboard http://127.0.0.1:${adminPort}/#token=${adminToken}\nworldtick admin: token ${adminToken}\n`,
    );
  }, 30_000);
});
