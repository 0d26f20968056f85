/**
 * Ports for the throwaway servers of the tests: {@link freePort} (whatever a bind to port 0 gives) and
 * {@link serverPort}, for a server stopped and started again on the same port while its clients keep
 * its address (test/helpers/postgres-server.ts, the Redis of redis-data-loss.test.ts).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** A port free now: bind port 0 on 127.0.0.1, read it, close it (another process can take it before it is used). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });

/** The kernel's ephemeral port range (what a bind to port 0 and an outgoing connection take from). */
const ephemeralRange = (): [number, number] => {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo !== undefined && hi !== undefined && lo > 0 && hi >= lo) return [lo, hi];
  } catch {
    /* not Linux */
  }
  return [32768, 60999]; // Linux's default
};

/** Whether `port` can be bound on 127.0.0.1 now (bound and closed again). */
const bindable = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

/**
 * A free port for a server that must keep it across a restart: a random one from the 12,000 below
 * the ephemeral range (20000-31999 with Linux's defaults), so nothing picking a port with a bind to
 * port 0 ({@link freePort}, the redis-server and uWS servers of other tests) is handed it while the
 * server is down. {@link freePort} when the range below is too small or 20 picks were all taken.
 */
export const serverPort = async (): Promise<number> => {
  const hi = ephemeralRange()[0] - 1;
  const lo = Math.max(1024, hi - 12_000 + 1);
  if (hi - lo < 1000) return freePort();
  for (let i = 0; i < 20; i++) {
    const port = lo + Math.floor(Math.random() * (hi - lo + 1));
    if (await bindable(port)) return port;
  }
  return freePort();
};
