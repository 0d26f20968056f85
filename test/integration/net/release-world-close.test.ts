/**
 * A world released by the game server (`releaseWorld`: it moved to another instance, or an adopted copy
 * replaces this one, src/server/cluster-migration.ts) is not deleted: its remaining sessions are closed
 * with a code the client reconnects after (4015), not 4012 `world deleted`, after which it stops. Found in
 * a double run of the cluster tests: a join that reached an instance's standby copy of world 1 just as that
 * instance adopted the world was closed `4012: world deleted` and the player gave up. A delete still closes
 * 4012 (test/integration/admin/world-delete-sessions.test.ts). A real runtime and real WebSocket clients.
 */
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { reconnectAdvice } from '../../../src/client/reconnect.js';
import { CloseCode } from '../../../src/errors.js';
import { call, type Started, useRuntime } from '../admin/harness.js';

const client = (s: Started): WorldtickClient =>
  new WorldtickClient({ url: `ws://127.0.0.1:${s.runtime.gameServer.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });

describe('a released world closes its sessions for a reconnect', () => {
  const s = useRuntime();

  it('closes them 4015 (reconnect), not 4012 (stop); the world stays in the runner', async () => {
    expect((await call(s.base, 'POST', '/api/v1/worlds', { body: { id: 'arena', npcs: 0, capacity: 100 } })).status).toBe(201);
    const c = client(s);
    await c.connect();
    await c.join('arena', 'p1');
    const world = s.runtime.runner.get('arena');
    s.runtime.gameServer.releaseWorld(world);
    await c.closed();
    expect([c.closeCode, reconnectAdvice(c.closeCode ?? 0)]).toEqual([CloseCode.LEASE_LOST, 'reconnect']);
    expect(s.runtime.gameServer.stats().worlds.arena).toBeUndefined();
    expect(s.runtime.runner.has('arena')).toBe(true); // released from the game server only
  });
});
