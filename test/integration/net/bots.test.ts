import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { beforeAll, describe, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { movingRing, runWorld, startTestServer, type TestServer } from './harness.js';
import { childNodeArgs } from '../../helpers/child-node.js';

let BOTS: string[] = [];
beforeAll(async () => {
  BOTS = await childNodeArgs('src/bots/main.ts');
});

const ROOT = new URL('../../../', import.meta.url).pathname;

/**
 * The bots CLI run to its exit (`program`: node's arguments for it, default the run's compiled copy): its
 * exit code, stdout, stderr and report (stdout's last line, parsed; null when it is not JSON).
 */
const botsCli = async (args: string[], program: string[] = BOTS): Promise<{ code: number | null; out: string; err: string; r: any }> => {
  const child = spawn(process.execPath, [...program, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const [code] = (await once(child, 'close')) as [number | null];
  let r: any = null;
  try {
    r = JSON.parse(out.trim().split('\n').at(-1) ?? '');
  } catch {
    r = null;
  }
  return { code, out, err, r };
};

/** A test server of one test (its world stepped when `stepped`), stopped when that test ends. */
const serve = async (
  onTestFinished: (fn: () => Promise<void>) => void,
  o: Parameters<typeof startTestServer>[0],
  stepped: boolean,
): Promise<TestServer> => {
  const ts = await startTestServer(o);
  const runner = stepped ? runWorld(ts.world) : null;
  onTestFinished(async () => {
    runner?.stop();
    await ts.stop();
  });
  return ts;
};

/*
 * The tests run side by side, each with its own server(s) and bots process, each with its own `expect`
 * (vitest's rule for concurrent tests): most of their time is a bots process starting and its window.
 */
describe.concurrent('load-test bots', () => {
  it('npm run bots: many sessions (full and light bots) from one command, then a JSON latency report', async ({
    expect,
    onTestFinished,
  }) => {
    const ts = await serve(onTestFinished, { net: { resumeGraceSeconds: 0 } }, true);
    const { code, err, r } = await botsCli(
      [
        '--url',
        ts.url,
        '--world',
        'w1',
        '--clients',
        '20',
        '--duration',
        '0.6',
        '--warmup',
        '0.2',
        '--input-hz',
        '10',
        '--full-every',
        '4',
      ],
      ['--import', 'tsx', 'src/bots/main.ts'],
    );
    expect(code, err).toBe(0);
    expect(r).toMatchObject({
      clients: 20,
      connected: 20,
      disconnects: 0,
      inconsistencies: 0,
      errorsReceived: 0,
      fullDecodeClients: 5,
      lightClients: 15,
    });
    // One latency sample per snapshot of the window, and the per-client rate from the same count. How many
    // snapshots a 0.6 s window holds is the server's speed (240 quiet; 20 in a stress run at load ~12, where
    // `> 20` failed once), not the report's correctness.
    expect(r.updateLatencyMs.samples).toBeGreaterThan(0);
    expect(r.updateLatencyMs.samples).toBe(r.snapshots);
    expect(r.snapshotsPerClientPerSecond).toBeCloseTo(r.snapshots / r.clientSeconds, 1);
    expect(r.inputAckRttMs.samples).toBeGreaterThan(0);
    expect(r.snapshotsPerClientPerSecond).toBeGreaterThan(0);
    expect(err).toContain('update latency ms: p50');
  });

  it('join failures are reported by reason (a refused hello names its wire code), full and light bots alike; no bot joined: exit 3', async ({
    expect,
    onTestFinished,
  }) => {
    const ts = await serve(onTestFinished, { net: { resumeGraceSeconds: 0 } }, false);
    const args = ['--url', ts.url, '--world', 'no-such-world', '--clients', '4', '--full-every', '2', '--duration', '0.2', '--warmup', '0'];
    const { code, err, r } = await botsCli(args);
    // A CI job running the bots against a world that is not there must fail: 3, with the reasons on stderr.
    expect(code, err).toBe(3);
    expect(r).toMatchObject({ clients: 4, connected: 0, joinFailures: 4, joinFailuresByReason: { UNKNOWN_WORLD: 4 } });
    expect(err).toContain('0/4 connected, 4 join failures (UNKNOWN_WORLD 4)');
    expect(err).toContain('bots: no bot joined: 4 of 4 joins failed: UNKNOWN_WORLD 4 (the server runs no world "no-such-world")');
  });

  it('disconnects are reported by close code, in the report and on the summary line (one --token: each hello takes the last player over, 4011)', async ({
    expect,
    onTestFinished,
  }) => {
    const ts = await serve(onTestFinished, { net: { resumeGraceSeconds: 0 } }, true);
    const args = [
      '--url',
      ts.url,
      '--world',
      'w1',
      '--clients',
      '3',
      '--concurrency',
      '1',
      '--token',
      'alice',
      '--duration',
      '0.3',
      '--warmup',
      '0.2',
    ];
    const { code, err, r } = await botsCli([...args, '--no-progress']);
    expect(code, err).toBe(0);
    expect(r).toMatchObject({ connected: 3, disconnects: 2, disconnectsByCode: { 4011: 2 } });
    expect(err).toContain('3/3 connected, 0 join failures, 2 disconnected (close 4011 2),');
  });

  it('a server at its connection cap: the refused upgrades are reported as http 503, over both transports', async ({
    expect,
    onTestFinished,
  }) => {
    // One capped server per transport, so that both runs go at once (on one server they would share the cap).
    const ts = await serve(onTestFinished, { net: { resumeGraceSeconds: 0, maxConnections: 2 } }, false);
    const other = await serve(onTestFinished, { net: { resumeGraceSeconds: 0, maxConnections: 2 } }, false);
    await Promise.all(
      (['raw', 'ws'] as const).map(async (transport, k) => {
        const url = (k === 0 ? ts : other).url;
        const args = ['--url', url, '--world', 'w1', '--clients', '6', '--full-every', '2', '--duration', '0.2', '--warmup', '0'];
        const { code, r } = await botsCli([...args, '--transport', transport]);
        expect(code).toBe(0); // some bots joined: exit 0 unless --max-join-failures says otherwise
        expect(r, transport).toMatchObject({ connected: 2, joinFailures: 4, joinFailuresByReason: { 'http 503': 4 } });
      }),
    );
  });

  it('--max-join-failures N|P%: more join failures than allowed exit 3 (the report still written); as many as allowed exit 0', async ({
    expect,
    onTestFinished,
  }) => {
    // 6 bots against a server capped at 2 connections: 4 of 6 joins fail (67 %). One server per run, so they go at once.
    const runs = [
      ['4', 0],
      ['67%', 0],
      ['3', 3],
      ['50%', 3],
    ] as const;
    const results = await Promise.all(
      runs.map(async ([limit, want]) => {
        const ts = await serve(onTestFinished, { net: { resumeGraceSeconds: 0, maxConnections: 2 } }, false);
        const args = ['--url', ts.url, '--world', 'w1', '--clients', '6', '--concurrency', '6', '--duration', '0.2', '--warmup', '0'];
        return { limit, want, ...(await botsCli([...args, '--no-progress', '--max-join-failures', limit])) };
      }),
    );
    for (const { limit, want, code, err, r } of results) {
      expect(code, `${limit}: ${err}`).toBe(want);
      expect(r, limit).toMatchObject({ connected: 2, joinFailures: 4, joinFailuresByReason: { 'http 503': 4 } });
      if (want === 3)
        expect(err).toContain(
          `bots: join failures over --max-join-failures ${limit}: 4 of 6 joins failed (67%): http 503 4 (the server is at its connection cap)`,
        );
      else expect(err).not.toContain('join failures over');
    }
  });

  it('--idle-share / --spectator-share: idle players and spectators read snapshots without input, each reported as its own group', async ({
    expect,
    onTestFinished,
  }) => {
    const ts = await serve(onTestFinished, { net: { resumeGraceSeconds: 0 } }, true);
    const args = ['--url', ts.url, '--world', 'w1', '--clients', '12', '--duration', '0.6', '--warmup', '0.2', '--input-hz', '10'];
    const { code, err, r } = await botsCli([...args, '--full-every', '3', '--idle-share', '0.5', '--spectator-share', '0.25']);
    expect(code, err).toBe(0);
    expect(r).toMatchObject({ connected: 12, disconnects: 0, inconsistencies: 0 });
    expect(Object.keys(r.groups).sort()).toEqual(['activePlayers', 'idlePlayers', 'spectators']);
    const { activePlayers: act, idlePlayers: idle, spectators: spec } = r.groups;
    // 12 bots: 3 spectators; of the 9 players, 4 idle (every other one) and 5 active.
    expect(spec.connected).toBe(3);
    expect(idle.connected).toBe(4);
    expect(act.connected).toBe(5);
    expect(spec.inputsSent).toBe(0);
    expect(spec.updateLatencyMs.samples).toBeGreaterThan(0);
    // The server saw them as spectators (hello token `spectator`).
    expect(ts.server.stats().byClass.spectator!.snapshots).toBeGreaterThan(0);
    expect(act.inputsSent).toBeGreaterThan(0);
    expect(act.inputsSent).toBe(r.inputsSent);
    expect(idle.inputsSent).toBe(0);
    expect(idle.updateLatencyMs.samples).toBeGreaterThan(0);
    expect(idle.inputAckRttMs.samples).toBe(0);
    expect(idle.snapshotsPerClientPerSecond).toBeGreaterThan(0);
    expect(act.updateLatencyMs.samples + idle.updateLatencyMs.samples + spec.updateLatencyMs.samples).toBe(r.updateLatencyMs.samples);
    expect(err).toContain('idlePlayers: 4 bots');
  });

  it('a server that stops sending shows in the snapshot gap (every bot, full and light), not only as fewer snapshots', async ({
    expect,
    onTestFinished,
  }) => {
    const ts = await startTestServer({ net: { resumeGraceSeconds: 0 } });
    movingRing(ts.world, 40);
    let runner = runWorld(ts.world);
    onTestFinished(async () => {
      runner.stop();
      await ts.stop();
    });
    const args = ['--url', ts.url, '--world', 'w1', '--clients', '10', '--duration', '3', '--warmup', '0.2', '--input-hz', '10'];
    const bots = botsCli([...args, '--full-every', '2']);
    // Every bot joined, then into the window: the world is not stepped for 1.2 s (no snapshot is sent; the
    // server's event loop runs on, as in a stall of the loop or a paused process seen from outside).
    for (let i = 0; i < 600 && ts.server.stats().sessions < 10; i++) await sleep(50);
    await sleep(600);
    runner.stop();
    await sleep(1200);
    runner = runWorld(ts.world);
    const { code, err, r } = await bots;
    expect(code, err).toBe(0);
    expect(r).toMatchObject({ connected: 10, disconnects: 0, inconsistencies: 0, fullDecodeClients: 5, lightClients: 5 });
    const gap = r.snapshotGapMs;
    // Each bot's view stood still for the halt: ten gaps of at least its length (less the step interval).
    expect(gap.max).toBeGreaterThanOrEqual(1100);
    expect(gap.p99).toBeGreaterThanOrEqual(1100);
    // A gap per snapshot of the window but each bot's first (full and light bots both record them).
    expect(gap.samples).toBeLessThanOrEqual(r.snapshots);
    expect(gap.samples).toBeGreaterThanOrEqual(r.snapshots - 10);
    expect(r.groups.activePlayers.snapshotGapMs).toEqual(gap);
    expect(err).toMatch(/snapshot gap ms: +p50 [\d.]+ .* max (\d+)/);
  });

  it('a bad option exits 2 with a message', async ({ expect }) => {
    const { code, err } = await botsCli(['--clients', 'many']);
    expect(code).toBe(2);
    expect(err).toContain('--clients must be an integer between 1 and 100000');
    const bad = await botsCli(['--max-join-failures', '120%']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--max-join-failures');
  });
});
