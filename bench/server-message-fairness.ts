/**
 * Server-message fairness bench: what one step's delivery of game broadcasts costs at N sessions,
 * with and without the time bound (`net.maxGameMessageDeliveryMsPerStep`), while 4 clients spam a
 * client message whose handler broadcasts and one normal player broadcasts once every 5 steps. A
 * real server from `startServer` (uWS on 127.0.0.1) and real WebSocket clients in this process
 * (their receive cost runs on the same cores: compare the two configurations of one run). Writes
 * bench/results/server-message-fairness.json.
 *
 *   npx tsx bench/server-message-fairness.ts [--sessions 500] [--steps 40]
 *
 * Per configuration: wall ms of `stepWorld` (snapshots + message delivery; no NPCs) per step —
 * mean, p50, max; frames sent per step; steps stopped by the time bound; broadcasts of the
 * spammers dropped at their cap (`capped`); the normal player's broadcast latency in steps (the
 * step that delivered it minus the step that sent it).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pack, unpack } from 'msgpackr';
import WebSocket from 'ws';
import {
  broadcast,
  defineGame,
  defineMessage,
  defineServerMessage,
  type GameWorld,
  pauseWorld,
  sendToPlayer,
  startServer,
  stepWorld,
  Type,
} from '../src/index.js';
import { testServerOptions } from '../test/helpers/game-server-options.js';

const arg = (name: string, d: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const SESSIONS = arg('sessions', 500);
const STEPS = arg('steps', 40);
const macrotask = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

const chat = defineServerMessage({ name: 'chat', schema: Type.Object({ from: Type.Integer(), n: Type.Integer() }), maxBytes: 64 });
const tick = defineServerMessage({ name: 'tick', schema: Type.Object({ step: Type.Integer() }), maxBytes: 64 });
const say = defineMessage({
  name: 'say',
  schema: Type.Object({ n: Type.Integer() }),
  apply: (w, player, p) => broadcast(w, chat, { from: player, n: p.n }),
});

interface Figures {
  maxGameMessageDeliveryMsPerStep: number;
  sessions: number;
  steps: number;
  stepMs: { mean: number; p50: number; max: number };
  framesPerStep: { mean: number; max: number };
  timeLimitedSteps: number;
  capped: number;
  overflow: number;
  normalLatencySteps: number[];
  /** The outbox's estimate of µs per frame after each step (what the time bound plans with). */
  frameUsEstimate: number[];
  framesByStep: number[];
}

