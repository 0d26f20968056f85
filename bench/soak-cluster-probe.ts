/**
 * What bench/soak-cluster.ts samples of each instance, from the outside: nothing in the server is
 * added for it. Each instance runs with `--inspect=127.0.0.1:<port>`; {@link inspectProcess} talks the
 * Chrome DevTools Protocol to it (`HeapProfiler.collectGarbage` three times, then
 * `Runtime.getHeapUsage` — the live heap of the main isolate after full GCs — and one
 * `Runtime.evaluate` of `process.getActiveResourcesInfo()` and `process.memoryUsage()`). The kernel
 * tells the rest: open descriptors (`/proc/<pid>/fd`) and the process's TCP connections to Redis and
 * to PostgreSQL (its socket inodes matched against `/proc/net/tcp{,6}`). Server side, once per sample:
 * Redis `CLIENT LIST` and `DBSIZE`, and PostgreSQL `pg_stat_activity` by `application_name` (each
 * instance's store URL names it).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Redis } from 'ioredis';
import pg from 'pg';
import WebSocket from 'ws';

/** One inspector sample of a process. */
export interface InspectSample {
  /** Main isolate heap used after three full GCs, bytes. */
  heapUsed: number;
  /** Of it, the code spaces (JIT code), bytes. */
  codeUsed: number;
  rss: number;
  external: number;
  arrayBuffers: number;
  /** `process.getActiveResourcesInfo()` by type (a timer per `Timeout`, a socket per `TCPSocketWrap`…). */
  resources: Record<string, number>;
  /** `performance.eventLoopUtilization()` read before the GCs: cumulative idle and active wall ms of the event loop. */
  elu: { idle: number; active: number };
}

/** A DevTools Protocol connection to a process's inspector. */
interface Cdp {
  call<T>(method: string, params?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  close(): void;
}

const connectCdp = async (inspectPort: number): Promise<Cdp> => {
  const list = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`, { signal: AbortSignal.timeout(5000) })).json()) as Array<{
    webSocketDebuggerUrl: string;
  }>;
  const url = list[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on port ${inspectPort}`);
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let next = 0;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  ws.on('message', (d: Buffer) => {
    const m = JSON.parse(d.toString()) as { id?: number; result?: unknown; error?: { message: string } };
    const w = m.id === undefined ? undefined : waiting.get(m.id);
    if (!w || m.id === undefined) return;
    waiting.delete(m.id);
    if (m.error) w.reject(new Error(m.error.message));
    else w.resolve(m.result);
  });
  ws.on('close', () => {
    for (const w of waiting.values()) w.reject(new Error('inspector closed'));
    waiting.clear();
  });
  return {
    call: <T>(method: string, params: Record<string, unknown> = {}, timeoutMs = 30_000) =>
      new Promise<T>((resolve, reject) => {
        const id = ++next;
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
        ws.send(JSON.stringify({ id, method, params }));
        setTimeout(() => {
          if (waiting.delete(id)) reject(new Error(`${method}: no answer in ${timeoutMs} ms`));
        }, timeoutMs).unref();
      }),
    close: () => ws.close(),
  };
};

// `require` is the inspector's command-line API (includeCommandLineAPI), not the program's.
const EXPR = `JSON.stringify((() => {
  const resources = {};
  for (const r of process.getActiveResourcesInfo()) resources[r] = (resources[r] || 0) + 1;
  const m = process.memoryUsage();
  let codeUsed = 0;
  for (const s of require('v8').getHeapSpaceStatistics()) if (s.space_name.startsWith('code')) codeUsed += s.space_used_size;
  return { resources, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers, codeUsed };
})())`;

