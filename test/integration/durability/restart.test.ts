/**
 * Worlds survive restarts: a real server (`src/cli/main.ts`) in a child process on a temporary
 * data dir; change the default world's timeScale and create a world through the admin API; let
 * time pass; SIGTERM; start again on the same data dir — world time continues, the config
 * change and the created world are back. Then, without periodic checkpoints, SIGKILL: the next
 * start has the world time of the clock record (written every 10 steps) and the state of the last
 * checkpoint (the one written at the previous graceful stop). Each next process is started ahead
 * (test/helpers/warm-main.ts, `npm start`'s program waiting for a go on stdin): it loads its modules
 * while the one before it runs, and opens the data dir only once that one has exited.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { childNodeArgs } from '../../helpers/child-node.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { collectJsonLines } from '../../helpers/log-lines.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const TOKEN = 'restart-token';

interface Server {
  child: ChildProcessWithoutNullStreams;
  lines: Array<Record<string, unknown>>;
  base: string;
}

/** Every process started, SIGKILLed in afterAll if a failed assertion left it running. */
const started: ChildProcessWithoutNullStreams[] = [];

interface Launched {
  child: ChildProcessWithoutNullStreams;
  lines: Array<Record<string, unknown>>;
}

/** Spawn a server process on `dataDir` that loads its modules and waits for `start` (its go). */
const launch = async (dataDir: string, interval = '0.5'): Promise<Launched> => {
  const child = spawn(
    process.execPath,
    [
      ...(await childNodeArgs('test/helpers/warm-main.ts')),
      '--npcs',
      '300',
      '--port',
      '0',
      '--admin-port',
      '0',
      '--stats-interval',
      '0',
      '--checkpoint-interval',
      interval,
    ],
    {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, WORLDTICK_ADMIN_TOKEN: TOKEN, WORLDTICK_DATA_DIR: dataDir },
    },
  );
  started.push(child);
  child.stdin.on('error', () => {}); // killed before its go (a failed test): EPIPE
  return { child, lines: collectJsonLines(child.stdout) };
};

/** Tell a launched process to go and wait for its admin server. */
const start = async ({ child, lines }: Launched): Promise<Server> => {
  child.stdin.end('go\n');
  const deadline = Date.now() + 30_000;
  let url: string | undefined;
  while (!url && Date.now() < deadline && child.exitCode === null) {
    url = lines.find((l) => l.msg === 'admin listening')?.url as string | undefined;
    if (!url) await new Promise((r) => setTimeout(r, 50));
  }
  if (!url) {
    child.kill('SIGKILL'); // not left running after the test
    throw new Error('server did not start');
  }
  return { child, lines, base: url.replace(/\/$/, '') };
};

