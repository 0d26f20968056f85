/**
 * Match churn bench: the pattern of a match-based game (docs/ADMIN.md "Short-lived worlds") run
 * many times in one real server process (startServer, uWS on 127.0.0.1, SQLite in a temp data dir):
 * create a match world (`POST /api/v1/worlds`), 4 players join it with the client library, move,
 * buy, send a game message (a fact and a server message), one leaves (parked), a game timer and a
 * join reward run, then the world is deleted (`DELETE /api/v1/worlds/{id}`: the others are closed
 * 4012). Every match has a new id, and new players (tokens), as in production.
 *
 *   npx tsx bench/matches.ts [--matches 500] [--warmup 50]
 *
 * Writes bench/results/matches.json: the heap after forced GCs at the end of the warm-up and at the
 * end, RSS, matches per second, and what the deleted worlds left: `/metrics` series labelled with a
 * deleted world, worlds in the game server's stats and `/api/v1/cluster/load`, store rows
 * (checkpoints and records of deleted worlds; sessions; the ledger and player rows, global by design).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { WorldtickClient, type WebSocketCtor } from '../src/client/client.js';
import {
  defineFact,
  defineGame,
  defineMessage,
  defineServerMessage,
  deliverToWorld,
  grantPlayerReward,
  sendToPlayer,
  setWorldTimer,
  startServer,
  Type,
} from '../src/index.js';
import { tempDataDir } from '../test/helpers/data-dir.js';
import { heapAfterGc } from './heap-after-gc.js';

const arg = (name: string, d: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const MATCHES = arg('matches', 500);
const WARMUP = Math.min(arg('warmup', 50), MATCHES);
const PLAYERS = 4;

const scored = defineFact<{ n: number }>({ name: 'scored', apply: () => undefined });
const note = defineServerMessage({ name: 'note', schema: Type.Object({ t: Type.String() }) });
const tag = defineMessage({
  name: 'tag',
  schema: Type.Object({ n: Type.Integer() }),
  apply: (w, p, { n }) => {
    deliverToWorld(w, scored, { n });
    sendToPlayer(w, p, note, { t: 'tagged' });
  },
});
let timersFired = 0;
const game = defineGame({
  name: 'match-bench',
  // timeScale 60, as before a game's default became 1: the `beat` timer runs every step (comparable results).
  world: { size: 200, config: { simulation: { timeScale: 60 } } },
  facts: [scored],
  messages: [tag],
  serverMessages: [note],
  timers: [
    { name: 'round-end', run: () => void timersFired++ },
    { name: 'beat', every: 1, run: () => void timersFired++ },
  ],
  hooks: {
    onWorldCreated: (w) => void setWorldTimer(w, 120, 'round-end', { round: 1 }),
    onPlayerJoined: (w, p, { resumed }) => {
      if (!resumed) void grantPlayerReward(w, p, { key: `joined-${w.id}`, coins: 5 });
    },
  },
});

const dir = tempDataDir('wt-matches-bench-');
const server = await startServer(game, {
  options: { port: 0, adminPort: 0, logLevel: 'silent', dataDir: dir.dir, npcs: 0, statsIntervalSeconds: 0, checkpointIntervalSeconds: 1 },
});
const base = `http://127.0.0.1:${server.adminPort}`;
const headers = { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' };
const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> => {
  const r = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, text: await r.text() };
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const client = (): WorldtickClient =>
  new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });

const closeCodes: Record<string, number> = {};
let purchasesOk = 0;
/** One match: create, join, play, one player leaves (parked), delete. */
const match = async (i: number): Promise<void> => {
  const id = `match-${i}`;
  const created = await call('POST', '/api/v1/worlds', { id, capacity: 200 });
  if (created.status !== 201) throw new Error(`create ${id}: ${created.status} ${created.text}`);
  const players = Array.from({ length: PLAYERS }, client);
  for (const [k, c] of players.entries()) {
    await c.connect();
    await c.join(id, `p${k}`, `bench-${i}-${k}`);
  }
  for (const c of players) {
    c.sendInput(1, 0.5);
    c.sendMessage('tag', { n: 1 });
  }
  if ((await players[0].purchase(`buy-${i}`, 'potion', 1, 10)).status === 'ok') purchasesOk++;
  await sleep(100); // a couple of steps: inputs, facts, messages, snapshots
  const leaver = players[PLAYERS - 1];
  leaver.close();
  await leaver.closed();
  await sleep(50); // parked
  const deleted = await call('DELETE', `/api/v1/worlds/${id}`);
  if (deleted.status !== 200) throw new Error(`delete ${id}: ${deleted.status} ${deleted.text}`);
  await Promise.all(players.map((c) => c.closed()));
  for (const c of players) closeCodes[c.closeCode] = (closeCodes[c.closeCode] ?? 0) + 1;
};

