/**
 * The replicate phase around the controller's first mode switch (no sockets):
 * `tsx bench/replicate-switch.ts [npcs] [sessions] [hz] [normalSteps] [afterSteps]`. Runs
 * replicateWorld in normal mode (knobs at their normal values) for `normalSteps`, then with the
 * degraded knobs (`Q`, default 1: interestQuality; `FAR`, default 2: farReplicationEvery) and
 * prints the process CPU ms of each replicate run from 3 before the switch to `afterSteps` after
 * it, as JSON. Its point is V8: code paths normal mode never runs (ladder levels, fractional radius
 * scales, deferral) deoptimize the phase on their first use (`node --trace-deopt` on an esbuild
 * bundle shows which; docs/NET-SCALE.md "Deoptimization on the first degraded step").
 * Q2=n (optional): switch on to interestQuality n (e.g. 3, emergency) after `afterSteps / 2` more steps.
 */
import { replicateWorld } from '../src/net/replicate-phase.js';
import type { NetTransport } from '../src/net/replication.js';
import { replicateBenchWorld } from './replicate-world.js';
import { movementSystem } from '../systems/movement-system.js';
import { timeSystem } from '../systems/time-system.js';

const npcs = Number(process.argv[2] ?? 100_000);
const sessions = Number(process.argv[3] ?? 1000);
const hz = Number(process.argv[4] ?? 60);
const normalSteps = Number(process.argv[5] ?? 60);
const afterSteps = Number(process.argv[6] ?? 10);
const q = Number(process.env.Q ?? 1);
const q2 = Number(process.env.Q2 ?? -1);
const far = Number(process.env.FAR ?? 2);
const stub: NetTransport = {
  send: () => 1,
  buffered: () => 0,
  close: () => {},
  event: () => new Uint8Array(),
  now: () => Date.now(),
};
const { world, net } = replicateBenchWorld({ id: 'switch', npcs, sessions, hz, transport: stub });
// A third of the sessions are active players (an input just now), as in a mixed world.
const step = (quality: number, farEvery: number): number => {
  world.ctx.budgets.farReplicationEvery = farEvery;
  world.ctx.budgets.interestQuality = quality;
  const now = performance.now();
  for (let i = 0; i < net.sessions.length; i += 3) net.sessions[i].lastInputAt = now;
  movementSystem(world, world.ctx);
  timeSystem(world, world.ctx);
  world.ctx.step++;
  if (world.ctx.step % 20 === 0) world.spatial.rebuildNpcs(world, world.npcSim.activities.maxSpeed);
  world.spatial.rebuildPlayers(world, world.ctx.stepSeconds);
  const c = process.cpuUsage();
  replicateWorld(world, world.ctx, net);
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1000;
};
const before: number[] = [];
for (let i = 0; i < normalSteps; i++) {
  const ms = step(0, 1);
  if (i >= normalSteps - 3) before.push(Math.round(ms * 10) / 10);
}
const after: number[] = [];
/** MARK=1: a line on stderr at each step after the switch (to place `--trace-deopt` output). */
const mark = process.env.MARK === '1';
for (let i = 0; i < afterSteps; i++) {
  if (mark) console.error(`--- step ${i} after the switch`);
  const second = q2 >= 0 && i >= afterSteps / 2;
  const ms = step(second ? q2 : q, second ? far * 2 : far);
  after.push(Math.round(ms * 10) / 10);
}
console.log(JSON.stringify({ npcs, sessions, hz, q, q2, far, before, after }));
