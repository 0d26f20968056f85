import { describe, expect, it } from 'vitest';
import { removeComponent } from 'bitecs';
import { unpack } from 'msgpackr';
import { queryView } from '../../../src/net/entity-rows.js';
import { isPlayer } from '../../../src/net/interest-select.js';
import { resolveNetConfig } from '../../../src/net/net-config.js';
import { PLAYER_KIND } from '../../../src/net/protocol.js';
import { beginRun, createWorldNet, type NetTransport } from '../../../src/net/replication.js';
import { createWriter, putInt, writeInt } from '../../../src/net/snapshot-writer.js';
import { E_KT, E_POS, E_POS_END, E_X, E_Y, ENT_STRIDE } from '../../../src/net/world-net.js';
import { createSimWorld, spawnNpc, spawnPlayer } from '../../../src/world/sim-world.js';

const transport: NetTransport = { send: () => 1, buffered: () => 0, close: () => {}, event: () => new Uint8Array(), now: () => 0 };

/** The DataView encoder `writeInt` had before `putInt` (the reference for byte identity). */
const referenceInt = (v: number): number[] => {
  const b = new Uint8Array(8),
    view = new DataView(b.buffer);
  let p = 0;
  if (v >= 0) {
    if (v < 128) b[p++] = v;
    else if (v < 256) {
      b[p++] = 0xcc;
      b[p++] = v;
    } else if (v < 65536) {
      b[p++] = 0xcd;
      b[p++] = v >>> 8;
      b[p++] = v & 0xff;
    } else {
      b[p++] = 0xce;
      view.setUint32(p, v);
      p += 4;
    }
  } else if (v >= -32) b[p++] = 0xe0 | (v + 32);
  else if (v >= -128) {
    b[p++] = 0xd0;
    b[p++] = v & 0xff;
  } else if (v >= -32768) {
    b[p++] = 0xd1;
    view.setInt16(p, v);
    p += 2;
  } else {
    b[p++] = 0xd2;
    view.setInt32(p, v);
    p += 4;
  }
  return [...b.subarray(0, p)];
};

/** Seeded LCG so failures reproduce. */
const lcg = (seed: number) => () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;

describe('putInt / writeInt (snapshot-writer.ts)', () => {
  it('write the bytes of the DataView encoder for every width, its edges, and NaN / ±Infinity / out-of-range values', () => {
    const rnd = lcg(3);
    const values = [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32 + 5, -1, -32, -33, -128, -129];
    values.push(-32768, -32769, -(2 ** 31), -(2 ** 31) - 7, Number.NaN, Infinity, -Infinity);
    for (let i = 0; i < 2000; i++) values.push(Math.round((rnd() - 0.5) * 2 ** (1 + Math.floor(rnd() * 33))));
    const w = createWriter(4);
    for (const v of values) {
      w.pos = 0;
      writeInt(w, v);
      expect([...w.bytes.subarray(0, w.pos)], `writeInt ${v}`).toEqual(referenceInt(v));
      const b = new Uint8Array(8);
      const end = putInt(b, 1, v);
      expect([...b.subarray(1, end)], `putInt ${v}`).toEqual(referenceInt(v));
      if (Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 32) expect(unpack(b.subarray(1, end))).toBe(v + 0); // -0 is written as 0
    }
  });
});

describe('queryView (entity-rows.ts)', () => {
  it('finds what world.spatial.queryRadius finds (NPCs moved within the margin since the rebuild, players), caching every row once', () => {
    const tiering = { name: 'tiering', phase: 'tiering' as const, run: () => {} };
    const world = createSimWorld({ id: 'q', capacity: 3000, size: 1000, systems: [tiering] });
    const net = createWorldNet(world, resolveNetConfig({}), transport);
    const rnd = lcg(11);
    const { Position, Tier } = world.stores;
    const npcs = Array.from({ length: 2000 }, () => spawnNpc(world, rnd() * 1000, rnd() * 1000, Math.floor(rnd() * 5)));
    for (const e of npcs) Tier.tier[e] = Math.floor(rnd() * 4);
    const players = Array.from({ length: 60 }, () => spawnPlayer(world, rnd() * 1000, rnd() * 1000));
    world.spatial.rebuildNpcs(world, 2, 1); // margin 2: NPCs may have moved up to 2 units since
    world.spatial.rebuildPlayers(world, 0);
    for (const e of npcs) {
      Position.x[e] += (rnd() - 0.5) * 2.8;
      Position.y[e] += (rnd() - 0.5) * 2.8;
    }
    beginRun(world, net);
    const out: number[] = [];
    const cached = new Map<string, string>();
    for (let q = 0; q < 300; q++) {
      const x = q < 10 ? q * 111 - 20 : rnd() * 1000,
        y = q < 10 ? 1010 - q * 50 : rnd() * 1000,
        r = [0, 5, 40, 80, 150][q % 5];
      const n = queryView(world, net, x, y, r, 1000 + q);
      const got = net.visible.slice(0, n);
      world.spatial.queryRadius(x, y, r, out);
      expect([...got].sort((a, b) => a - b)).toEqual([...out].sort((a, b) => a - b));
      expect(net.viewPlayers).toBe(got.filter((e) => players.includes(e)).length);
      for (let i = 0; i < n; i++) {
        const e = got[i],
          row = net.visRow[i] * ENT_STRIDE;
        expect(net.marks[e * 4]).toBe(1000 + q);
        // The row: quantized position, kind | tier, and its shared [e, x|y, x, y] entry.
        const sx = Math.round(Position.x[e] * net.config.positionScale),
          sy = Math.round(Position.y[e] * net.config.positionScale);
        const player = players.includes(e);
        expect([net.ent[row + E_X], net.ent[row + E_Y]]).toEqual([sx, sy]);
        expect(net.ent[row + E_KT]).toBe(player ? PLAYER_KIND : world.stores.Npc.kind[e] | (Tier.tier[e] << 16));
        const bytes = [...net.shared.bytes.subarray(net.ent[row + E_POS], net.ent[row + E_POS_END])];
        expect(bytes).toEqual([0x94, ...referenceInt(e), 3, ...referenceInt(sx), ...referenceInt(sy)]);
        const key = `${net.ent[row + E_POS]}`;
        if (!cached.has(key)) cached.set(key, `${e}`);
        expect(cached.get(key)).toBe(`${e}`); // one shared entry per cached row this run
      }
    }
  });

  it('players are marked per run: a player that is one no longer is unmarked at the next run', () => {
    const world = createSimWorld({ id: 'p', capacity: 200, size: 100, systems: [] });
    const net = createWorldNet(world, resolveNetConfig({}), transport);
    const npcs = Array.from({ length: 40 }, (_, i) => spawnNpc(world, i, i));
    const players = Array.from({ length: 70 }, (_, i) => spawnPlayer(world, i, 50)); // ids across several 32-bit words
    beginRun(world, net);
    const bits = net.select.playerBits;
    for (const e of players) expect(isPlayer(bits, e)).toBe(true);
    for (const e of npcs) expect(isPlayer(bits, e)).toBe(false);
    const gone = players.filter((_, i) => i % 3 === 0);
    for (const e of gone) removeComponent(world, e, world.stores.Player);
    beginRun(world, net);
    for (const e of players) expect(isPlayer(net.select.playerBits, e)).toBe(!gone.includes(e));
  });
});
