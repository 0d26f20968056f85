/**
 * Focused profile of the replicate phase (no sockets): `tsx bench/replicate-profile.ts [npcs] [sessions] [steps] [hz]`.
 * Runs replicateWorld with a stub transport after movement + time each step and prints process
 * CPU µs per session-snapshot (CPU, not wall: the machine is shared). Knobs (env): REBUILD, STILL,
 * Q, FAR, ACTIVE, HASH (below). For line-level profiles bundle it first (tsx hides the lines):
 * `npx esbuild bench/replicate-profile.ts --bundle --platform=node --format=esm --packages=external
 * --outfile=/tmp/rp.mjs` (with a node_modules link next to it), then `node --cpu-prof /tmp/rp.mjs`.
 * A/B against another commit: the same script bundled from that commit's tree.
 */
import { replicateWorld } from '../src/net/replicate-phase.js';
import type { NetTransport } from '../src/net/replication.js';
import { replicateBenchWorld } from './replicate-world.js';
import { createConn, createSession } from '../src/net/session.js';
import { movementSystem } from '../systems/movement-system.js';
import { timeSystem } from '../systems/time-system.js';

const npcs = Number(process.argv[2] ?? 10_000);
const sessions = Number(process.argv[3] ?? 5000);
const steps = Number(process.argv[4] ?? 200);
const hz = Number(process.argv[5] ?? 20);
let sent = 0;
/** HASH=1: fold every frame's bytes into a checksum (send time 0) (A/B byte identity of two trees; costs CPU, so not for timing). */
const hashing = process.env.HASH === '1';
let hash = 0;
const stub: NetTransport = {
  send: (s, bytes) => {
    sent++;
    if (hashing) {
      // Per frame, summed: independent of the order sessions are sent in.
      let h = (2166136261 ^ s.conn.id) >>> 0;
      for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 16777619) >>> 0;
      hash = (hash + h) >>> 0;
    }
    return 1;
  },
  buffered: () => 0,
  close: () => {},
  event: () => new Uint8Array(),
  now: () => (hashing ? 0 : Date.now()),
};
/**
 * NETCFG='{"replicateBudgetMs":1e-7}' (JSON): net config overrides, e.g. a budget nothing fits in, so
 * the time-dependent deferral is deterministic and a `Q=3` frames hash comparable across trees.
 */
const { world, net } = replicateBenchWorld({
  id: 'prof',
  npcs,
  sessions,
  hz,
  transport: stub,
  net: JSON.parse(process.env.NETCFG ?? '{}'),
});
/**
 * SCATTER=n: re-create every session with n small retained objects and typed arrays allocated between
 * two sessions, so sessions, connections and known rows are spread over the heap as in a server that
 * allocated socket and message objects between joins (the stub otherwise allocates them back to back).
 */
const scatter = Number(process.env.SCATTER ?? 0);
const junk: unknown[] = [];
for (let i = 0; scatter > 0 && i < net.sessions.length; i++) {
  for (let k = 0; k < scatter; k++) junk.push({ k, a: [k, i], s: `j${k}` }, new Uint8Array(96));
  const old = net.sessions[i];
  net.sessions[i] = createSession(createConn(old.conn.id, 0, 1), world.id, old.player, 'b', 't', net.config.interestRadius);
}
/** FAR=n: the controller's farReplicationEvery knob (entities beyond detailedRadius every n-th snapshot). */
const far = Number(process.env.FAR ?? 1);
/** STILL=1: nothing moves (the e2e default world's snapshots are ~60 bytes: mostly idle NPCs). */
const still = process.env.STILL === '1';
/** Q=n: the controller's interest-quality level (3 = re-query every 4th snapshot, known entities refreshed in between). */
const quality = Number(process.env.Q ?? 0);
/** ACTIVE=1: every session had an input just now (active players: priority 3, never degraded past level 1 by load). */
const active = process.env.ACTIVE === '1';
/** REBUILD=n: NPC grid rebuilt every n steps (default 10). */
const rebuild = Number(process.env.REBUILD ?? 10);
/**
 * THRASH=n: before each replicate phase, write n MiB of an unrelated buffer (outside the measured
 * CPU), so the phase starts with the caches as cold as in a server that ran sockets and other phases since.
 */
const thrash = new Uint8Array(Number(process.env.THRASH ?? 0) * 1024 * 1024);
let thrashSum = 0;
const step = (): void => {
  world.ctx.budgets.farReplicationEvery = far;
  world.ctx.budgets.interestQuality = quality;
  if (active) for (const s of net.sessions) s.lastInputAt = performance.now();
  if (!still) movementSystem(world, world.ctx);
  timeSystem(world, world.ctx);
  world.ctx.step++;
  // What the tiering phase does (outside the measured replicate phase): the player grid every
  // step, the NPC grid every REBUILD-th step (its near passes skip it while the movement margin
  // stays under half a cell, so queries scan r + margin).
  if (world.ctx.step % rebuild === 0) world.spatial.rebuildNpcs(world, world.npcSim.activities.maxSpeed);
  world.spatial.rebuildPlayers(world, world.ctx.stepSeconds);
  for (let i = 0; i < thrash.length; i += 64) thrash[i] = (thrash[i] + i) & 255;
  thrashSum += thrash.length > 0 ? thrash[thrash.length >> 1] : 0;
  // CPU time, not wall time: on a shared machine preemption would swamp the differences.
  const c = process.cpuUsage();
  replicateWorld(world, world.ctx, net);
  const d = process.cpuUsage(c);
  repMs += (d.user + d.system) / 1000;
};
let repMs = 0;
for (let i = 0; i < 20; i++) step();
sent = 0;
repMs = 0;
let seen = 0;
for (let i = 0; i < steps; i++) {
  step();
  for (const s of net.sessions) seen += s.knownCount;
}
const ms = repMs;
console.log(
  `${npcs} NPCs, ${sessions} sessions, ${steps} steps: ${(ms / steps).toFixed(2)} CPU ms/step, ${((ms * 1000) / sent).toFixed(2)} µs per session-snapshot, ${(seen / (steps * sessions)).toFixed(1)} known/session, ${(net.stats.snapshotBytes / net.stats.snapshotsSent).toFixed(0)} B/snapshot${hashing ? `, frames hash ${hash.toString(16)}` : ''}${thrash.length ? ` (thrash ${thrashSum & 1})` : ''}${junk.length ? ` (scatter ${junk.length})` : ''}`,
);
