import { describe, expect, it } from 'vitest';
import { unpack } from 'msgpackr';
import { applySnapshot, createView } from '../../../src/client/view.js';
import { resolveNetConfig } from '../../../src/net/net-config.js';
import type { SnapshotMsg } from '../../../src/net/protocol.js';
import { parseServerFrame } from '../../../src/net/protocol-parse.js';
import { beginRun, createWorldNet, encodeSessionSnapshot, type NetTransport } from '../../../src/net/replication.js';
import { createConn, createSession } from '../../../src/net/session.js';
import { removeEntity } from 'bitecs';
import { createSimWorld, spawnNpc, spawnPlayer } from '../../../src/world/sim-world.js';

const transport: NetTransport = { send: () => 1, buffered: () => 0, close: () => {}, event: () => new Uint8Array(), now: () => 0 };

const setup = () => {
  const world = createSimWorld({ id: 'u', capacity: 500, size: 1000, systems: [] });
  const net = createWorldNet(world, resolveNetConfig({ interestRadius: 100, detailedRadius: 30 }), transport);
  const p = spawnPlayer(world, 500, 500);
  const s = createSession(createConn(1, 0, 10), 'u', p, 'n', 't', 100);
  const npcs = Array.from({ length: 40 }, (_, i) => spawnNpc(world, 420 + i * 4, 500, i % 5));
  const encode = (step: number, farEvery = 1, requeryEvery = 1): SnapshotMsg => {
    beginRun(world, net);
    const len = encodeSessionSnapshot(world, net, s, { step, worldTime: step, sendTime: 0, radiusScale: 1, farEvery, requeryEvery });
    return parseServerFrame(unpack(net.out.bytes.subarray(0, len))) as SnapshotMsg;
  };
  return { world, net, s, p, npcs, encode };
};

