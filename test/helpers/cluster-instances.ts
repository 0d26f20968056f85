/**
 * Starts worldtick instances as child processes (the program `npm start` execs, src/cli/main.ts,
 * compiled once per run: test/helpers/child-node.ts) for cluster tests, finds their bound ports from their pino log lines, and talks to their admin API.
 */
import { tempDataDir } from './data-dir.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { childNodeArgs } from './child-node.js';
import { collectJsonLines } from './log-lines.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Admin token (and ticket secret) shared by the test cluster. */
export const CLUSTER_TOKEN = 'cluster-test-token-0123456789abcdef';

/** A request on an instance's admin API with the cluster token: status, JSON body (or the text), text and headers. */
export const adminApi = async (
  adminUrl: string,
  method: string,
  path: string,
  body: unknown,
  timeoutMs: number,
): Promise<{ status: number; json: any; text: string; headers: Headers }> => {
  const res = await fetch(`${adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${CLUSTER_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json, text, headers: res.headers };
};

/** A running instance. */
export interface TestInstance {
  readonly id: string;
  readonly child: ChildProcess;
  readonly gameUrl: string;
  readonly adminUrl: string;
  /** Parsed JSON log lines so far. */
  readonly lines: Array<Record<string, unknown>>;
  /** GET/POST/PUT on the admin API with the token; resolves status, JSON body and headers. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any; text: string; headers: Headers }>;
  /** SIGTERM and wait for exit (SIGKILL after 5 s). Idempotent. */
  stop(): Promise<void>;
}

/** How {@link startInstance} runs an instance besides its arguments. */
export interface InstanceSpawnOptions {
  /** Another entry point than src/cli/main.ts (a game's main calling `runMain`, same options). */
  main?: string;
  /** Added to its environment. */
  env?: Record<string, string>;
  /**
   * A command that runs node for it, e.g. a network namespace's `['ip', 'netns', 'exec', ns]`
   * (test/helpers/netns-link.ts; it execs node in place: the child's pid is node's). Such an instance
   * binds `--host` (an address of the namespace): its URLs carry that host.
   */
  wrap?: readonly string[];
}

/**
 * Start one instance with `args` (plus `--port 0 --admin-port 0`); resolves once both servers listen.
 */
export const startInstance = async (id: string, args: string[], o: InstanceSpawnOptions = {}): Promise<TestInstance> =>
  listening(spawnInstance(id, args, o, await childNodeArgs(o.main ?? 'src/cli/main.ts')));

/**
 * {@link startInstance} ahead of its turn (test/helpers/warm-main.ts): the process loads its modules
 * now and runs its entry on `go()`, which resolves as {@link startInstance} does. Say go only once
 * what must come first happened (the instance before it on the same data directory exited, another
 * instance took the worlds it must not). `kill()` ends one that is not needed after all (no-op after `go()`:
 * the started instance is the caller's to stop).
 */
export const launchInstance = async (
  id: string,
  args: string[],
  o: { main?: string; env?: Record<string, string> } = {},
): Promise<{ go: () => Promise<TestInstance>; kill: () => void }> => {
  const s = spawnInstance(id, args, { ...o, env: { ...o.env, WT_WARM_ENTRY: o.main ?? 'src/cli/main.ts' } }, [
    ...(await childNodeArgs('test/helpers/warm-main.ts')),
  ]);
  s.child.stdin?.on('error', () => {}); // killed before its go: EPIPE
  let went = false;
  return {
    go: () => {
      went = true;
      s.child.stdin?.end('go\n');
      return listening(s);
    },
    kill: () => {
      if (!went && s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    },
  };
};

/**
 * Start instance `first`, wait for `ready(first)` (say, until it owns the default world), then the
 * `rest` at once. The rest load their modules meanwhile ({@link launchInstance}) and open, bind and
 * join nothing before. Each instance is pushed to `into` once it listens (the caller's `afterAll`
 * stops them); the launched ones are killed when `first` or `ready` fails.
 */
export const startFirstThenRest = async (
  into: TestInstance[],
  first: [id: string, args: string[]],
  rest: Array<[id: string, args: string[]]>,
  ready: (first: TestInstance) => Promise<unknown>,
): Promise<void> => {
  const warm = await Promise.all(rest.map(([id, args]) => launchInstance(id, args)));
  try {
    const a = await startInstance(...first);
    into.push(a);
    await ready(a);
  } catch (err) {
    for (const w of warm) w.kill();
    throw err;
  }
  const started = await Promise.allSettled(warm.map((w) => w.go()));
  for (const r of started) if (r.status === 'fulfilled') into.push(r.value);
  for (const r of started) if (r.status === 'rejected') throw r.reason;
};

/** Until `i` owns the default world "1" (the usual readiness of the first instance started). */
export const ownsDefaultWorld = (i: TestInstance): Promise<unknown> =>
  until(`${i.id} owns world 1`, async () => (await ownersFrom(i))['1'] === i.id);

/**
 * {@link startFirstThenRest} with the same `args` for every instance: `ids[0]` first, until it owns the
 * default world (the others then hold standby copies of it), then the rest at once.
 */
export const startDefaultOwnerThenRest = (into: TestInstance[], ids: string[], args: string[]): Promise<void> =>
  startFirstThenRest(
    into,
    [ids[0] ?? 'a', args],
    ids.slice(1).map((id) => [id, args]),
    ownsDefaultWorld,
  );

/**
 * Instances a, b, c with `args` ({@link startDefaultOwnerThenRest}) and admin world `f1` (`f1Npcs` NPCs) created
 * on a: resolves once every instance sees three and a owns both `1` and `f1` (the failover tests' start).
 */
export const startThreeAOwningF1 = async (into: TestInstance[], args: string[], f1Npcs: number): Promise<void> => {
  await startDefaultOwnerThenRest(into, ['a', 'b', 'c'], args);
  const [a, b] = into as [TestInstance, TestInstance];
  const created = await createWorld(a, { id: 'f1', npcs: f1Npcs }, '?placement=local');
  if (created.status !== 201) throw new Error(`creating f1 on a: ${created.status} ${created.text}`);
  // What the last poll saw, named when it times out (double run 46: a timeout on a starved machine, nothing more said).
  let seen = '';
  await until('every instance sees 3 instances; a owns 1 and f1', async () => {
    const counts: number[] = [];
    for (const i of into) counts.push((await i.api('GET', '/api/v1/cluster')).json.instances.length);
    const o = await ownersFrom(b);
    seen = `instances seen ${JSON.stringify(counts)}, owners ${JSON.stringify(o)}`;
    return counts.every((n) => n === 3) && o['1'] === 'a' && o.f1 === 'a';
  }).catch((err: Error) => {
    throw new Error(`${err.message} (last poll: ${seen})`);
  });
};

interface Spawned {
  id: string;
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  closed: Promise<void>;
  stderr: () => string;
}

const spawnInstance = (id: string, args: string[], o: Omit<InstanceSpawnOptions, 'main'>, nodeArgs: string[]): Spawned => {
  // Each instance its own throwaway store unless the test gives one (never the repository's ./data).
  const dataDir = args.includes('--data-dir') || args.includes('--store') ? [] : ['--data-dir', tempDataDir(`wt-${id}-`).dir];
  const [cmd = process.execPath, ...wrapArgs] = o.wrap?.length ? [...o.wrap, process.execPath] : [];
  const child = spawn(cmd, [...wrapArgs, ...nodeArgs, '--port', '0', '--admin-port', '0', '--instance-id', id, ...dataDir, ...args], {
    cwd: ROOT,
    stdio: [o.env?.WT_WARM_ENTRY === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], // a warm start waits for its go on stdin
    env: { ...process.env, ...o.env, WORLDTICK_ADMIN_TOKEN: CLUSTER_TOKEN },
  });
  const lines = collectJsonLines(child.stdout!);
  // 'close' comes after the child's output was read to its end ('exit' may come before its last lines).
  const closed = new Promise<void>((r) => child.once('close', () => r()));
  let err = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (err += d));
  return { id, child, lines, closed, stderr: () => err };
};

const listening = async ({ id, child, lines, closed, stderr }: Spawned): Promise<TestInstance> => {
  const deadline = Date.now() + 30_000;
  let gamePort = 0;
  let gameHost = '127.0.0.1';
  let adminUrl = '';
  while (Date.now() < deadline && (!gamePort || !adminUrl)) {
    if (child.exitCode !== null) throw new Error(`instance ${id} exited ${child.exitCode}: ${stderr().slice(-2000)}`);
    for (const l of lines) {
      if (l.msg === 'game server listening') {
        gamePort = l.port as number;
        if (typeof l.host === 'string' && l.host !== '0.0.0.0' && l.host !== '::') gameHost = l.host;
      }
      if (typeof l.msg === 'string' && l.msg.startsWith('admin listening')) adminUrl = String(l.url).replace(/\/$/, '');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!gamePort || !adminUrl) {
    child.kill('SIGKILL'); // never leave a process behind that the test got no handle to stop
    throw new Error(`instance ${id} did not start: ${stderr().slice(-2000)}`);
  }
  let stopped = false;
  return {
    id,
    child,
    gameUrl: `ws://${gameHost}:${gamePort}`,
    adminUrl,
    lines,
    api: (method, path, body) => adminApi(adminUrl, method, path, body, 10_000),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await once(child, 'exit');
        clearTimeout(t);
      }
      await closed; // every line it wrote is in `lines`
    },
  };
};

