/**
 * Incident drill: a client flood — many sockets from one address sending garbage, and a purchase storm
 * from one player. A real server process (`npm start`'s main, SQLite store). What the operator must see:
 * the protocol errors by code and the sockets closed for strikes on `/metrics`, a log line naming the
 * address (at the 1st, 10th, 100th … close, never one per socket), and for the storm the
 * `TX_RATE_LIMITED` results and which player they came from (docs/ADMIN.md "Runbook").
 */
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { waitFor } from '../../helpers/game-process.js';
import { incidentServer } from '../../helpers/incident-server.js';

const SOCKETS = 20;
const s = incidentServer({ name: 'flood', npcs: 10 });
const { get, metric } = s;

describe('incident: a client flood', () => {
  it('garbage from many sockets of one address: errors, strikes and 4002 closes on /metrics, a few lines naming the address', async () => {
    const closes = await Promise.all(
      Array.from(
        { length: SOCKETS },
        () =>
          new Promise<number>((resolve, reject) => {
            const ws = new WebSocket(`ws://127.0.0.1:${s.gamePort}`);
            ws.on('open', () => {
              for (let i = 0; i < 8; i++) ws.send(Buffer.from([0xc1, 0xff, i, 0x13, 0x37]));
            });
            ws.on('close', (code) => resolve(code));
            ws.on('error', reject);
          }),
      ),
    );
    expect(closes).toEqual(Array(SOCKETS).fill(4002));
    await waitFor(async () => ((await metric(/^worldtick_net_closed_for_strikes_total (\S+)$/m)) === SOCKETS ? true : undefined), 10_000);
    expect(await metric(/^worldtick_net_strikes_total (\S+)$/m)).toBeGreaterThanOrEqual(SOCKETS * 5);
    expect(await metric(/^worldtick_net_errors_total\{code="BAD_FRAME"\} (\S+)$/m)).toBeGreaterThanOrEqual(SOCKETS * 5);
    expect(await metric(/^worldtick_net_closes_total\{code="4002"\} (\S+)$/m)).toBe(SOCKETS);
    const lines = s.p.lines.filter((l) => l.msg === 'client closed after too many protocol errors (4002)');
    expect(lines.map((l) => l.closedForStrikes)).toEqual([1, 10]);
    expect(lines[0]).toMatchObject({ level: 40, address: '127.0.0.1', code: 'BAD_FRAME', maxStrikes: 5 });
  });

  it('a purchase storm from one player: TX_RATE_LIMITED results on /metrics, the player named in the ledger stats', async () => {
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${s.gamePort}`, WebSocket: WebSocket as unknown as WebSocketCtor });
    await c.connect();
    await c.join('1', 'storm');
    try {
      const results = await Promise.all(Array.from({ length: 60 }, (_, i) => c.purchase(`k${i}`, 'no-such-item', 1, 1)));
      expect(results.some((r) => r.code === 'TX_RATE_LIMITED')).toBe(true);
    } finally {
      c.close();
    }
    expect(await metric(/^worldtick_ledger_results_total\{world="1",kind="purchase",code="TX_RATE_LIMITED"\} (\S+)$/m)).toBeGreaterThan(0);
    const ledger = (await (await get('/api/v1/worlds/1/ledger')).json()) as {
      stats: { service: { lastRateLimited: { playerId: string } | null } };
    };
    // The durable player id (docs/PROTOCOL.md "Player identity": `g:` a guest without a hello token, as here).
    expect(ledger.stats.service.lastRateLimited?.playerId).toMatch(/^[gt]:/);
  });
});
