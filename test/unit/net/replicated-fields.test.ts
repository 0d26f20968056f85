/**
 * Custom replicated fields (a game's per-kind field table) in the snapshot encoder: entering
 * entities carry their kind's fields after `x, y, kind, tier`; a changing entry carries only the
 * changed fields (mask bits 16 << j); known values survive swap-removes of the known set; a view
 * fed the snapshots matches the server's values; kinds without fields keep the default bytes.
 */
import { unpack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { applySnapshot, createView } from '../../../src/client/view.js';
import { addComponent, createGameWorld, defineComponent, defineGame, despawn, getStore, spawn } from '../../../src/index.js';
import { resolveNetConfig } from '../../../src/net/net-config.js';
import { PLAYER_KIND, type ReplicatedKinds, type SnapshotMsg } from '../../../src/net/protocol.js';
import { parseServerFrame } from '../../../src/net/protocol-parse.js';
import { beginRun, createWorldNet, encodeSessionSnapshot, type NetTransport } from '../../../src/net/replication.js';
import { createConn, createSession } from '../../../src/net/session.js';
import { spawnPlayer } from '../../../src/world/sim-world.js';

const transport: NetTransport = { send: () => 1, buffered: () => 0, close: () => {}, event: () => new Uint8Array(), now: () => 0 };
const Stats = defineComponent('Stats', { hp: { type: 'u16', default: 100 }, heat: 'f32', team: 'u8' });
const game = defineGame({
  name: 'fields',
  components: [Stats],
  replicate: {
    '2': { hp: { component: Stats, field: 'hp' }, heat: { component: Stats, field: 'heat', scale: 100 } },
    player: { team: { component: Stats, field: 'team' } },
  },
});

const setup = () => {
  const world = createGameWorld(game, { id: 'f', capacity: 200, size: 1000, config: { simulation: { pauseSimulation: true } } });
  const net = createWorldNet(world, resolveNetConfig({ interestRadius: 100, detailedRadius: 30 }), transport);
  const p = spawnPlayer(world, 500, 500);
  addComponent(world, p, Stats, { team: 3 });
  const s = createSession(createConn(1, 0, 10), 'f', p, 'n', 't', 100);
  const ents = Array.from({ length: 20 }, (_, i) => {
    const e = spawn(world, { kind: i % 2 === 0 ? 2 : 1, x: 450 + i * 4, y: 500 });
    addComponent(world, e, Stats, { hp: 50 + i });
    return e;
  });
  const encode = (step: number): SnapshotMsg => {
    beginRun(world, net);
    const len = encodeSessionSnapshot(world, net, s, { step, worldTime: step, sendTime: 0, radiusScale: 1, farEvery: 1, requeryEvery: 1 });
    return parseServerFrame(unpack(net.out.bytes.subarray(0, len))) as SnapshotMsg;
  };
  return { world, p, ents, encode };
};

describe('custom replicated fields', () => {
  it("enter carries the kind's fields; a change sends only the changed field; other kinds keep 5 elements", () => {
    const { world, p, ents, encode } = setup();
    const st = getStore(world, Stats);
    const first = encode(0);
    const byId = new Map(first.enter.map((e) => [e[0], e]));
    expect(byId.get(ents[0])).toEqual([ents[0], 450 * 16, 500 * 16, 2, 3, 50, 0]);
    expect(byId.get(ents[1])).toHaveLength(5); // kind 1: no fields
    expect(byId.get(p)).toEqual([p, 500 * 16, 500 * 16, PLAYER_KIND, 0, 3]);
    st.heat[ents[2]] = 0.256;
    st.hp[ents[1]] = 1; // kind 1: not replicated, no update
    const second = encode(1);
    expect(second.update).toEqual([[ents[2], 32, 26]]);
    st.hp[ents[4]] = 7;
    world.stores.Position.x[ents[4]] += 1;
    world.stores.Position.y[ents[4]] += 1;
    expect(encode(2).update).toEqual([[ents[4], 1 | 2 | 16, (466 + 1) * 16, 501 * 16, 7]]);
  });

  it('a view fed the snapshots keeps every field equal to the server, across leaves and swap-removes', () => {
    const { world, ents, encode } = setup();
    const st = getStore(world, Stats);
    const table: ReplicatedKinds = new Map([
      [2, { names: ['hp', 'heat'], scales: [1, 100] }],
      [PLAYER_KIND, { names: ['team'], scales: [1] }],
    ]);
    const view = createView(16, table);
    const alive = new Set(ents);
    for (let step = 0; step < 30; step++) {
      for (const e of alive) st.hp[e] = (st.hp[e] + step * 7 + e) % 1000;
      if (step % 5 === 4) {
        const gone = [...alive][step % alive.size];
        despawn(world, gone);
        alive.delete(gone);
      }
      applySnapshot(view, encode(step));
      for (const e of alive) {
        if (world.stores.Npc.kind[e] !== 2) continue;
        expect(view.entities.get(e)?.fields).toEqual({ hp: st.hp[e], heat: 0 });
      }
    }
    expect(view.inconsistencies).toBe(0);
  });
});
