/**
 * World map for the dashboard (`GET /api/v1/worlds/{id}/map`): NPC positions with their tier
 * and player positions, quantised to 16 bits per axis over the world's bounds and downsampled
 * (every k-th NPC) to at most `max` NPCs, so a 1M-NPC world costs the same to draw as a 20k one.
 *
 * Binary layout (little-endian), `application/octet-stream`:
 *
 *   offset 0  u32 magic 0x314d5457 ("WTM1")   4  u32 npcCount (sent)    8  u32 npcTotal
 *          12 u32 playerCount   16 f32 minX  20 f32 minY  24 f32 maxX  28 f32 maxY
 *          32 u16 npcX[npcCount]  u16 npcY[npcCount]  u16 playerX[playerCount]  u16 playerY[..]
 *             u8 npcTier[npcCount]  u8 playerSpectator[playerCount]
 *
 * `playerSpectator` is 1 for a spectator's entity (the `Spectator` tag: a camera, seen by no other
 * client), else 0; a map without it (written before it existed) decodes with every player at 0.
 *
 * `?format=json` returns the same data as JSON arrays.
 */
import { hasComponent, query } from 'bitecs';
import type { SimWorld } from '../world/sim-world.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Magic number at offset 0 of the binary map ("WTM1"). */
export const MAP_MAGIC = 0x314d5457;
/** Default and hard maximum of NPCs per map response. */
export const MAP_DEFAULT_MAX = 20_000;
export const MAP_HARD_MAX = 200_000;
/** Most players drawn. */
export const MAP_MAX_PLAYERS = 20_000;

export interface WorldMap {
  bounds: { minX: number; minY: number; maxX: number; maxY: number };
  npcTotal: number;
  /** Quantised coordinates: 0..65535 over the bounds. */
  npcX: Uint16Array;
  npcY: Uint16Array;
  npcTier: Uint8Array;
  playerX: Uint16Array;
  playerY: Uint16Array;
  /** Per player: 1 for a spectator (a camera: components/player.ts `Spectator`), else 0. */
  playerSpectator: Uint8Array;
}

/** Sample the positions of a world (at most `max` NPCs, evenly strided). */
export const sampleWorldMap = (world: SimWorld, max: number = MAP_DEFAULT_MAX): WorldMap => {
  const { Position, Tier, Npc, Player, Spectator } = world.stores;
  const b = world.bounds;
  const sx = 65535 / Math.max(1e-9, b.maxX - b.minX);
  const sy = 65535 / Math.max(1e-9, b.maxY - b.minY);
  const q = (v: number, min: number, s: number): number => {
    const x = Math.round((v - min) * s);
    return x < 0 ? 0 : x > 65535 ? 65535 : x;
  };
  const npcs = query(world, [Npc]);
  const total = npcs.length;
  const stride = Math.max(1, Math.ceil(total / Math.max(1, max)));
  const n = Math.ceil(total / stride);
  const npcX = new Uint16Array(n);
  const npcY = new Uint16Array(n);
  const npcTier = new Uint8Array(n);
  for (let i = 0, k = 0; i < total && k < n; i += stride, k++) {
    const eid = npcs[i];
    npcX[k] = q(Position.x[eid], b.minX, sx);
    npcY[k] = q(Position.y[eid], b.minY, sy);
    npcTier[k] = Tier.tier[eid];
  }
  const players = query(world, [Player]);
  const pn = Math.min(players.length, MAP_MAX_PLAYERS);
  const playerX = new Uint16Array(pn);
  const playerY = new Uint16Array(pn);
  const playerSpectator = new Uint8Array(pn);
  for (let i = 0; i < pn; i++) {
    const eid = players[i];
    playerX[i] = q(Position.x[eid], b.minX, sx);
    playerY[i] = q(Position.y[eid], b.minY, sy);
    playerSpectator[i] = hasComponent(world, eid, Spectator) ? 1 : 0;
  }
  return { bounds: { ...b }, npcTotal: total, npcX, npcY, npcTier, playerX, playerY, playerSpectator };
};

/** Encode a map in the binary layout above. */
export const encodeWorldMap = (m: WorldMap): Uint8Array => {
  const n = m.npcX.length;
  const p = m.playerX.length;
  const size = 32 + 4 * n + 4 * p + n + p;
  const buf = new ArrayBuffer(size);
  const dv = new DataView(buf);
  dv.setUint32(0, MAP_MAGIC, true);
  dv.setUint32(4, n, true);
  dv.setUint32(8, m.npcTotal, true);
  dv.setUint32(12, p, true);
  dv.setFloat32(16, m.bounds.minX, true);
  dv.setFloat32(20, m.bounds.minY, true);
  dv.setFloat32(24, m.bounds.maxX, true);
  dv.setFloat32(28, m.bounds.maxY, true);
  let o = 32;
  // Every u16 block starts at an even offset, so on little-endian hosts (x64, arm64) a typed
  // array copy writes the wire layout directly; DataView otherwise.
  const put16 = LITTLE_ENDIAN
    ? (a: Uint16Array): void => {
        new Uint16Array(buf, o, a.length).set(a);
        o += 2 * a.length;
      }
    : (a: Uint16Array): void => {
        for (let i = 0; i < a.length; i++, o += 2) dv.setUint16(o, a[i], true);
      };
  put16(m.npcX);
  put16(m.npcY);
  put16(m.playerX);
  put16(m.playerY);
  new Uint8Array(buf, o, n).set(m.npcTier);
  new Uint8Array(buf, o + n, p).set(m.playerSpectator);
  return new Uint8Array(buf);
};

/** Decode the binary map (tests and tools). Throws on a bad magic or size. */
export const decodeWorldMap = (bytes: Uint8Array): WorldMap => {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 32 || dv.getUint32(0, true) !== MAP_MAGIC) throw new Error('not a worldtick map');
  const n = dv.getUint32(4, true);
  const p = dv.getUint32(12, true);
  const base = 32 + 5 * n + 4 * p;
  // Without the spectator flags: a map written before they existed.
  if (bytes.byteLength !== base && bytes.byteLength !== base + p) throw new Error('map size mismatch');
  let o = 32;
  const get16 = (len: number): Uint16Array => {
    const a = new Uint16Array(len);
    for (let i = 0; i < len; i++, o += 2) a[i] = dv.getUint16(o, true);
    return a;
  };
  const npcX = get16(n);
  const npcY = get16(n);
  const playerX = get16(p);
  const playerY = get16(p);
  const npcTier = bytes.slice(o, o + n);
  const playerSpectator = bytes.byteLength === base ? new Uint8Array(p) : bytes.slice(o + n, o + n + p);
  return {
    bounds: { minX: dv.getFloat32(16, true), minY: dv.getFloat32(20, true), maxX: dv.getFloat32(24, true), maxY: dv.getFloat32(28, true) },
    npcTotal: dv.getUint32(8, true),
    npcX,
    npcY,
    npcTier,
    playerX,
    playerY,
    playerSpectator,
  };
};
