import { describe, expect, it } from 'vitest';
import { unpack } from 'msgpackr';
import { applyRegion, applySnapshot, createView, type EntityView } from '../../../src/client/view.js';
import { readRegionHead, type SnapshotHead } from '../../../src/bots/light-bot.js';
import { isWorldtickError } from '../../../src/errors.js';
import { resolveNetConfig, type NetConfig } from '../../../src/net/net-config.js';
import { MsgType, type RegionMsg, type SnapshotMsg } from '../../../src/net/protocol.js';
import { parseServerFrame } from '../../../src/net/protocol-parse.js';
import { replicateWorld } from '../../../src/net/replicate-phase.js';
import { createWorldNet, type NetTransport, type WorldNet } from '../../../src/net/replication.js';
import { createConn, createSession, type Session } from '../../../src/net/session.js';
import { createSimWorld, spawnNpc, spawnPlayer, type SimWorld } from '../../../src/world/sim-world.js';

const R = 80;

/** A deterministic pseudo-random integer stream (integer positions: wire quantization is exact). */
const lcg = (seed: number) => {
  let s = seed >>> 0;
  return (n: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
};

interface Rig {
  world: SimWorld;
  net: WorldNet;
  sessions: Session[];
  /** Frames each session received (decoded), in order, and the raw bytes of the last. */
  sent: Map<number, (SnapshotMsg | RegionMsg)[]>;
  raw: Map<number, Uint8Array>;
  /** Every entity id of the world. */
  ids: number[];
  step(): void;
}

const rig = (net: Partial<NetConfig>, npcs = 600, players = 40, seed = 7): Rig => {
  const world = createSimWorld({ id: 'g', capacity: npcs + players + 200, size: 1000, systems: [] });
  const sent = new Map<number, (SnapshotMsg | RegionMsg)[]>();
  const raw = new Map<number, Uint8Array>();
  const transport: NetTransport = {
    send: (s, bytes) => {
      sent.get(s.conn.id)?.push(parseServerFrame(unpack(bytes)) as SnapshotMsg | RegionMsg);
      raw.set(s.conn.id, bytes.slice());
      return 1;
    },
    buffered: () => 0,
    close: () => {},
    event: () => new Uint8Array(),
    now: () => 0,
  };
  const wn = createWorldNet(world, resolveNetConfig({ interestRadius: R, detailedRadius: 30, regionMinPlayers: 1, ...net }), transport);
  const rnd = lcg(seed);
  const ids: number[] = [];
  for (let i = 0; i < npcs; i++) ids.push(spawnNpc(world, rnd(1000), rnd(1000), i % 4));
  const sessions: Session[] = [];
  for (let i = 0; i < players; i++) {
    // Players clustered in a few places, so several share a region cell.
    const p = spawnPlayer(world, 200 + (i % 4) * 190 + rnd(30), 300 + (i % 3) * 200 + rnd(30), R);
    ids.push(p);
    const s = createSession(createConn(i + 1, 0, 10), 'g', p, 'n', 't', R);
    sessions.push(s);
    wn.sessions.push(s);
    sent.set(s.conn.id, []);
  }
  let step = 0;
  return {
    world,
    net: wn,
    sessions,
    sent,
    raw,
    ids,
    step: () => {
      world.ctx.step = step++;
      replicateWorld(world, world.ctx, wn);
    },
  };
};

/** Brute force: ids of every entity within R of the session's player (positions are integers). */
const bruteView = (r: Rig, s: Session): number[] => {
  const { Position } = r.world.stores;
  const x = Position.x[s.player],
    y = Position.y[s.player];
  return r.ids.filter((e) => (Position.x[e] - x) ** 2 + (Position.y[e] - y) ** 2 <= R * R).sort((a, b) => a - b);
};

const feed = (view: EntityView, m: SnapshotMsg | RegionMsg, player: number): void => {
  if (m.type === 24) applyRegion(view, m, player);
  else applySnapshot(view, m);
};

describe('net.viewMode regions: options', () => {
  it('defaults to exact; bad viewMode, regionCellSize and regionMaxEntitiesFactor are refused with a coded error naming the field', () => {
    expect(resolveNetConfig({}).viewMode).toBe('exact');
    const bad: [Partial<NetConfig>, RegExp][] = [
      [{ viewMode: 'cells' as never }, /net\.viewMode/],
      [{ regionCellSize: -1 }, /net\.regionCellSize/],
      [{ regionCellSize: Number.NaN }, /net\.regionCellSize/],
      [{ regionMaxEntitiesFactor: 0 }, /net\.regionMaxEntitiesFactor/],
      [{ regionMinPlayers: 0 }, /net\.regionMinPlayers/],
      [{ regionMinPlayers: 1.5 }, /net\.regionMinPlayers/],
      [{ viewMode: 'regions', interestRadius: 0 }, /net\.regionCellSize/],
    ];
    for (const [patch, msg] of bad) {
      let err: unknown = null;
      try {
        resolveNetConfig(patch);
      } catch (e) {
        err = e;
      }
      expect(isWorldtickError(err, 'WT_ERR_OPTION_INVALID'), JSON.stringify(patch)).toBe(true);
      expect(String((err as Error).message)).toMatch(msg);
    }
    expect(resolveNetConfig({ viewMode: 'regions', regionCellSize: 40, regionMaxEntitiesFactor: 3 })).toMatchObject({
      viewMode: 'regions',
      regionCellSize: 40,
      regionMaxEntitiesFactor: 3,
    });
  });
});

describe('net.viewMode regions: frames', () => {
  it('a cell frame holds every entity of the exact view of each player in the cell; the client-filtered view equals the exact view', () => {
    const r = rig({ viewMode: 'regions', regionMaxEntitiesFactor: 64 });
    const ex = rig({ viewMode: 'exact' });
    r.step();
    ex.step();
    const cells = new Map<number, Uint8Array>();
    for (const s of r.sessions) {
      const [m] = r.sent.get(s.conn.id)!;
      expect(m.type).toBe(MsgType.REGION);
      const region = m as RegionMsg;
      const exact = bruteView(r, s);
      const ids = new Set(region.entities.map((e) => e[0]));
      for (const e of exact) expect(ids.has(e)).toBe(true);
      // Same cell → the very same bytes.
      const bytes = r.raw.get(s.conn.id)!;
      const prev = cells.get(region.cell);
      if (prev) expect(Buffer.from(bytes).equals(Buffer.from(prev))).toBe(true);
      cells.set(region.cell, bytes);
      // Its own ack is in the frame.
      expect(region.acks.filter((_, i) => i % 2 === 0)).toContain(s.player);
      // Client rule: filtered to its radius, it equals the exact view and the exact encoder's enters.
      const view = createView(16);
      expect(applyRegion(view, region, s.player)).toBe(true);
      expect([...view.entities.keys()].sort((a, b) => a - b)).toEqual(exact);
      const twin = ex.sessions[r.sessions.indexOf(s)];
      const snap = ex.sent.get(twin.conn.id)![0] as SnapshotMsg;
      expect(snap.type).toBe(MsgType.SNAPSHOT);
      expect(snap.enter.map((e) => e[0]).sort((a, b) => a - b)).toEqual(exact);
      for (const e of snap.enter) expect(view.entities.get(e[0])).toMatchObject({ qx: e[1], qy: e[2], kind: e[3], tier: e[4] });
    }
    // Several sessions shared a cell: fewer frames encoded than sent.
    expect(r.net.regions!.stats.framesEncoded).toBe(cells.size);
    expect(cells.size).toBeLessThan(r.sessions.length);
    expect(r.net.regions!.stats.framesSent).toBe(r.sessions.length);
  });

  it('the light bot reads step, send time and its own ack from the head of a region frame', () => {
    const r = rig({ viewMode: 'regions', regionMaxEntitiesFactor: 64 }, 100, 6);
    const { Player } = r.world.stores;
    Player.lastInputSeq.fill(0);
    r.step();
    const s = r.sessions[2];
    const head: SnapshotHead = { step: 0, worldTime: 0, sendTime: 0, ack: 0 };
    const bytes = r.raw.get(s.conn.id)!;
    expect(readRegionHead(bytes, s.player, head)).toBe(true);
    const m = r.sent.get(s.conn.id)![0] as RegionMsg;
    expect(head).toMatchObject({ step: m.step, sendTime: m.sendTime, ack: 0 });
    expect(readRegionHead(bytes, 999_999, head)).toBe(true);
    expect(head.ack).toBe(-1); // not named: the bot counts an inconsistency
  });

  it('switching between region frames and exact snapshots (a cell over the cap) keeps every client view exact', () => {
    // Cap 1 × 64 entities: a handful of NPCs pushed into one player's cell box makes it dense.
    const r = rig({ viewMode: 'regions', maxEntitiesPerSession: 64, regionMaxEntitiesFactor: 1 }, 150, 12);
    const { Position } = r.world.stores;
    const views = new Map(r.sessions.map((s) => [s.conn.id, createView(16)]));
    const target = r.sessions[0];
    const extra: number[] = [];
    const kinds: string[] = [];
    for (let step = 0; step < 12; step++) {
      if (step === 3) {
        // Crowd the box of target's cell (outside its radius): its cell goes dense → exact snapshots.
        for (let i = 0; i < 70; i++) {
          const e = spawnNpc(r.world, Math.round(Position.x[target.player]) + R + 2, Math.round(Position.y[target.player]), 1);
          extra.push(e);
          r.ids.push(e);
        }
      }
      if (step === 7) for (const e of extra) Position.x[e] = 999; // gone again → region frames
      const before = r.sent.get(target.conn.id)!.length;
      r.step();
      const got = r.sent.get(target.conn.id)!;
      kinds.push(got.length > before ? (got[got.length - 1].type === 24 ? 'R' : 'S') : '-');
      for (const s of r.sessions) {
        const view = views.get(s.conn.id)!;
        const list = r.sent.get(s.conn.id)!;
        const m = list[list.length - 1];
        feed(view, m, s.player);
        expect(view.inconsistencies).toBe(0);
        expect([...view.entities.keys()].sort((a, b) => a - b)).toEqual(bruteView(r, s));
        for (const [id, ent] of view.entities) expect([ent.qx, ent.qy]).toEqual([Position.x[id] * 16, Position.y[id] * 16]);
      }
    }
    expect(kinds.join('')).toBe('RRRSSSSRRRRR');
    // The first exact snapshot after region frames is all enters (the server cleared the known set).
    const firstExact = r.sent.get(target.conn.id)![3] as SnapshotMsg;
    expect(firstExact.type).toBe(MsgType.SNAPSHOT);
    expect(firstExact.leave).toEqual([]);
    expect(firstExact.update).toEqual([]);
    expect(r.net.regions!.stats.denseFallbacks).toBeGreaterThan(0);
  });

  it('degraded sessions (ladder level ≥ 1) get exact snapshots; the default mode sends no region frame', () => {
    const r = rig({ viewMode: 'regions', regionMaxEntitiesFactor: 64 }, 100, 4);
    r.sessions[1].ladder = 2;
    r.step();
    expect(r.sent.get(r.sessions[0].conn.id)![0].type).toBe(MsgType.REGION);
    expect(r.sent.get(r.sessions[1].conn.id)![0].type).toBe(MsgType.SNAPSHOT);
    const ex = rig({}, 100, 4);
    ex.step();
    for (const s of ex.sessions) expect(ex.sent.get(s.conn.id)![0].type).toBe(MsgType.SNAPSHOT);
    expect(ex.net.regions).toBeUndefined();
  });

  it('under controller pressure (interest quality 2: radius × 0.75) frames carry the scaled radius and client views stay exact at it', () => {
    // Under pressure the phase defers low-priority sessions once `replicateBudgetMs` of wall time is
    // spent: on a loaded machine that cut some sessions' frames from the one step this test sends
    // (flaky). The budget is out of reach here, so every session gets its frame.
    const r = rig(
      { viewMode: 'regions', regionMaxEntitiesFactor: 64, replicateBudgetMs: 60_000, overloadReplicateBudgetMs: 60_000 },
      400,
      12,
    );
    r.world.ctx.budgets.interestQuality = 2;
    r.step();
    const { Position } = r.world.stores;
    let regions = 0;
    for (const s of r.sessions) {
      const m = r.sent.get(s.conn.id)![0];
      if (m.type !== 24) continue; // a session whose load level cuts its radius further gets an exact snapshot
      regions++;
      expect(m.radius).toBe(R * 0.75);
      const view = createView(16);
      applyRegion(view, m, s.player);
      const x = Position.x[s.player],
        y = Position.y[s.player];
      const expected = r.ids.filter((e) => (Position.x[e] - x) ** 2 + (Position.y[e] - y) ** 2 <= (R * 0.75) ** 2).sort((a, b) => a - b);
      expect([...view.entities.keys()].sort((a, b) => a - b)).toEqual(expected);
    }
    expect(regions).toBeGreaterThan(0);
  });

  it('a cell with fewer than regionMinPlayers players gets exact snapshots; a crowded one shares its frame', () => {
    const r = rig({ viewMode: 'regions', regionMaxEntitiesFactor: 64, regionMinPlayers: 3 }, 200, 0);
    const { Position } = r.world.stores;
    const place = (x: number, y: number): Session => {
      const p = spawnPlayer(r.world, x, y, R);
      r.ids.push(p);
      const s = createSession(createConn(r.sessions.length + 1, 0, 10), 'g', p, 'n', 't', R);
      r.sessions.push(s);
      r.net.sessions.push(s);
      r.sent.set(s.conn.id, []);
      return s;
    };
    const crowded = [place(405, 405), place(410, 470), place(470, 410)]; // cell [400, 480)²
    const alone = place(805, 805);
    r.step();
    for (const s of crowded) expect(r.sent.get(s.conn.id)![0].type).toBe(MsgType.REGION);
    const snap = r.sent.get(alone.conn.id)![0] as SnapshotMsg;
    expect(snap.type).toBe(MsgType.SNAPSHOT);
    const view = createView(16);
    applySnapshot(view, snap);
    expect([...view.entities.keys()].sort((a, b) => a - b)).toEqual(bruteView(r, alone));
    expect(r.net.regions!.stats).toMatchObject({ framesEncoded: 1, framesSent: 3, sparseFallbacks: 1 });
    expect(Position.x[alone.player]).toBe(805);
  });
});
