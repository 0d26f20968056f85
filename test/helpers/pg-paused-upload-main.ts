/**
 * A writer paused while it is still sending a statement, run as a process by
 * test/helpers/pg-paused-upload.ts: `node test/helpers/pg-paused-upload-main.ts <json>` with
 * `{ url, worldId, token, idleInTransactionTimeoutMs, bytes }`. It opens the product's PostgreSQL
 * store (one pooled connection), prints `{"msg":"open"}` and saves a fenced checkpoint of `bytes`
 * bytes. The INSERT carrying it is the one large socket write: half of it goes out, and once that
 * half has left the process it prints `{"msg":"paused"}` and SIGSTOPs itself — the server has the
 * start of the message and waits for the rest, the transaction already holds the world's fence row.
 * Resumed (SIGCONT), it sends the rest, prints `{"msg":"save",…}` with the outcome, saves once more
 * (`{"msg":"retry",…}`), closes the store and exits.
 */
import { Socket } from 'node:net';
import { PostgresStore } from '../../src/store/postgres-store.js';

interface Args {
  url: string;
  worldId: string;
  token: number;
  idleInTransactionTimeoutMs: number;
  bytes: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const say = (o: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(o)}\n`); // a pipe: written before the next line runs
};
const outcome = (err: unknown): Record<string, unknown> => {
  const e = err as { code?: unknown; message?: unknown; details?: { reason?: unknown } };
  return { ok: false, code: e.code, reason: e.details?.reason, message: String(e.message) };
};

const store = await PostgresStore.open({
  url: args.url,
  maxConnections: 1,
  queryTimeoutMs: 30_000,
  idleInTransactionTimeoutMs: args.idleInTransactionTimeoutMs,
});
say({ msg: 'open' });

// The pause point: the first socket write of at least half the checkpoint (the INSERT's message).
const write = Socket.prototype.write;
let armed = true;
Socket.prototype.write = function (this: Socket, chunk: unknown, ...rest: unknown[]): boolean {
  if (!armed || !Buffer.isBuffer(chunk) || chunk.length < args.bytes / 2) return Reflect.apply(write, this, [chunk, ...rest]);
  armed = false;
  const half = chunk.length >> 1;
  Reflect.apply(write, this, [chunk.subarray(0, half)]);
  const stopWhenSent = (): void => {
    if (this.writableLength > 0) {
      setImmediate(stopWhenSent);
      return;
    }
    say({ msg: 'paused', sent: half, of: chunk.length });
    process.kill(process.pid, 'SIGSTOP');
    Reflect.apply(write, this, [chunk.subarray(half), ...rest]);
  };
  setImmediate(stopWhenSent);
  return true;
};

const checkpoint = {
  worldId: args.worldId,
  step: 1,
  worldTime: 0.05,
  config: {},
  data: new Uint8Array(args.bytes).fill(7),
  fencingToken: args.token,
};
const fence = { worldId: args.worldId, token: args.token };
for (const msg of ['save', 'retry']) {
  try {
    await store.saveCheckpoint(checkpoint, { fence });
    say({ msg, ok: true });
  } catch (err) {
    say({ msg, ...outcome(err) });
  }
}
await store.close();