const api = async (s: Server, method: string, path: string, body?: unknown) => {
  const res = await fetch(`${s.base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
};

const stop = async (s: Server): Promise<number | null> => {
  s.child.kill('SIGTERM');
  const [code] = await once(s.child, 'close');
  return code as number | null;
};

const data = tempDataDir('wt-restart-');
afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  data.remove();
});

/** Poll `fn` until it holds (a hang guard of 20 s, not a timing claim). */
const until = async (what: string, fn: () => Promise<boolean>): Promise<void> => {
  for (const deadline = Date.now() + 20_000; !(await fn()); await new Promise((r) => setTimeout(r, 50)))
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
};

describe('worlds survive restarts', () => {
  // One data dir through four processes (each start costs a process): a → SIGTERM → b → SIGTERM → c → SIGKILL → d.
  it('world time continues; the timeScale change and the admin-created world come back; after a SIGKILL time continues from the clock record, the state from the last checkpoint', async () => {
    const a = await start(await launch(data.dir));
    const nextB = await launch(data.dir); // b, then c and d: each loads while the one before it runs
    expect((await api(a, 'PUT', '/worlds/1/scheduler/config', { simulation: { timeScale: 7 } })).status).toBe(200);
    const created = await api(a, 'POST', '/worlds', {
      id: 'w2',
      npcs: 50,
      capacity: 200,
      seed: 3,
      config: { simulation: { timeScale: 2 } },
    });
    expect(created.status).toBe(201);
    // Time passes; periodic checkpoints run (0.5 s): the one at creation and at least one more.
    await until('two checkpoints', async () => (await api(a, 'GET', '/worlds/1/stats')).json.checkpoint.saved >= 2);
    const before1 = (await api(a, 'GET', '/worlds/1')).json;
    const before2 = (await api(a, 'GET', '/worlds/w2')).json;
    expect(before1.worldTime).toBeGreaterThan(0);
    const statsBefore = (await api(a, 'GET', '/worlds/1/stats')).json;
    expect(statsBefore.checkpoint.saved).toBeGreaterThanOrEqual(1);
    expect(await stop(a)).toBe(0);
    expect(a.lines.some((l) => l.msg === 'bye')).toBe(true);

    const b = await start(nextB);
    const nextC = await launch(data.dir, '0');
    try {
      const after1 = (await api(b, 'GET', '/worlds/1')).json;
      expect(after1.worldTime).toBeGreaterThanOrEqual(before1.worldTime);
      expect(after1.timeScale).toBe(7);
      expect(after1.entities).toBe(before1.entities);
      const after2 = await api(b, 'GET', '/worlds/w2');
      expect(after2.status).toBe(200);
      expect(after2.json.worldTime).toBeGreaterThanOrEqual(before2.worldTime);
      expect(after2.json.timeScale).toBe(2);
      expect(after2.json.entities).toBe(50);
      const restored = b.lines
        .filter((l) => l.msg === 'world restored')
        .map((l) => l.world)
        .sort();
      expect(restored).toEqual(['1', 'w2']);
      const stats = (await api(b, 'GET', '/worlds/1/stats')).json;
      expect(stats.checkpoint.restored.fromStep).toBeGreaterThan(0);
      // A deleted world stays deleted across the next restart.
      expect((await api(b, 'DELETE', '/worlds/w2')).status).toBe(200);
    } finally {
      expect(await stop(b)).toBe(0);
    }

    // c: no periodic checkpoints (a restored world takes none at start): its last checkpoint is the one b
    // wrote at shutdown. World time still survives the SIGKILL, through the clock record (every 10 steps).
    const c = await start(nextC);
    const nextD = await launch(data.dir, '0');
    let lastCheckpointStep: number;
    let before: Record<string, any>;
    try {
      expect((await api(c, 'GET', '/worlds/w2')).status).toBe(404);
      expect((await api(c, 'GET', '/worlds/1')).json.timeScale).toBe(7);
      lastCheckpointStep = (await api(c, 'GET', '/worlds/1/stats')).json.checkpoint.restored.fromStep;
      expect(lastCheckpointStep).toBeGreaterThan(0);
      // Well past the checkpoint: restoring world time from the checkpoint alone would lose more than 10 steps.
      await until('20 steps after the checkpoint', async () => (await api(c, 'GET', '/worlds/1')).json.step > lastCheckpointStep + 20);
      expect((await api(c, 'GET', '/worlds/1/stats')).json.checkpoint.saved).toBe(0);
      before = (await api(c, 'GET', '/worlds/1')).json;
    } finally {
      c.child.kill('SIGKILL');
      await once(c.child, 'exit');
    }
    const d = await start(nextD);
    try {
      const after = (await api(d, 'GET', '/worlds/1')).json;
      const stepWorldSeconds = before.tickIntervalSeconds * before.timeScale;
      // At most 10 steps of world time lost (plus the steps run between the GET and the kill). Exactly 10 is within the
      // bound: 1e-9 absorbs the last bit of the float sums (fresh-clone CI: 26.9 against a bound of 26.900000000000002).
      expect(after.worldTime).toBeGreaterThanOrEqual(before.worldTime - 10 * stepWorldSeconds - 1e-9);
      expect(after.timeScale).toBe(7);
      expect(after.entities).toBe(300);
      const stats = (await api(d, 'GET', '/worlds/1/stats')).json;
      expect(stats.checkpoint.restored.fromStep).toBe(lastCheckpointStep);
      // …whose world time is older than that: the time came from the clock record, not from it.
      expect(stats.checkpoint.restored.fromWorldTime).toBeLessThan(before.worldTime - 10 * stepWorldSeconds);
    } finally {
      expect(await stop(d)).toBe(0);
    }
  }, 90_000);
});
