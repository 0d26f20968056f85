/**
 * A TCP proxy a test can cut, to simulate a network partition between a client and a server.
 *
 * `sever()` destroys every proxied connection and refuses new ones (closed at once) until
 * `heal()`; the client sees a dropped connection and its reconnects fail, as when a link is
 * down. Bytes are never dropped from a live connection, so protocol streams stay coherent.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** A running proxy. */
export interface TcpProxy {
  /** Port the proxy listens on (127.0.0.1). */
  readonly port: number;
  sever(): void;
  heal(): void;
  close(): Promise<void>;
}

/** Starts a proxy on a free 127.0.0.1 port forwarding to `targetHost:targetPort`. */
export const startTcpProxy = (targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> => {
  const sockets = new Set<Socket>();
  let severed = false;
  const server: Server = createServer((client) => {
    if (severed) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: targetHost, port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      resolve({
        port,
        sever() {
          severed = true;
          for (const s of [...sockets]) s.destroy();
        },
        heal() {
          severed = false;
        },
        close: () =>
          new Promise<void>((res) => {
            for (const s of [...sockets]) s.destroy();
            server.close(() => res());
          }),
      });
    });
  });
};
