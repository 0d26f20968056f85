/**
 * WebSocket upgrades the server may refuse (connection limits): the socket once open, or the HTTP
 * status, body and `Retry-After` of the refusal.
 */
import WebSocket from 'ws';

/** An opened socket, or the refused upgrade's answer. */
export type UpgradeOutcome = { open: true; ws: WebSocket } | { open: false; status: number; body: string; retryAfter: string | undefined };

/**
 * Open a socket to `url` (pushed to `sockets` for the test's cleanup); resolves once open or
 * refused. `headers` are sent with the upgrade request (an array value: one header line each).
 */
export const connectOrRefused = (url: string, sockets: WebSocket[], headers?: Record<string, string | string[]>): Promise<UpgradeOutcome> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url, headers ? { headers } : undefined);
    sockets.push(ws);
    ws.on('open', () => resolve({ open: true, ws }));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () =>
        resolve({ open: false, status: res.statusCode ?? 0, body, retryAfter: res.headers['retry-after'] as string | undefined }),
      );
    });
    ws.on('error', reject);
  });
