/**
 * A TCP proxy in front of PostgreSQL that, once armed, loses the answer of the next COMMIT: the
 * client's `COMMIT` query is forwarded to the server, then the client's connection is cut before any
 * reply reaches it (the server side is held open a moment so the server reads and runs the COMMIT).
 * The client sees a connection lost in the middle of a commit that did land — the ambiguous failure
 * an exactly-once retry must handle. Fires once per `arm()`. Armed with `hold`, it then also cuts
 * every new connection at once until `release()`: the retry keeps failing while the test writes
 * through another connection, so "written after the batch committed, before its retry" is certain.
 */
import { createConnection, createServer, type Socket } from 'node:net';

/** A running proxy. */
export interface CommitCutProxy {
  readonly port: number;
  /** Cut the connection that sends the next COMMIT, after forwarding it (`hold`: then refuse new connections until `release`). */
  arm(options?: { hold?: boolean }): void;
  /** Let new connections through again. */
  release(): void;
  /** COMMITs whose answer was lost so far. */
  readonly cuts: number;
  close(): Promise<void>;
}

/** The simple-query message of `COMMIT` as node-postgres sends it (`Q`, int32 length, text, NUL). */
const COMMIT = Buffer.concat([Buffer.from('Q'), Buffer.from([0, 0, 0, 11]), Buffer.from('COMMIT\0')]);

/** Start a proxy on a free 127.0.0.1 port forwarding to `targetPort`. */
export const startCommitCutProxy = (targetPort: number): Promise<CommitCutProxy> => {
  const sockets = new Set<Socket>();
  let armed = false;
  let holdNext = false;
  let held = false;
  let cuts = 0;
  const server = createServer((client) => {
    if (held) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    let cut = false;
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('close', () => {
      if (!cut) upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      if (armed && chunk.includes(COMMIT)) {
        armed = false;
        held = holdNext;
        cut = true;
        cuts++;
        client.destroy(); // no reply reaches the client
        setTimeout(() => upstream.destroy(), 300).unref(); // the server reads and runs the COMMIT meanwhile
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!cut) client.write(chunk);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      resolve({
        port,
        arm: (options) => {
          armed = true;
          holdNext = options?.hold ?? false;
        },
        release: () => {
          held = false;
        },
        get cuts() {
          return cuts;
        },
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
};