/** An instance's log line saying it stopped stepping a world whose lease it cannot prove (src/server/cluster-watchdog.ts). */
export const leaseLostLine = (m: Record<string, unknown>): boolean =>
  m.msg === 'cluster: cannot prove ownership of the world, stopped stepping';

/** Poll `fn` until it returns a truthy value (or throw after `timeoutMs`). */
export const until = async <T>(
  what: string,
  fn: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs = 20_000,
  everyMs = 100,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
};

/** What the polling helpers need of an instance: a child process ({@link TestInstance}) or an in-process runtime (cluster-runtimes.ts). */
export interface ApiInstance {
  readonly id: string;
  readonly lines: Array<Record<string, unknown>>;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any; text: string; headers: Headers }>;
}

/** Owner instance id of each world, from one instance's `GET /api/v1/cluster`. */
export const ownersFrom = async (inst: ApiInstance): Promise<Record<string, string>> => {
  const r = await inst.api('GET', '/api/v1/cluster');
  const out: Record<string, string> = {};
  for (const l of r.json.leases as Array<{ worldId: string; instanceId: string }>) out[l.worldId] = l.instanceId;
  return out;
};

/** The 503 codes a client retries after `Retry-After` (docs/ADMIN.md): the world was not created. */
const RETRIED_CREATE_CODES = new Set(['WT_ERR_WORLD_NOT_DURABLE', 'WT_ERR_CLUSTER_UNAVAILABLE']);

