/**
 * A raw HTTP/1.1 client for fuzzing: any method, any (unnormalised) path, any headers, lying
 * or partial bodies, aborts. Reads one response (status, headers, Content-Length body) and
 * closes the connection.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface RawRequest {
  method: string;
  path: string;
  headers: Array<[string, string]>;
  body?: Buffer | string;
  /** Send only this many bytes of the body, then abort (destroy the socket). */
  abortAfterBodyBytes?: number;
}

/**
 * Send `req` on a fresh connection. Resolves the response, or null when the server closed the
 * connection without one (or `waitMs` passed: a request the server still waits on).
 *
 * `clock` is what `waitMs` is measured on: wall time by default. A test that asks "is the server
 * stuck?" passes the server process's CPU time ({@link processCpuMs}): a server that used `waitMs`
 * of its own CPU without answering holds its event loop; one that got little CPU on a loaded machine
 * is only slow, and is waited for (up to the test's timeout).
 */
export const rawHttp = (port: number, req: RawRequest, waitMs = 3000, clock?: () => number): Promise<RawResponse | null> =>
  new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (r: RawResponse | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(poll);
      sock.destroy();
      resolve(r);
    };
    const from = clock?.() ?? 0;
    const timer = clock ? undefined : setTimeout(() => finish(null), waitMs);
    const poll = clock ? setInterval(() => clock() - from >= waitMs && finish(null), 50) : undefined;
    sock.on('error', () => finish(null));
    sock.on('close', () => finish(tryParse(buf, req.method, true)));
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const r = tryParse(buf, req.method, false);
      if (r) finish(r);
    });
    const head = `${req.method} ${req.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${req.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
    const body = req.body === undefined ? Buffer.alloc(0) : Buffer.from(req.body);
    if (req.abortAfterBodyBytes !== undefined) {
      sock.write(Buffer.concat([Buffer.from(head, 'latin1'), body.subarray(0, req.abortAfterBodyBytes)]));
      setTimeout(() => finish(null), 20);
      return;
    }
    sock.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
  });

const tryParse = (buf: Buffer, method: string, atClose: boolean): RawResponse | null => {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!m) return null;
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const rest = buf.subarray(end + 4);
  // No body after a HEAD answer, a 204 or a 304, whatever the headers say (RFC 9112 §6.3).
  if (method.toUpperCase() === 'HEAD' || m[1] === '204' || m[1] === '304') return { status: Number(m[1]), headers, body: Buffer.alloc(0) };
  const cl = headers['content-length'];
  if (cl !== undefined) {
    const n = Number(cl);
    if (rest.length < n) return null;
    return { status: Number(m[1]), headers, body: rest.subarray(0, n) };
  }
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const out: Buffer[] = [];
    let p = 0;
    for (;;) {
      const le = rest.indexOf('\r\n', p);
      if (le < 0) return null;
      const size = parseInt(rest.subarray(p, le).toString('latin1'), 16);
      if (!Number.isFinite(size)) return null;
      if (size === 0) return { status: Number(m[1]), headers, body: Buffer.concat(out) };
      if (rest.length < le + 2 + size + 2) return null;
      out.push(rest.subarray(le + 2, le + 2 + size));
      p = le + 2 + size + 2;
    }
  }
  return atClose ? { status: Number(m[1]), headers, body: rest } : null;
};

/**
 * CPU time (user + system, ms) process `pid` has used so far, from /proc/<pid>/stat (in USER_HZ
 * ticks, 100 per second on Linux: 10 ms resolution). Where /proc is missing (not Linux) or the
 * process is gone, wall time (`performance.now`): the wait is then a wall-time wait as without it.
 */
export const processCpuMs = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after the command name (which is in parentheses and may hold spaces): utime is the 14th, stime the 15th field.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return performance.now();
  }
};
