/**
 * Caps on parked players (src/net/session-parking.ts): a client that connects, joins and drops
 * over and over — from one address, or from many — cannot pile up parked players. Past
 * `net.maxParkedPerAddress` the address's oldest parked player is evicted, past `net.maxParked`
 * the server's oldest; evicted tokens no longer resume (RESUME_REFUSED, a fresh player), the
 * newest still do; counted in `GameServer.stats().parkedEvicted` and `/metrics`. Real server from
 * `startServer` (durable store on), raw `ws` clients whose addresses come through a trusted proxy
 * (`X-Forwarded-For` from 127.0.0.1). The world is paused and stepped by the test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineGame, pauseWorld, type RunningServer, startServer, stepWorld } from '../../../src/index.js';
import { openRaw, type RawWs } from '../../fuzz-helpers/raw-ws.js';
import { testServerOptions } from '../../helpers/game-server-options.js';

const macrotask = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

const game = defineGame({
  name: 'parked-cap',
  world: { size: 1000, npcs: 0, physics: 'off' },
  net: { trustedProxies: ['127.0.0.1'], maxParkedPerAddress: 3, maxParked: 5 },
});

describe('parked players are capped per address and per server; the oldest is evicted', () => {
  let server: RunningServer;
  const stats = () => server.runtime.gameServer.stats();
  beforeAll(async () => {
    server = await startServer(game, { options: testServerOptions('wt-parked-cap-') });
    pauseWorld(server.world);
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** Join from `addr` (resume token `resume`), stepping the paused world until the welcome. */
  const join = async (addr: string, resume: string | null = null): Promise<{ c: RawWs; welcome: unknown[] }> => {
    const c = await openRaw(`ws://127.0.0.1:${server.port}`, { 'x-forwarded-for': addr });
    c.send([1, 1, '1', 'p', '', resume]);
    for (let i = 0; i < 2000 && !c.msgs.some((m) => m[0] === 16); i++) {
      stepWorld(server.world, 1);
      await macrotask();
    }
    return { c, welcome: await c.waitFor(16) };
  };
  /** Join from `addr`, drop the socket and wait until the server parked the player: its resume token. */
  const churn = async (addr: string): Promise<string> => {
    const { c, welcome } = await join(addr);
    const before = stats().connections;
    c.ws.close();
    await c.closed;
    for (let i = 0; i < 2000 && stats().connections === before; i++) await macrotask();
    stepWorld(server.world, 1);
    return welcome[6] as string;
  };

  it('one address churning 6 players keeps 3 parked: its 3 oldest evicted (address), the newest resume', async () => {
    const tokens: string[] = [];
    for (let i = 0; i < 6; i++) tokens.push(await churn('203.0.113.7'));
    expect(stats().parked).toBe(3);
    expect(stats().parkedEvicted).toEqual({ address: 3, server: 0, worldFull: 0 });
    expect(stats().parkedAddresses).toBe(1);
    const evicted = await join('203.0.113.7', tokens[0] ?? '');
    expect(evicted.welcome[9]).toBe(false);
    expect(evicted.c.errors()).toEqual(['RESUME_REFUSED']);
    const kept = await join('203.0.113.7', tokens[5] ?? '');
    expect(kept.welcome[9]).toBe(true);
    expect(kept.c.errors()).toEqual([]);
    evicted.c.ws.close();
    kept.c.ws.close();
    await Promise.all([evicted.c.closed, kept.c.closed]);
    for (let i = 0; i < 2000 && stats().connections > 0; i++) await macrotask();
    stepWorld(server.world, 1);
    // Both parked again (one more from the address: its oldest evicted again).
    expect(stats().parked).toBe(3);
    expect(stats().parkedEvicted.address).toBe(4);
  });

  it('many addresses: past maxParked the server-wide oldest is evicted; counted in /metrics', async () => {
    const before = stats().parkedEvicted;
    const tokens: string[] = [];
    for (let i = 0; i < 6; i++) tokens.push(await churn(`198.51.100.${i + 1}`));
    expect(stats().parked).toBe(5);
    // 3 parked from 203.0.113.7 + 6 new = 9 → 4 evicted, oldest first: the 3 of 203.0.113.7, then the first of the new ones.
    expect(stats().parkedEvicted).toEqual({ address: before.address, server: before.server + 4, worldFull: 0 });
    const first = await join('198.51.100.1', tokens[0] ?? '');
    expect(first.welcome[9]).toBe(false);
    const second = await join('198.51.100.2', tokens[1] ?? '');
    expect(second.welcome[9]).toBe(true);
    const metrics = await (
      await fetch(`http://127.0.0.1:${server.adminPort}/metrics`, { headers: { authorization: 'Bearer tok' } })
    ).text();
    expect(metrics).toContain(`worldtick_net_parked_evicted_total{reason="server"} ${stats().parkedEvicted.server}`);
    expect(metrics).toContain(`worldtick_net_parked_evicted_total{reason="address"} ${stats().parkedEvicted.address}`);
    expect(metrics).toContain(`worldtick_net_parked_evicted_total{reason="world-full"} ${stats().parkedEvicted.worldFull}`);
    expect(metrics).toMatch(/worldtick_net_parked \d+/);
    first.c.ws.close();
    second.c.ws.close();
  });
});
