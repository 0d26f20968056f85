/**
 * A raw HTTP/1.1 client for fuzzing: any method, any (unnormalised) path, any headers, lying
 * or partial bodies, aborts. Reads one response (status, headers, Content-Length body) and
 * closes the connection.
 */
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
 */
export const rawHttp = (port: number, req: RawRequest, waitMs = 3000): Promise<RawResponse | null> =>
  new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (r: RawResponse | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish(null), waitMs);
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
  if (method.toUpperCase() === 'HEAD') return { status: Number(m[1]), headers, body: Buffer.alloc(0) };
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