const runConfig = async (ms: number): Promise<Figures> => {
  const watch = { player: -1 };
  const game = defineGame({
    name: 'server-message-fairness-bench',
    world: { size: 1000, npcs: 0, physics: 'off' },
    net: {
      maxConnectionsPerAddress: 0,
      maxNewPlayersPerAddressPerMinute: 0,
      messageRatePerSecond: 1e6,
      messageBurst: 1e6,
      maxGameMessageDeliveryMsPerStep: ms,
    },
    serverMessages: [chat, tick],
    messages: [say],
    systems: [
      {
        name: 'ticker',
        phase: 'behavior',
        run: (w: GameWorld) => {
          if (watch.player >= 0) sendToPlayer(w, watch.player, tick, { step: w.clock.step });
        },
      },
    ],
  });
  const server = await startServer(game, { options: testServerOptions('wt-fair-bench-') });
  pauseWorld(server.world);
  const url = `ws://127.0.0.1:${server.port}`;
  const sockets: WebSocket[] = [];
  const joined: number[] = [];
  // Every socket counts its frames; the normal player's (the last) decodes its ticks and chats.
  const normalLog: unknown[][] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const ws = new WebSocket(url);
    const me = i;
    ws.on('open', () => ws.send(pack([1, 1, '1', `p${i}`, '', null]), { binary: true }));
    ws.on('message', (d: Buffer) => {
      if (joined[me] === undefined || me === SESSIONS - 1) {
        const m = unpack(d) as unknown[];
        if (m[0] === 16) joined[me] = m[2] as number;
        else if (me === SESSIONS - 1 && m[0] === 25) normalLog.push(m);
      }
    });
    sockets.push(ws);
  }
  for (let k = 0; k < 20_000 && joined.filter((x) => x !== undefined).length < SESSIONS; k++) {
    stepWorld(server.world, 1);
    await macrotask();
  }
  const normalPlayer = joined[SESSIONS - 1] as number;
  watch.player = normalPlayer;
  const spammers = sockets.slice(0, 4);
  const normal = sockets[SESSIONS - 1] as WebSocket;
  const st = server.world.game!.outbox.stats;
  const counters = server.world.game!.counters;
  const before = { ...st };
  const stepMs: number[] = [];
  const frames: number[] = [];
  const frameUs: number[] = [];
  let n = 0;
  const sentAt = new Map<number, number>();
  for (let s = 0; s < STEPS; s++) {
    const accepted = counters.accepted;
    let expected = 0;
    for (const ws of spammers)
      for (let k = 0; k < 10; k++) {
        ws.send(pack([5, 'say', { n: ++n }]), { binary: true });
        expected++;
      }
    if (s % 5 === 0) {
      normal.send(pack([5, 'say', { n: ++n }]), { binary: true });
      sentAt.set(n, -1);
      expected++;
    }
    for (let k = 0; k < 5000 && counters.accepted < accepted + expected; k++) await macrotask();
    const sent = st.sent;
    const t0 = performance.now();
    stepWorld(server.world, 1);
    stepMs.push(performance.now() - t0);
    frames.push(st.sent - sent);
    frameUs.push(Math.round(server.world.game!.outbox.frameMs * 1000 * 10) / 10);
    await macrotask();
  }
  for (let k = 0; k < 20; k++) {
    stepWorld(server.world, 1);
    await macrotask();
  }
  for (let k = 0; k < 200; k++) await macrotask();
  // Latency: the normal player's chat follows the tick of the step that delivered it.
  let after = -1;
  const latency: number[] = [];
  for (const m of normalLog) {
    if (m[2] === 'tick') after = (m[3] as { step: number }).step;
    else if (m[2] === 'chat' && (m[3] as { from: number }).from === normalPlayer) latency.push(after - (m[1] as number));
  }
  const sorted = [...stepMs].sort((a, b) => a - b);
  const r2 = (x: number): number => Math.round(x * 100) / 100;
  const fig: Figures = {
    maxGameMessageDeliveryMsPerStep: ms,
    sessions: SESSIONS,
    steps: STEPS,
    stepMs: {
      mean: r2(stepMs.reduce((a, b) => a + b, 0) / stepMs.length),
      p50: r2(sorted[Math.floor(sorted.length / 2)] ?? 0),
      max: r2(sorted[sorted.length - 1] ?? 0),
    },
    framesPerStep: { mean: Math.round(frames.reduce((a, b) => a + b, 0) / frames.length), max: Math.max(...frames) },
    timeLimitedSteps: st.timeLimited - before.timeLimited,
    capped: st.capped - before.capped,
    overflow: st.overflow - before.overflow,
    normalLatencySteps: latency,
    frameUsEstimate: frameUs,
    framesByStep: frames,
  };
  for (const ws of sockets) ws.close();
  await server.stop();
  return fig;
};

const loadStart = loadavg();
const bounded = await runConfig(10);
const unbounded = await runConfig(0);
const result = {
  suite: 'server-message-fairness',
  date: new Date().toISOString(),
  loadAvgStart: loadStart,
  loadAvgEnd: loadavg(),
  configs: [bounded, unbounded],
  ratioMaxStepMs: Math.round((unbounded.stepMs.max / Math.max(0.01, bounded.stepMs.max)) * 100) / 100,
};
console.log(JSON.stringify(result, null, 2));
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/server-message-fairness.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
process.exit(0);
