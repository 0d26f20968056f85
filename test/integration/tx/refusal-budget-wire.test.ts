/**
 * The hostile-client case over the wire, against a real runtime with a SQLite store: a player with
 * no coins sends unaffordable purchases as fast as it may. Only the refusal budget's burst becomes
 * ledger rows (`seq` set); the rest are answered `TX_INSUFFICIENT_FUNDS` with `seq` nil, a retry of
 * such a key is decided again, and the counts show in /metrics and the admin ledger routes.
 */
import WebSocket from 'ws';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import { createRuntime } from '../../../src/server/runtime.js';

it('a zero-coin client spamming purchases adds only the burst of refusal rows; the rest are unrecorded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-refusals-'));
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({ net: { messageBurst: 200, messageRatePerSecond: 200 }, ledger: { recordedRefusals: { burst: 3, perMinute: 1 } } }),
  );
  const args = ['--config', config, '--port', '0', '--admin-port', '0', '--admin-token', 'rt', '--npcs', '10'];
  const rt = createRuntime(
    parseOptions([...args, '--stats-interval', '0', '--starting-coins', '0', '--data-dir', join(dir, 'data')], {}),
    createLogger('silent'),
  );
  await rt.start();
  const admin = (path: string): Promise<Response> =>
    fetch(`http://127.0.0.1:${rt.admin.port}${path}`, { headers: { authorization: 'Bearer rt' } });
  try {
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${rt.gameServer.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
    await c.connect();
    const wallet = c.waitFor((m) => m.type === 22);
    await c.join('1', 'poor', 'poor-token');
    await wallet;
    const seqs: Array<number | null> = [];
    for (let i = 0; i < 30; i++) {
      const r = await c.purchase(`k${i}`, 'sword', 1, 150);
      expect(r).toMatchObject({ status: 'rejected', code: 'TX_INSUFFICIENT_FUNDS', coins: 0 });
      seqs.push(r.seq);
    }
    expect(seqs.slice(0, 3).every((s) => typeof s === 'number')).toBe(true);
    expect(seqs.slice(3).every((s) => s === null)).toBe(true);
    // A recorded refusal replays with its seq; an unrecorded one is decided again (still refused, still no row).
    expect(await c.purchase('k0', 'sword', 1, 150)).toMatchObject({ seq: seqs[0], replayed: true });
    expect(await c.purchase('k10', 'sword', 1, 150)).toMatchObject({ code: 'TX_INSUFFICIENT_FUNDS', seq: null, replayed: false });

    const recent = (await (await admin('/api/v1/worlds/1/ledger')).json()) as { recent: Array<{ playerId: string; key: string }> };
    const playerId = recent.recent.find((t) => t.key === 'k0')?.playerId ?? '';
    const pl = (await (await admin(`/api/v1/worlds/1/ledger/players/${encodeURIComponent(playerId)}`)).json()) as {
      entries: Array<{ key: string; status: string }>;
    };
    expect(pl.entries.map((e) => `${e.key}:${e.status}`)).toEqual(['k0:rejected', 'k1:rejected', 'k2:rejected']);

    const metrics = await (await admin('/metrics')).text();
    expect(metrics).toContain('worldtick_ledger_refusals_total{world="1",recorded="true"} 3');
    expect(metrics).toContain('worldtick_ledger_refusals_total{world="1",recorded="false"} 28');
    expect(metrics).toContain('worldtick_ledger_results_total{world="1",kind="purchase",code="TX_INSUFFICIENT_FUNDS"} 32');
    expect(metrics).toContain('worldtick_ledger_refusals_pruned_total{world="1"} 0');
    const verify = (await (await admin('/api/v1/ledger/verify')).json()) as { ok: boolean };
    expect(verify.ok).toBe(true);
    c.close();
  } finally {
    await rt.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
