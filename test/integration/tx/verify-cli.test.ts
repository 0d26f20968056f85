/**
 * The consistency check from the command line: against a running server's admin API (live wallets)
 * and offline on a stopped server's data directory (or `--store sqlite:<dir>`). 0 mismatches →
 * exit 0; a data directory without a store is exit 2.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { parseOptions } from '../../../src/cli/options.js';
import { runVerifyCli, verifyOffline } from '../../../src/cli/verify.js';
import { createLogger } from '../../../src/log.js';
import { createRuntime } from '../../../src/server/runtime.js';
import { childNodeArgs } from '../../helpers/child-node.js';

/** The verify command (src/cli/verify-main.ts) as a child runs it: compiled in a vitest run (test/helpers/child-node.ts). */
const VERIFY = await childNodeArgs(fileURLToPath(new URL('../../../src/cli/verify-main.ts', import.meta.url)));

it('verify: the admin route and the CLI report 0 mismatches after purchases; offline too', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-verify-'));
  try {
    const rt = createRuntime(
      parseOptions(
        ['--port', '0', '--admin-port', '0', '--admin-token', 'vt', '--npcs', '10', '--stats-interval', '0', '--data-dir', dir],
        {},
      ),
      createLogger('silent'),
    );
    await rt.start();
    try {
      const c = new WorldtickClient({ url: `ws://127.0.0.1:${rt.gameServer.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
      await c.connect();
      const wallet = c.waitFor((m) => m.type === 22);
      await c.join('1', 'v');
      await wallet;
      for (let i = 0; i < 5; i++) expect((await c.purchase(`v${i}`, 'potion', 1, 10)).status).toBe('ok');
      const r = await fetch(`http://127.0.0.1:${rt.admin.port}/api/v1/ledger/verify`, { headers: { authorization: 'Bearer vt' } });
      const report = (await r.json()) as { ok: boolean; mismatches: unknown[]; players: number };
      expect(report).toMatchObject({ ok: true, mismatches: [], players: 1 });
      // The CLI, in-process (same code as `npm run verify`), against the admin API.
      const out: string[] = [];
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = ((s: string) => {
        out.push(String(s));
        return true;
      }) as typeof process.stdout.write;
      let code: number;
      try {
        code = await runVerifyCli(['node', 'verify', '--admin-url', `http://127.0.0.1:${rt.admin.port}`, '--admin-token', 'vt']);
      } finally {
        process.stdout.write = write;
      }
      expect(code).toBe(0);
      expect(JSON.parse(out.join(''))).toMatchObject({ ok: true, mismatches: [] });
      // The player's ledger route: entries, ledger balance and the live wallet agree.
      const pr = await fetch(`http://127.0.0.1:${rt.admin.port}/api/v1/worlds/1/ledger`, { headers: { authorization: 'Bearer vt' } });
      const recent = (await pr.json()) as { recent: Array<{ playerId: string; key: string }> };
      const playerId = recent.recent.find((t) => t.key === 'v0')!.playerId;
      const pl = await fetch(`http://127.0.0.1:${rt.admin.port}/api/v1/worlds/1/ledger/players/${encodeURIComponent(playerId)}`, {
        headers: { authorization: 'Bearer vt' },
      });
      const body = (await pl.json()) as { balance: { coins: number }; live: { coins: number }; entries: unknown[] };
      expect(body.entries.length).toBe(6); // start grant + 5 purchases
      expect(body.live.coins).toBe(body.balance.coins);
      expect(body.balance.coins).toBe(1000 - 50);
      // A server reward through the admin API reaches the live wallet. The wallet frame and the HTTP
      // answer both follow the commit, in either order: the wait is registered before the request.
      const rewarded = c.waitFor((m) => m.type === 22 && m.coins === 957);
      const rw = await fetch(`http://127.0.0.1:${rt.admin.port}/api/v1/worlds/1/ledger/rewards`, {
        method: 'POST',
        headers: { authorization: 'Bearer vt', 'content-type': 'application/json' },
        body: JSON.stringify({ playerId, key: 'gift-1', coins: 7 }),
      });
      expect(rw.status).toBe(200);
      const w2 = await rewarded;
      expect(w2).toBeTruthy();
      // Ledger metrics: commit latency histogram and results by kind and code.
      const metrics = await (await fetch(`http://127.0.0.1:${rt.admin.port}/metrics`, { headers: { authorization: 'Bearer vt' } })).text();
      expect(metrics).toMatch(/worldtick_ledger_commit_latency_seconds_bucket\{world="1",le="\+Inf"\} (\d+)/);
      expect(metrics).toContain('worldtick_ledger_results_total{world="1",kind="purchase",code="ok"} 5');
      expect(metrics).toContain('worldtick_ledger_results_total{world="1",kind="reward",code="ok"} 2');
      expect(metrics).toMatch(/worldtick_ledger_applied_total\{world="1"\} [1-9]/);
      // The client's fresh player caught up from its ledger summary (one row), read no entries.
      expect(metrics).toMatch(/worldtick_ledger_catchup_summaries_total\{world="1"\} [1-9]/);
      expect(metrics).toContain('worldtick_ledger_catchup_entries_read_total{world="1"} 0');
      c.close();
    } finally {
      await rt.stop();
    }
    // The CLI on the stopped server's data directory, by --data-dir and by --store sqlite:<dir>, and on a
    // mistyped directory: three processes at once.
    const cli = (args: string[]): Promise<{ status: number; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        execFile(process.execPath, [...VERIFY, ...args], (err, stdout, stderr) =>
          resolve({ status: err ? Number(err.code) : 0, stdout, stderr }),
        );
      });
    const typo = join(dir, 'no-such-dir');
    const runs = Promise.all([cli(['--data-dir', dir]), cli(['--store', `sqlite:${dir}`]), cli(['--data-dir', typo])]);
    const offline = await verifyOffline(dir);
    expect(offline).toMatchObject({ ok: true, players: 1, mismatches: [] });
    const [byDir, bySpec, bad] = await runs;
    expect(byDir.status, byDir.stderr).toBe(0);
    expect(JSON.parse(byDir.stdout)).toMatchObject({ ok: true, entriesRead: 7 });
    // The same store named by --store sqlite:<dir>.
    expect(bySpec.status, bySpec.stderr).toBe(0);
    expect(JSON.parse(bySpec.stdout)).toMatchObject({ ok: true, entriesRead: 7 });
    // A mistyped data directory is an error, not an empty ledger reported ok (and nothing is created there).
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(`worldtick-verify: WT_ERR_STORE_FILE_MISSING: no store in ${typo}`);
    expect(existsSync(typo)).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
