import { playerRow } from '../../../components/player-table.js';
import { Packr, unpack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { readSnapshotHead, type SnapshotHead } from '../../../src/bots/light-bot.js';
import { resolveNetConfig } from '../../../src/net/net-config.js';
import { beginRun, createWorldNet, encodeSessionSnapshot, type NetTransport } from '../../../src/net/replication.js';
import { createConn, createSession } from '../../../src/net/session.js';
import { createSimWorld, spawnNpc, spawnPlayer } from '../../../src/world/sim-world.js';

const transport: NetTransport = { send: () => 1, buffered: () => 0, close: () => {}, event: () => new Uint8Array(), now: () => 0 };
const head = (): SnapshotHead => ({ step: -1, worldTime: -1, sendTime: -1, ack: -1 });

describe('light bot snapshot head reader', () => {
  it('reads step, world time, send time and ack of real server snapshots like a full decode does', () => {
    const world = createSimWorld({ id: 'u', capacity: 100, size: 1000, systems: [] });
    const net = createWorldNet(world, resolveNetConfig({ interestRadius: 100 }), transport);
    const p = spawnPlayer(world, 500, 500);
    for (let i = 0; i < 20; i++) spawnNpc(world, 450 + i * 5, 500, 1);
    const s = createSession(createConn(1, 0, 10), 'u', p, 'n', 't', 100);
    for (const [step, ack] of [
      [0, 0],
      [200, 70_000],
      [70_000, 5],
    ] as const) {
      world.stores.Player.lastInputSeq[playerRow(world.stores, p)] = ack;
      beginRun(world, net);
      const len = encodeSessionSnapshot(world, net, s, {
        step,
        worldTime: step / 20,
        sendTime: 1763766000000.5 + step,
        radiusScale: 1,
        farEvery: 1,
        requeryEvery: 1,
      });
      const bytes = net.out.bytes.slice(0, len);
      const full = unpack(bytes) as unknown[];
      const h = head();
      expect(readSnapshotHead(bytes, h)).toBe(true);
      expect(h).toEqual({ step: full[1], worldTime: full[2], sendTime: full[3], ack: full[4] });
    }
  });

  it('accepts any msgpack number encoding (other servers) and rejects other frames and truncation', () => {
    const packr = new Packr({ useRecords: false });
    const h = head();
    expect(readSnapshotHead(packr.pack([17, 5, 1.5, 1000, 3, [], [], []]), h)).toBe(true);
    expect(h).toEqual({ step: 5, worldTime: 1.5, sendTime: 1000, ack: 3 });
    expect(readSnapshotHead(packr.pack([16, 5, 1.5, 1000, 3, [], [], []]), head())).toBe(false);
    expect(readSnapshotHead(packr.pack([17, 'x', 1.5, 1000, 3, [], [], []]), head())).toBe(false);
    expect(readSnapshotHead(packr.pack([18, 1, 2, 3, 4]), head())).toBe(false);
    const ok = packr.pack([17, 5, 1.25, 1763766000000.5, 3, [], [], []]);
    // The head ends where the three (empty) entity arrays begin.
    for (let cut = 0; cut < ok.length - 3; cut++) expect(readSnapshotHead(ok.subarray(0, cut), head())).toBe(false);
  });
});
