/**
 * Parked-players bench: what a parked (disconnected, resumable) player costs the server, what its
 * message backlog adds, and what the parking caps do to one address churning players. A real
 * server from `startServer` (uWS on 127.0.0.1, SQLite store, the ledger, the loop at 20 Hz) and
 * real WebSocket clients; addresses through a trusted proxy (`X-Forwarded-For` from 127.0.0.1).
 * Writes bench/results/parked.json.
 *
 *   npx tsx bench/parked.ts [--players 2000] [--flood 1000]
 *
 *   1. heap per parked player: N clients join (one address each) and drop; heap after GC with N
 *      parked, minus the heap before any joined, per player (everything the server keeps for it:
 *      tables, entity bookkeeping, ledger binding, durable-write garbage settled).
 *   2. heap per backlog: the game sends each parked player `parkedBacklogMessages` (16) messages of
 *      ≈ 40 bytes; heap delta per player.
 *   3. flood: one address connects, joins and drops `--flood` times (concurrency 20): parked players
 *      of that address at the end (cap `maxParkedPerAddress` 64), evictions, churns per second.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pack, unpack } from 'msgpackr';
import WebSocket from 'ws';
import { defineGame, defineServerMessage, sendToPlayer, startServer, Type } from '../src/index.js';
import { createGameOutbox, encodeGameMessage } from '../src/net/game-outbox.js';
import { planSystem } from '../test/helpers/plan-system.js';
import { testServerOptions } from '../test/helpers/game-server-options.js';
import { heapAfterGc } from './heap-after-gc.js';

const arg = (name: string, d: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const PLAYERS = arg('players', 2000);
const FLOOD = arg('flood', 1000);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const note = defineServerMessage({ name: 'note', schema: Type.Object({ text: Type.String(), n: Type.Integer() }), maxBytes: 128 });
const plan = planSystem();
const game = defineGame({
  name: 'parked-bench',
  world: { size: 1000, npcs: 0, physics: 'off' },
  net: {
    trustedProxies: ['127.0.0.1'],
    maxConnectionsPerAddress: 0,
    maxNewPlayersPerAddressPerMinute: 0,
    maxParked: PLAYERS + 1000,
    resumeGraceSeconds: 600,
    maxGameMessagesPerStep: 1_000_000,
  },
  serverMessages: [note],
  systems: [plan.system],
});
const options = testServerOptions('wt-parked-bench-');
const server = await startServer(game, { options });
const gs = server.runtime.gameServer;
const url = `ws://127.0.0.1:${server.port}`;

/** Connect from `addr`, join, wait for the welcome; resolves the socket and the player's entity id. */
const join = (addr: string, token: string): Promise<{ ws: WebSocket; player: number }> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { 'x-forwarded-for': addr } });
    ws.on('open', () => ws.send(pack([1, 1, '1', 'b', token, null]), { binary: true }));
    ws.on('message', (d: Buffer) => {
      const m = unpack(d) as unknown[];
      if (m[0] === 16) resolve({ ws, player: m[2] as number });
      else if (m[0] === 20) reject(new Error(`error ${String(m[1])}`));
    });
    ws.on('error', reject);
  });
const drop = (ws: WebSocket): Promise<void> =>
  new Promise((resolve) => {
    ws.on('close', () => resolve());
    ws.close(1000);
  });
const until = async (what: string, cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 12_000 && !cond(); i++) await sleep(5);
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
  console.error(`${what}: ok`);
};
const addrOf = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

// Warm-up (first join attaches the world), then the baseline.
const warm = await join('192.0.2.1', 'warm');
await drop(warm.ws);
await until('warm-up parked', () => gs.stats().parked === 1);
const load0 = loadavg();
const heap0 = await heapAfterGc();

// 1. N players parked.
const players: number[] = [];
for (let b = 0; b < PLAYERS; b += 100) {
  const batch = await Promise.all(Array.from({ length: Math.min(100, PLAYERS - b) }, (_, k) => join(addrOf(b + k + 1), `p-${b + k}`)));
  for (const j of batch) players.push(j.player);
  await Promise.all(batch.map((j) => drop(j.ws)));
}
await until('players parked', () => gs.stats().parked === PLAYERS + 1);
await sleep(500);
const heap1 = await heapAfterGc();

// 2. A full backlog for each of them.
plan.next((w) => {
  for (const p of players) for (let n = 0; n < 16; n++) sendToPlayer(w, p, note, { text: 'a message of about forty bytes', n });
});
const st = server.world.game?.outbox.stats;
const kept0 = st?.backlogged ?? 0;
await until('backlogs full', () => (st?.backlogged ?? 0) - kept0 >= 16 * PLAYERS);
const frameBytes = encodeGameMessage(createGameOutbox().packr, server.world.clock.step, 'note', {
  text: 'a message of about forty bytes',
  n: 1,
}).length;
const heap2 = await heapAfterGc();

// 3. One address churning.
const ev0 = gs.stats().parkedEvicted;
const t0 = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: 20 }, async () => {
    while (next < FLOOD) {
      next++;
      const j = await join('203.0.113.9', '');
      await drop(j.ws);
    }
  }),
);
const floodMs = performance.now() - t0;
await sleep(300);
const s = gs.stats();
const floodParked = s.parked - (PLAYERS + 1);
const load1 = loadavg();
await server.stop();

const result = {
  suite: 'parked',
  at: new Date().toISOString(),
  players: PLAYERS,
  heapBytesPerParkedPlayer: Math.round((heap1 - heap0) / PLAYERS),
  backlogMessagesPerPlayer: 16,
  backlogFrameBytes: frameBytes,
  heapBytesPerFullBacklog: Math.round((heap2 - heap1) / PLAYERS),
  flood: {
    churns: FLOOD,
    seconds: +(floodMs / 1000).toFixed(2),
    churnsPerSecond: Math.round(FLOOD / (floodMs / 1000)),
    parkedFromTheAddressAtEnd: floodParked,
    evictedAddress: s.parkedEvicted.address - ev0.address,
    evictedServer: s.parkedEvicted.server - ev0.server,
  },
  loadAverage: { before: load0.map((x) => +x.toFixed(2)), after: load1.map((x) => +x.toFixed(2)) },
  node: process.version,
};
console.log(JSON.stringify(result, null, 2));
const out = new URL('./results/', import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(new URL('parked.json', out), `${JSON.stringify(result, null, 2)}\n`);
process.exit(0);
