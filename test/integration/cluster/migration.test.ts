/**
 * Migration with state preserved (docs/CLUSTER.md, "Migration"): two instances (in-process runtimes on
 * real ports, test/helpers/cluster-runtimes.ts: none is killed or signalled here) sharing a real
 * redis-server (leases) and a real PostgreSQL (checkpoints, ledger, durable sessions). A world
 * under load — players buying arrows — is moved a → b and back by `POST /worlds/{id}/migrate`.
 * Every player continues with the same player (resume token), wallet and inventory; no
 * acknowledged purchase is lost or duplicated; world time never goes back; the ledger verifies.
 */
import { describe, expect, it } from 'vitest';
import type { PgServer } from '../../helpers/postgres-server.js';
import { sharedBackendOrSkip, twoRuntimesOwning } from '../../helpers/shared-cluster.js';
import { ownersFrom, until } from '../../helpers/cluster-instances.js';
import { playerIdOfToken } from '../../../src/net/durable-sessions.js';
import { monotonic, startPlayer, type TestPlayer } from '../../helpers/cluster-players.js';

const { skip, pg: sharedPg } = await sharedBackendOrSkip('cluster migration');

describe.skipIf(skip !== null)('cluster: migration under load', () => {
  const { inst } = twoRuntimesOwning(sharedPg as PgServer, {
    worldId: 'm1',
    worldNpcs: 300,
    args: ['--npcs', '100', '--lease-ttl', '3', '--checkpoint-interval', '2'],
  });

  it('players keep their player, wallet and inventory; nothing acknowledged is lost or doubled; world time is monotonic', async () => {
    const [a, b] = [inst[0], inst[1]];
    const players: TestPlayer[] = [];
    for (let i = 0; i < 6; i++) players.push(await startPlayer('m1', `p${i}`, [i % 2 ? b.gameUrl : a.gameUrl, a.gameUrl, b.gameUrl]));
    const acked = () => players.reduce((n, p) => n + p.log.acked.size, 0);
    await until('purchases flowing', () => acked() >= 30);
    // a → b, asked on a.
    const m1 = await a.api('POST', '/api/v1/worlds/m1/migrate', { to: 'b' });
    expect(m1.status, JSON.stringify(m1.json)).toBe(200);
    expect(m1.json).toMatchObject({ worldId: 'm1', from: 'a', to: 'b' });
    expect(m1.json.sessions).toBe(6);
    const mark = acked();
    await until('purchases flowing on b', () => acked() >= mark + 30);
    // b → a, asked on a (forwarded to the owner b).
    const m2 = await a.api('POST', '/api/v1/worlds/m1/migrate', { to: 'a' });
    expect(m2.status, JSON.stringify(m2.json)).toBe(200);
    expect(m2.json).toMatchObject({ from: 'b', to: 'a' });
    expect(m2.json.fencingToken).toBeGreaterThan(m1.json.fencingToken);
    const mark2 = acked();
    await until('purchases flowing on a again', () => acked() >= mark2 + 30);
    await Promise.all(players.map((p) => p.stop()));

    expect((await ownersFrom(b)).m1).toBe('a');
    for (const p of players) {
      const l = p.log;
      // Same player throughout: every welcome resumed the first resume token.
      expect(l.resumeRefused, l.name).toBe(0);
      expect(new Set(l.resumeTokens).size, l.name).toBe(1);
      expect(l.redirects, l.name).toBeGreaterThanOrEqual(2);
      expect(l.rejected.size, `${l.name}: ${[...l.rejected.values()]}`).toBe(0);
      expect(monotonic(l.worldTimes), l.name).toBe(true);
      expect(monotonic(l.steps), l.name).toBe(true);
      // Inventory = acknowledged purchases = ledger entries (none lost, none doubled).
      expect(l.wallet.items?.arrow, l.name).toBe(l.acked.size);
      const led = (await b.api('GET', `/api/v1/worlds/m1/ledger/players/${encodeURIComponent(playerIdOfToken(`token-${l.name}`))}`)).json;
      const keys = (led.entries as Array<{ key: string; item: string | null; status: string }>)
        .filter((e) => e.item === 'arrow' && e.status === 'ok')
        .map((e) => e.key);
      expect(new Set(keys).size, l.name).toBe(keys.length);
      expect([...keys].sort(), l.name).toEqual([...l.acked].sort());
      expect(led.live?.items?.arrow, l.name).toBe(l.acked.size);
    }
    console.log(
      `migration pause a→b ${Math.round(m1.json.pauseMs)} ms, b→a ${Math.round(m2.json.pauseMs)} ms; ${acked()} purchases acknowledged`,
    );
    // Ledger entries per player, read through the owner.
    const verify = await a.api('GET', '/api/v1/ledger/verify');
    expect(verify.json.mismatches).toEqual([]);
    expect(verify.json.players).toBeGreaterThanOrEqual(6);
    const moves = (await b.api('GET', '/api/v1/cluster/moves')).json.moves as Array<{ kind: string; step: number; worldTime: number }>;
    expect(moves.map((m) => m.kind)).toEqual(['migrated-in', 'migrated-out']);
    // The target continued exactly where the source stopped: same step, same world time (no jump).
    expect(moves[0].step).toBe(m1.json.step);
    expect(moves[0].worldTime).toBe(m1.json.worldTime);
    const backOnA = (
      (await a.api('GET', '/api/v1/cluster/moves')).json.moves as Array<{ kind: string; step: number; worldTime: number }>
    ).filter((m) => m.kind === 'migrated-in');
    expect(backOnA.at(-1)!.step).toBe(m2.json.step);
    expect(backOnA.at(-1)!.worldTime).toBe(m2.json.worldTime);
  }, 120_000);

  it('the default world (standby copies everywhere) migrates too; the source keeps a standby that does not step', async () => {
    const [a, b] = [inst[0], inst[1]];
    expect((await ownersFrom(b))['1']).toBe('a');
    // Bad requests change nothing.
    expect((await a.api('POST', '/api/v1/worlds/1/migrate', { to: 'nobody' })).json.code).toBe('WT_ERR_MIGRATION_FAILED');
    expect((await a.api('POST', '/api/v1/worlds/1/migrate', { to: 7 })).status).toBe(400);
    const r = await a.api('POST', '/api/v1/worlds/1/migrate', {});
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json).toMatchObject({ worldId: '1', from: 'a', to: 'b' });
    const moves = (await b.api('GET', '/api/v1/cluster/moves')).json.moves as Array<{ worldId: string; kind: string; step: number }>;
    const inB = moves.filter((m) => m.worldId === '1');
    expect(inB.map((m) => m.kind)).toEqual(['migrated-in']);
    expect(inB[0].step).toBe(r.json.step);
    const p = await startPlayer('1', 'd0', [a.gameUrl]);
    await until('a purchase on b', () => p.log.acked.size >= 3);
    await p.stop();
    const held = (await a.api('GET', '/api/v1/cluster')).json.held as Array<{ worldId: string }>;
    expect(held.map((h) => h.worldId)).not.toContain('1');
    const aStats = (await a.api('GET', '/api/v1/worlds')).json.worlds as Array<{ id: string; owner: string }>;
    expect(aStats.find((w) => w.id === '1')?.owner).toBe('b');
  }, 60_000);
});
