/**
 * One `hello` on a fresh WebSocket, as a client written from docs/PROTOCOL.md sends it (msgpack array frames), and what
 * came back: the cluster hello tests (test/integration/cluster/hand-sent-requests.test.ts, test/integration/fuzz/cluster-hello-fuzz.test.ts).
 */
import { pack, unpack } from 'msgpackr';
import WebSocket from 'ws';
import { until } from './cluster-instances.js';

/** What a hello got: the messages (decoded arrays), the close code (null: the test closed first), the frame's bytes. */
export interface HelloAnswer {
  readonly msgs: unknown[][];
  readonly code: number | null;
  readonly sent: number;
}

/** A welcome, a redirect or an error came. */
export const answered = (msgs: readonly unknown[][]): boolean => msgs.some((m) => m[0] === 16 || m[0] === 20 || m[0] === 23);

/**
 * Open `url`, send `frame`, collect until `done(msgs)` or the close (at most 5 s), then let a closing answer end
 * (100 ms more, so its close code is seen) and close.
 */
export const sendHello = async (
  url: string,
  frame: unknown[],
  done: (msgs: readonly unknown[][]) => boolean = answered,
): Promise<HelloAnswer> => {
  const ws = new WebSocket(url);
  const msgs: unknown[][] = [];
  let code: number | null = null;
  const closed = new Promise<void>((r) =>
    ws.on('close', (c) => {
      code = c;
      r();
    }),
  );
  ws.on('error', () => {});
  ws.on('message', (d: Buffer) => msgs.push(unpack(d) as unknown[]));
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  const bytes = pack(frame);
  ws.send(bytes);
  await Promise.race([closed, until('an answer', () => done(msgs), 5000).catch(() => undefined)]);
  await Promise.race([closed, new Promise((r) => setTimeout(r, 100))]);
  ws.close();
  await closed;
  return { msgs, code, sent: bytes.length };
};