/** Full GCs, then the heap and the live resources of the process whose inspector listens on `inspectPort`. */
export const inspectProcess = async (inspectPort: number): Promise<InspectSample> => {
  const cdp = await connectCdp(inspectPort);
  try {
    const e = await cdp.call<{ result: { value: string } }>('Runtime.evaluate', {
      expression: 'JSON.stringify(performance.eventLoopUtilization())',
      returnByValue: true,
    });
    const { idle, active } = JSON.parse(e.result.value) as { idle: number; active: number };
    for (let i = 0; i < 3; i++) await cdp.call('HeapProfiler.collectGarbage');
    const heap = await cdp.call<{ usedSize: number }>('Runtime.getHeapUsage');
    const ev = await cdp.call<{ result: { value: string } }>('Runtime.evaluate', {
      expression: EXPR,
      returnByValue: true,
      includeCommandLineAPI: true,
    });
    const v = JSON.parse(ev.result.value) as Omit<InspectSample, 'heapUsed' | 'elu'>;
    return { heapUsed: heap.usedSize, ...v, elu: { idle, active } };
  } finally {
    cdp.close();
  }
};

/** Full GCs, then have the process write a heap snapshot to `file` (v8.writeHeapSnapshot, through the inspector). */
export const writeSnapshot = async (inspectPort: number, file: string): Promise<void> => {
  const cdp = await connectCdp(inspectPort);
  try {
    for (let i = 0; i < 3; i++) await cdp.call('HeapProfiler.collectGarbage');
    await cdp.call(
      'Runtime.evaluate',
      { expression: `require('v8').writeHeapSnapshot(${JSON.stringify(file)})`, includeCommandLineAPI: true, returnByValue: true },
      300_000,
    );
  } finally {
    cdp.close();
  }
};

/** Open file descriptors of `pid`. */
export const openFds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

/** Established TCP connections by remote port, inode → remote port (IPv4 and IPv6 tables). */
const tcpByInode = (): Map<string, number> => {
  const out = new Map<string, number>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const rem = cols[2];
      const state = cols[3];
      const inode = cols[9];
      if (!rem || state !== '01' || !inode) continue; // 01: ESTABLISHED
      out.set(inode, Number.parseInt(rem.slice(rem.lastIndexOf(':') + 1), 16));
    }
  }
  return out;
};

/** What each open descriptor of `pid` points at (`socket:[inode]`, `pipe:[inode]`, a path); descriptors closed meanwhile left out. */
export const fdLinks = (pid: number): string[] => {
  const out: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      out.push(readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // closed meanwhile
    }
  }
  return out;
};

/** The process's established TCP connections to each of `ports` (client side: its own sockets). */
export const connectionsTo = (pid: number, ports: readonly number[]): Record<number, number> => {
  const tcp = tcpByInode();
  const out: Record<number, number> = {};
  for (const p of ports) out[p] = 0;
  for (const link of fdLinks(pid)) {
    const m = /^socket:\[(\d+)\]$/.exec(link);
    const port = m?.[1] === undefined ? undefined : tcp.get(m[1]);
    if (port !== undefined && out[port] !== undefined) out[port]++;
  }
  return out;
};

/**
 * Redis, server side: connected clients (this probe's own connection not counted), keys, and of them
 * the fencing-token keys `<prefix>fence:<world>` (kept by design for every world id ever created, docs/ADMIN.md).
 */
export const redisCounts = async (port: number): Promise<{ clients: number; keys: number; fenceKeys: number } | null> => {
  const r = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    retryStrategy: () => null,
  });
  r.on('error', () => {});
  try {
    await r.connect();
    const list = String(await r.call('CLIENT', 'LIST'));
    const clients = list.split('\n').filter((l) => l.trim().length > 0).length - 1;
    const keys = await r.dbsize();
    let fenceKeys = 0;
    let cursor = '0';
    do {
      const [next, batch] = await r.scan(cursor, 'MATCH', '*fence:*', 'COUNT', 1000);
      cursor = next;
      fenceKeys += batch.length;
    } while (cursor !== '0');
    return { clients, keys, fenceKeys };
  } catch {
    return null; // restarting
  } finally {
    r.disconnect();
  }
};

/** PostgreSQL, server side: sessions by `application_name` (a fenced write's transient mark stripped), this probe's own not counted. */
export const pgSessions = async (url: string): Promise<Record<string, number>> => {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    const r = await c.query<{ name: string; n: string }>(
      `SELECT regexp_replace(application_name, '^wtfence:\\S+ ', '') AS name, count(*) AS n FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY 1`,
    );
    const out: Record<string, number> = {};
    for (const row of r.rows) out[row.name || '(none)'] = Number(row.n);
    return out;
  } finally {
    await c.end();
  }
};
