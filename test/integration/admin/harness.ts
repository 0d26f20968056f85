/**
 * Test harness: a real runtime (loop, default world, game server, admin server) on 127.0.0.1
 * with ports 0, started and stopped by a test's hooks ({@link useRuntime}), plus small HTTP helpers
 * (fetch for normal requests, raw sockets for the ones fetch cannot make: lying or streaming bodies, aborts).
 */
import net from 'node:net';
import { afterAll, beforeAll, expect } from 'vitest';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import { createRuntime, type Runtime } from '../../../src/server/runtime.js';
import { tempDataDir } from '../../helpers/data-dir.js';

export const TOKEN = 'test-admin-token';

export interface Started {
  runtime: Runtime;
  base: string;
  port: number;
  /** The runtime's `--data-dir` (its SQLite file, when no `--store` is given). */
  dataDir: string;
  stop(): Promise<void>;
}

/** Start a runtime with a small default world; extra CLI flags may override. */
export const startRuntime = async (flags: string[] = []): Promise<Started> => {
  const data = tempDataDir('wt-admin-');
  const options = parseOptions(
    [
      '--npcs',
      '800',
      '--port',
      '0',
      '--admin-port',
      '0',
      '--stats-interval',
      '0',
      '--admin-token',
      TOKEN,
      '--data-dir',
      data.dir,
      ...flags,
    ],
    {},
  );
  const runtime = createRuntime(options, createLogger('silent'));
  await runtime.start();
  const port = runtime.admin.port;
  return {
    runtime,
    port,
    base: `http://127.0.0.1:${port}`,
    dataDir: data.dir,
    stop: async () => {
      await runtime.stop();
      data.remove();
    },
  };
};

/**
 * The runtime of a test file or `describe` block: `startRuntime(flags)` in a `beforeAll`, `stop()` in
 * an `afterAll`, both registered where this is called — so the block's own `beforeAll` runs after the
 * start and its own `afterAll` before the stop (vitest runs after-hooks in reverse order). Read the
 * returned fields inside hooks and tests (before the start they throw). `timeoutMs`: the start's
 * hook timeout (default: the config's).
 */
export const useRuntime = (flags: string[] = [], timeoutMs?: number): Started => {
  let started: Started | undefined;
  const get = (): Started => {
    if (!started) throw new Error('useRuntime: the runtime is read before its beforeAll started it');
    return started;
  };
  beforeAll(async () => {
    started = await startRuntime(flags);
  }, timeoutMs);
  afterAll(async () => {
    await started?.stop();
  });
  return {
    get runtime() {
      return get().runtime;
    },
    get base() {
      return get().base;
    },
    get port() {
      return get().port;
    },
    get dataDir() {
      return get().dataDir;
    },
    stop: () => get().stop(),
  };
};

export interface CallOptions {
  body?: unknown;
  /** Raw body string (sent as is). */
  raw?: string;
  token?: string | null;
  headers?: Record<string, string>;
}

/** Make a request; returns status, headers and the parsed JSON (or text) body. */
export const call = async (base: string, method: string, path: string, o: CallOptions = {}) => {
  const headers: Record<string, string> = { ...o.headers };
  const token = o.token === undefined ? TOKEN : o.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (o.raw !== undefined) body = o.raw;
  else if (o.body !== undefined) {
    body = JSON.stringify(o.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, json, text };
};

/** `worldtick_admin_requests_total{status="400"}` of the admin server at `base` (0 before the first). */
export const count400 = async (base: string): Promise<number> => {
  const m = /^worldtick_admin_requests_total\{status="400"\} (\d+)/m.exec((await call(base, 'GET', '/metrics')).text);
  return m ? Number(m[1]) : 0;
};

/**
 * `method path` is answered 400 `WT_ERR_ADMIN_BAD_REQUEST` with `message`, counted once in
 * `worldtick_admin_requests_total{status="400"}`; returns the answer.
 */
export const expectRefused = async (base: string, method: string, path: string, message: string, o: CallOptions = {}) => {
  const before = await count400(base);
  const r = await call(base, method, path, o);
  expect(r.status, path).toBe(400);
  expect(r.json).toMatchObject({ code: 'WT_ERR_ADMIN_BAD_REQUEST', message });
  expect(await count400(base)).toBe(before + 1);
  return r;
};

/** Send raw bytes on a fresh TCP connection; resolves with everything received until close or `waitMs`. */
export const rawRequest = (port: number, chunks: string[], waitMs = 1500): Promise<string> =>
  new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let out = '';
    const done = (): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(out);
    };
    const timer = setTimeout(done, waitMs);
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => (out += d));
    sock.on('close', done);
    sock.on('error', (e) => (out ? done() : reject(e)));
    for (const c of chunks) sock.write(c);
  });

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