for (let i = 0; i < WARMUP; i++) await match(i);
await sleep(300);
const heapWarm = await heapAfterGc();
const rssWarm = process.memoryUsage().rss;
const load0 = loadavg();
const t0 = performance.now();
const heapAt: Array<{ matches: number; heapMiB: number }> = [];
for (let i = WARMUP; i < MATCHES; i++) {
  await match(i);
  if ((i + 1) % 100 === 0) heapAt.push({ matches: i + 1, heapMiB: +((await heapAfterGc()) / 2 ** 20).toFixed(2) });
}
const ms = performance.now() - t0;
await sleep(1500); // the deletes' store work (record and checkpoints) settles
const heapEnd = await heapAfterGc();
const rssEnd = process.memoryUsage().rss;
const load1 = loadavg();

const metrics = (await call('GET', '/metrics')).text.split('\n');
const deletedSeries = metrics.filter((l) => l.includes('world="match-'));
const loads = JSON.parse((await call('GET', '/api/v1/cluster/load')).text) as { worlds: Array<{ worldId: string }> };
const listed = JSON.parse((await call('GET', '/api/v1/worlds')).text) as { worlds: Array<{ id: string }> };
const served = Object.keys(server.runtime.gameServer.stats().worlds);
await server.stop();

const db = new Database(join(dir.dir, 'worldtick.sqlite'), { readonly: true });
const count = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
const rows = {
  checkpointsOfDeletedWorlds: count("SELECT count(*) AS n FROM checkpoints WHERE world_id LIKE 'match-%'"),
  recordsOfDeletedWorlds: count("SELECT count(*) AS n FROM world_configs WHERE world_id LIKE 'match-%'"),
  sessionsOfDeletedWorlds: count("SELECT count(*) AS n FROM sessions WHERE world_id LIKE 'match-%'"),
  operatorStateOfDeletedWorlds: count("SELECT count(*) AS n FROM operator_state WHERE scope LIKE '%match-%'"),
  ledgerRows: count('SELECT count(*) AS n FROM ledger'),
  playerRows: count('SELECT count(*) AS n FROM players'),
};
db.close();
dir.remove();

const measured = MATCHES - WARMUP;
const result = {
  suite: 'matches',
  at: new Date().toISOString(),
  matches: MATCHES,
  warmupMatches: WARMUP,
  playersPerMatch: PLAYERS,
  matchesPerSecond: +(measured / (ms / 1000)).toFixed(2),
  heapUsedAfterWarmupMiB: +(heapWarm / 2 ** 20).toFixed(2),
  heapUsedEndMiB: +(heapEnd / 2 ** 20).toFixed(2),
  heapDeltaBytesPerMatch: measured ? +((heapEnd - heapWarm) / measured).toFixed(1) : 0,
  heapEvery100: heapAt,
  rssAfterWarmupMiB: +(rssWarm / 2 ** 20).toFixed(1),
  rssEndMiB: +(rssEnd / 2 ** 20).toFixed(1),
  left: {
    metricSeriesOfDeletedWorlds: deletedSeries.length,
    worldsListed: listed.worlds.map((w) => w.id),
    worldsInLoadReport: loads.worlds.map((w) => w.worldId),
    worldsInGameServerStats: served,
    ...rows,
  },
  closeCodes,
  purchasesOk,
  timersFired,
  loadAvgStart: load0,
  loadAvgEnd: load1,
};
console.log(JSON.stringify(result, null, 2));
const out = join(import.meta.dirname, 'results');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'matches.json'), `${JSON.stringify(result, null, 2)}\n`);
process.exit(0);
