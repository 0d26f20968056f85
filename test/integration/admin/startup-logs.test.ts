import { spawn } from 'node:child_process';
import { tempDataDir } from '../../helpers/data-dir.js';
import { childNodeArgs } from '../../helpers/child-node.js';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../../', import.meta.url).pathname;

describe('npm start: admin URL, generated token, debug step summaries', () => {
  it('prints the dashboard URL with a generated token; the token works; debug logs carry per-step summaries', async () => {
    const env = { ...process.env };
    delete env.WORLDTICK_ADMIN_TOKEN;
    env.WORLDTICK_DATA_DIR = mkdtempSync(join(tmpdir(), 'wt-startup-'));
    const child = spawn(
      process.execPath,
      [
        ...(await childNodeArgs('src/cli/main.ts')),
        '--data-dir',
        tempDataDir().dir,
        '--npcs',
        '500',
        '--port',
        '0',
        '--admin-port',
        '0',
        '--stats-interval',
        '0',
        '--log-level',
        'debug',
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env,
      },
    );
    const lines: Array<Record<string, any>> = [];
    let out = '';
    let all = '';
    let err = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (err += d));
    child.stdout.on('data', (d: string) => {
      out += d;
      all += d;
      let i;
      while ((i = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, i);
        out = out.slice(i + 1);
        try {
          lines.push(JSON.parse(line));
        } catch {
          /* not JSON */
        }
      }
    });
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !(/#token=\S+/.test(err) && lines.filter((l) => l.msg === 'step').length >= 3))
      await new Promise((r) => setTimeout(r, 100));
    try {
      const m = /dashboard (http:\/\/127\.0\.0\.1:(\d+)\/)#token=(\S+)/.exec(err);
      expect(m, err).not.toBeNull();
      const [, url, , token] = m!;
      // One message text whether or not the token was generated (docs/ADMIN.md "Token"): a grep for it finds both.
      const listening = lines.find((l) => l.msg === 'admin listening');
      expect(listening).toMatchObject({ level: 30, url, tokenGenerated: true, hint: 'set WORLDTICK_ADMIN_TOKEN to choose one' });
      // The generated secret is on stderr only (plain lines), never in the log on stdout.
      expect(listening).not.toHaveProperty('adminToken');
      expect(all).not.toContain(token);
      expect(err).toContain(`worldtick admin: token ${token}\n`);
      const ok = await fetch(`${url}api/v1/worlds`, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      // The cold first steps of a fresh world are its warm-up: no overrun warning (docs/ADMIN.md, "Logs").
      // (Later steps on a busy machine may overrun for real: only the warm-up's 20 are checked.)
      expect(lines.filter((l) => l.msg === 'step over frame budget' && l.step < 20)).toEqual([]);
      const step = lines.find((l) => l.msg === 'step');
      expect(step).toMatchObject({ level: 20, world: '1', dtWorld: 3, stepMs: expect.any(Number) });
      expect(step).toHaveProperty('npcTicks');
      expect(step).toHaveProperty('jobOps');
      expect(step).toHaveProperty('tiers');
    } finally {
      child.kill('SIGINT');
      await once(child, 'exit');
    }
  });
});
