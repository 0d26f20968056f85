/**
 * A TCP proxy a test can cut, to simulate a network partition between a client and a server.
 *
 * `sever()` destroys every proxied connection and refuses new ones (closed at once) until
 * `heal()`; the client sees a dropped connection and its reconnects fail, as when a link is
 * down. Bytes are never dropped from a live connection, so protocol streams stay coherent.
 * `severOn(text)` cuts the link the moment a client sends `text` (a query's SQL, say): the cut
 * lands at one chosen point of a client's work instead of wherever a timer happens to fall.
 * `stallOn(text)` holds that one connection instead (its bytes from then on are not forwarded, the
 * others flow on): the request stays in flight, unanswered, until the test cuts that connection or
 * lets it go on (what it resolves to; `sever()` cuts all).
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** A connection held by {@link TcpProxy.stallOn}. */
export interface StalledConnection {
  /** Destroy it (both ends): the client's request fails. */
  cut(): void;
  /** Forward what it held and go on as before: the request is answered late. */
  release(): void;
}

/** A running proxy. */
export interface TcpProxy {
  /** Port the proxy listens on (127.0.0.1). */
  readonly port: number;
  sever(): void;
  heal(): void;
  /**
   * Sever (as {@link sever}) when a client next sends bytes containing `text` (those bytes are not
   * forwarded); resolves then. One pending trigger at a time.
   */
  severOn(text: string): Promise<void>;
  /** Hold (as the module comment says) the connection that next sends `text`; resolves then. One pending trigger at a time. */
  stallOn(text: string): Promise<StalledConnection>;
  close(): Promise<void>;
}

/** Starts a proxy on a free 127.0.0.1 port forwarding to `targetHost:targetPort`. */
export const startTcpProxy = (targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> => {
  const sockets = new Set<Socket>();
  let severed = false;
  let trigger: { text: Buffer; stall: boolean; fired: (held: StalledConnection) => void } | null = null;
  const sever = (): void => {
    severed = true;
    for (const s of [...sockets]) s.destroy();
  };
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
    // Watched before the pipe forwards it; the tail of the previous chunk catches text split across two.
    let tail = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      if (!trigger) return;
      const seen = Buffer.concat([tail, chunk]);
      if (seen.includes(trigger.text)) {
        const { fired, stall } = trigger;
        trigger = null;
        // Corked, the upstream keeps what the pipe writes (this chunk included) until the socket is destroyed.
        if (stall) upstream.cork();
        else sever();
        fired({
          cut: () => {
            client.destroy();
            upstream.destroy();
          },
          release: () => upstream.uncork(),
        });
        return;
      }
      tail = seen.subarray(Math.max(0, seen.length - trigger.text.length));
    });
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
        sever,
        heal() {
          severed = false;
        },
        severOn: (text) => new Promise<void>((fired) => (trigger = { text: Buffer.from(text), stall: false, fired: () => fired() })),
        stallOn: (text) => new Promise<StalledConnection>((fired) => (trigger = { text: Buffer.from(text), stall: true, fired })),
        close: () =>
          new Promise<void>((res) => {
            for (const s of [...sockets]) s.destroy();
            server.close(() => res());
          }),
      });
    });
  });
};
