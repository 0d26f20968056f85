/**
 * The crash campaign's server under test (bench/crash-campaign.ts): the real CLI
 * (`src/cli/main.ts`) in a child process on fixed ports (clients reconnect to the same URL after a
 * restart), killed with SIGKILL, its pino lines kept (errors are reported per iteration).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
/** Admin token of the server under test. */
export const CAMPAIGN_TOKEN = 'crash-campaign-admin-token';

/** A free 127.0.0.1 port. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How the server is started (the same every iteration of a run). */
export interface ServerSpec {
  dir: string;
  /** `--store` value (postgres://…) or null for SQLite in `dataDir`. */
  storeUrl: string | null;
  dataDir: string;
  npcs: number;
  checkpointInterval: number;
  port: number;
  adminPort: number;
  /** More CLI flags (cluster: `--redis`, `--instance-id`, `--lease-ttl`). */
  extraArgs?: string[];
  /** Node flags before the entry (bench/soak-cluster.ts: `--inspect=127.0.0.1:<port>`). */
  nodeArgs?: string[];
}

/** One running server process. */
export interface ServerProc {
  child: ChildProcess;
  /** Error and fatal pino lines (level >= 50), and stderr tails. */
  errors: string[];
  /** Every parsed pino line's `msg` with its level (kept short). */
  lines: Array<{ level: number; msg: string; err?: string }>;
  startedAt: number;
}

/** Write the server's config file (no purchase rate limit, a long resume grace). */
export const writeServerConfig = (spec: ServerSpec): string => {
  const file = join(spec.dir, 'config.json');
  writeFileSync(
    file,
    JSON.stringify({
      ledger: { rateLimit: { perSecond: 0 } },
      net: { messageRatePerSecond: 5000, messageBurst: 5000, resumeGraceSeconds: 120 },
    }),
  );
  return file;
};

/** Every server process spawned by this campaign (killed by {@link killAllServers} on the way out). */
const spawned = new Set<ServerProc>();

/** SIGKILL every server still running (the campaign ends, or failed half-way). */
export const killAllServers = async (): Promise<void> => {
  for (const p of spawned) await killServer(p);
};

/** Spawn the server (does not wait for it to listen). */
export const startServer = (spec: ServerSpec): ServerProc => {
  const config = join(spec.dir, 'config.json');
  const store = spec.storeUrl ? ['--store', spec.storeUrl] : ['--data-dir', spec.dataDir];
  const args = [
    ...(spec.nodeArgs ?? []),
    '--import',
    'tsx',
    MAIN,
    '--config',
    config,
    '--port',
    String(spec.port),
    '--admin-port',
    String(spec.adminPort),
    '--admin-token',
    CAMPAIGN_TOKEN,
    ...store,
    '--npcs',
    String(spec.npcs),
    '--world-size',
    '200',
    '--time-scale',
    '20000',
    '--stats-interval',
    '0',
    '--log-level',
    'info',
    '--checkpoint-interval',
    String(spec.checkpointInterval),
    '--starting-coins',
    '1000000',
    ...(spec.extraArgs ?? []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const proc: ServerProc = { child, errors: [], lines: [], startedAt: Date.now() };
  spawned.add(proc);
  child.once('exit', () => spawned.delete(proc));
  let buf = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    buf += d;
    let i = buf.indexOf('\n');
    while (i >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      i = buf.indexOf('\n');
      try {
        const j = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string; code?: string } };
        const entry = {
          level: j.level ?? 0,
          msg: String(j.msg ?? ''),
          ...(j.err ? { err: `${j.err.code ?? ''} ${j.err.message ?? ''}` } : {}),
        };
        if (proc.lines.length < 5000) proc.lines.push(entry);
        if (entry.level >= 50) proc.errors.push(`${entry.msg}${entry.err ? `: ${entry.err.slice(0, 300)}` : ''}`);
      } catch {
        /* not JSON */
      }
    }
  });
  let err = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    err += d;
    if (err.length > 20_000) err = err.slice(-10_000);
  });
  child.once('exit', (code, signal) => {
    if (signal !== 'SIGKILL' && code !== 0) proc.errors.push(`exited ${code ?? signal}: ${err.slice(-1500)}`);
  });
  return proc;
};

/** SIGKILL and wait for the exit. */
export const killServer = async (p: ServerProc): Promise<void> => {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGKILL');
  await exited;
};

/** Admin API call with the token (`timeoutMs`, default 10 s); `null` json when the body is not JSON. */
export const admin = async (
  adminPort: number,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 10_000,
): Promise<{ status: number; json: any; owner: string | null }> => {
  const res = await fetch(`http://127.0.0.1:${adminPort}${path}`, {
    method,
    headers: { authorization: `Bearer ${CAMPAIGN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  const owner = res.headers.get('x-worldtick-owner');
  try {
    return { status: res.status, json: JSON.parse(text), owner };
  } catch {
    return { status: res.status, json: null, owner };
  }
};

/** Wait until the admin API answers the default world's stats (the worlds are restored by then). */
export const waitUp = async (spec: ServerSpec, p: ServerProc, timeoutMs = 40_000): Promise<any> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (p.child.exitCode !== null) throw new Error(`server exited ${p.child.exitCode}: ${p.errors.join(' | ').slice(-1500)}`);
    try {
      const r = await admin(spec.adminPort, 'GET', '/api/v1/worlds/1/stats');
      if (r.status === 200) return r.json;
    } catch {
      /* not yet */
    }
    await sleep(100);
  }
  throw new Error(`server did not come up in ${timeoutMs} ms: ${p.errors.join(' | ').slice(-1500)}`);
};