describe('delta snapshots', () => {
  it('first snapshot enters everything in range; unchanged entities are not resent; only changed fields are', () => {
    const { world, npcs, encode } = setup();
    const first = encode(0);
    expect(first.enter).toHaveLength(41);
    expect(encode(1)).toMatchObject({ enter: [], update: [], leave: [] });
    world.stores.Position.x[npcs[10]] += 1; // only x changed
    world.stores.Tier.tier[npcs[11]] = 0; // only tier changed
    const s = encode(2);
    expect(s.update).toContainEqual([npcs[10], 1, Math.round(world.stores.Position.x[npcs[10]] * 16)]);
    expect(s.update).toContainEqual([npcs[11], 8, 0]);
    expect(s.update).toHaveLength(2);
  });

  it('a view fed only the snapshots actually produced stays equal to the server state, whatever is skipped', () => {
    const { world, npcs, encode, p } = setup();
    const view = createView(16);
    for (let step = 0; step < 60; step++) {
      for (let i = 0; i < npcs.length; i++) world.stores.Position.x[npcs[i]] += ((i % 7) - 3) * 0.9;
      // Steps 20..29: the session is "skipped" (backpressure): nothing encoded at all.
      if (step >= 20 && step < 30) continue;
      applySnapshot(view, encode(step));
    }
    const { Position } = world.stores;
    const expected = [p, ...npcs].filter((e) => Math.hypot(Position.x[e] - 500, Position.y[e] - 500) <= 100);
    expect([...view.entities.keys()].sort()).toEqual(expected.sort());
    for (const e of expected) expect(view.entities.get(e)!.qx).toBe(Math.round(Position.x[e] * 16));
    expect(view.inconsistencies).toBe(0);
  });

  it('far entities are held back on non-due steps when farReplicationEvery > 1', () => {
    const { world, npcs, encode } = setup();
    encode(0);
    for (const e of npcs) world.stores.Position.y[e] += 1;
    // session id 1: due when (step + 1) % 4 === 0 → step 3 due, step 1 not.
    const notDue = encode(1, 4);
    for (const u of notDue.update) expect(Math.abs(world.stores.Position.x[u[0]] - 500)).toBeLessThanOrEqual(30);
    const due = encode(3, 4);
    expect(notDue.update.length + due.update.length).toBe(40);
  });

  it('interest quality 3: between re-queries known entities still update; new ones wait; removed ones leave', () => {
    const { world, npcs, encode } = setup();
    encode(0);
    const newcomer = spawnNpc(world, 510, 510, 1);
    world.stores.Position.x[npcs[0]] += 2;
    removeEntity(world, npcs[1]);
    // session id 1, requeryEvery 4: step 1 is not a re-query step, step 3 is.
    const s1 = encode(1, 1, 4);
    expect(s1.enter).toEqual([]);
    expect(s1.leave).toEqual([npcs[1]]);
    expect(s1.update.map((u) => u[0])).toEqual([npcs[0]]);
    const s3 = encode(3, 1, 4);
    expect(s3.enter.map((e) => e[0])).toEqual([newcomer]);
  });

  it('many sessions in one run (shared entries cached in any order, merged runs, enters encoded on first use) each keep an exact view', () => {
    const world = createSimWorld({ id: 'm', capacity: 800, size: 1000, systems: [] });
    const net = createWorldNet(world, resolveNetConfig({ interestRadius: 60, detailedRadius: 20 }), transport);
    const { Position, Tier, Npc } = world.stores;
    let seed = 12345;
    const rnd = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 4294967296;
    };
    const sessions = Array.from({ length: 8 }, (_, i) => {
      const p = spawnPlayer(world, 440 + (i % 4) * 40, 460 + Math.floor(i / 4) * 80);
      return createSession(createConn(i + 1, 0, 10), 'm', p, 'n', 't', 60);
    });
    const views = sessions.map(() => createView(16));
    let npcs = Array.from({ length: 300 }, () => spawnNpc(world, 380 + rnd() * 240, 400 + rnd() * 200, Math.floor(rnd() * 4)));
    for (let step = 0; step < 40; step++) {
      for (const e of npcs) {
        const u = rnd();
        if (u < 0.5) {
          Position.x[e] += rnd() * 4 - 2;
          Position.y[e] += rnd() * 4 - 2;
        } else if (u < 0.6)
          Position.x[e] += rnd() * 4 - 2; // one axis only
        else if (u < 0.63) Tier.tier[e] = Math.floor(rnd() * 4);
        else if (u < 0.64) Npc.kind[e] = Math.floor(rnd() * 4);
      }
      if (step % 7 === 3) {
        // A despawn (the game server queues the id) and a spawn that may reuse it.
        const gone = npcs[Math.floor(rnd() * npcs.length)];
        removeEntity(world, gone);
        net.removed.push(gone);
        npcs = npcs.filter((e) => e !== gone);
        npcs.push(spawnNpc(world, 380 + rnd() * 240, 400 + rnd() * 200, 1));
      }
      beginRun(world, net);
      // A different session order every step, and one session skipped now and then.
      const order = sessions.map((_, i) => i).sort(() => rnd() - 0.5);
      for (const i of order) {
        if ((step + i) % 9 === 0) continue;
        const f = { step, worldTime: step, sendTime: 0, radiusScale: 1, farEvery: 1, requeryEvery: 1 };
        const len = encodeSessionSnapshot(world, net, sessions[i], f);
        applySnapshot(views[i], parseServerFrame(unpack(net.out.bytes.subarray(0, len))) as SnapshotMsg);
      }
    }
    sessions.forEach((s, i) => {
      const px = Position.x[s.player],
        py = Position.y[s.player];
      const all = [...npcs, ...sessions.map((o) => o.player)];
      const expected = all.filter((e) => Math.hypot(Position.x[e] - px, Position.y[e] - py) <= 60 || e === s.player);
      // A session skipped at the last step holds the previous step's values: compare after one more run.
      beginRun(world, net);
      const len = encodeSessionSnapshot(world, net, s, {
        step: 99,
        worldTime: 99,
        sendTime: 0,
        radiusScale: 1,
        farEvery: 1,
        requeryEvery: 1,
      });
      applySnapshot(views[i], parseServerFrame(unpack(net.out.bytes.subarray(0, len))) as SnapshotMsg);
      expect([...views[i].entities.keys()].sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b));
      for (const e of expected) {
        const v = views[i].entities.get(e);
        expect(v?.qx).toBe(Math.round(Position.x[e] * 16));
        expect(v?.qy).toBe(Math.round(Position.y[e] * 16));
        if (npcs.includes(e)) expect([v?.kind, v?.tier]).toEqual([Npc.kind[e], Tier.tier[e]]);
      }
      expect(views[i].inconsistencies).toBe(0);
    });
  });
});