/**
 * `POST {path}` with `body` on `inst`'s admin API as a client of `POST /api/v1/worlds` should do it: a
 * `503 WT_ERR_WORLD_NOT_DURABLE` (the world was not created, nothing kept: docs/ADMIN.md "A create
 * answered 503"; on a loaded machine the record or the lease's claim missed its bound) or `503
 * WT_ERR_CLUSTER_UNAVAILABLE` is sent again, the same request, after its `Retry-After`, up to `attempts`
 * times in all. Resolves the last answer and the 503s answered before it. Any other answer is final: a
 * retry answered 409 means the refused create left its world behind.
 */
export const createRetrying = async (
  inst: Pick<ApiInstance, 'api'>,
  path: string,
  body: unknown,
  attempts = 5,
): Promise<{ status: number; json: any; text: string; headers: Headers; refused: string[] }> => {
  const refused: string[] = [];
  for (;;) {
    const r = await inst.api('POST', path, body);
    const code = String(r.json?.code ?? '');
    if (r.status !== 503 || !RETRIED_CREATE_CODES.has(code) || refused.length + 1 >= attempts) return { ...r, refused };
    refused.push(`${code}: ${String(r.json?.message ?? '')}`);
    await new Promise((resolve) => setTimeout(resolve, 1000 * Number(r.headers.get('retry-after') ?? 1)));
  }
};

/** {@link createRetrying} of `POST /api/v1/worlds{query}` through `i`, up to `tries` attempts; a test asserts the status (201). */
export const createWorld = (i: Pick<ApiInstance, 'api'>, body: unknown, query = '', tries = 3) =>
  createRetrying(i, `/api/v1/worlds${query}`, body, tries);
