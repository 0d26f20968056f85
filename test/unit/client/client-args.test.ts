/**
 * The client library's methods check their arguments' types before anything is sent or waited for
 * (src/client/client-args.ts): `WT_ERR_OPTION_INVALID` naming the method and the argument. Each case
 * here threw a TypeError or RangeError before (found by test/integration/fuzz/client-api-fuzz.test.ts,
 * stop 66) or went out as a frame the server could only refuse; nothing of it is sent. A real `ws`
 * WebSocket against a real uWS game server (the runtime's), so the checks run on an open socket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorldtickClient } from '../../../src/client/client.js';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import { createRuntime, type Runtime } from '../../../src/server/runtime.js';
import { runtimeClient } from '../../helpers/runtime-client.js';

let rt: Runtime;
let c: WorldtickClient;
beforeAll(async () => {
  rt = createRuntime(
    parseOptions(['--port', '0', '--admin-port', '0', '--npcs', '5', '--stats-interval', '0'], {}),
    createLogger('silent'),
  );
  await rt.start();
  c = await runtimeClient(rt);
});
afterAll(async () => {
  c?.close();
  await rt?.stop();
});

const BAD: ReadonlyArray<[string, (c: WorldtickClient) => unknown, RegExp]> = [
  ['waitForStep, a step that is an object', (c) => c.waitForStep({ toString: [] } as never), /waitForStep: step must be a number/],
  ['waitFor, a timeout that is a Symbol', (c) => c.waitFor(() => true, Symbol('t') as never), /waitFor: timeoutMs must be a number of ms/],
  ['ping, a timeout past the longest timer', (c) => c.ping(2 ** 31), /ping: timeoutMs must be a number of ms from 0 to 2147483647/],
  ['purchase, a key that is a BigInt', (c) => c.purchase(10n as never, 'sword', 1, 5), /purchase: key must be a string \(got 10\)/],
  ['join, a world id that is a number', (c) => c.join(1 as never, 'p'), /join: worldId must be a string/],
  ['sendInput, a move that is a string', (c) => c.sendInput('1' as never, 0), /sendInput: moveX must be a number \(got "1"\)/],
  ['sendMessage, a name that is null', (c) => c.sendMessage(null as never, {}), /sendMessage: name must be a string/],
  ['sendMessage, a payload msgpack has no form for', (c) => c.sendMessage('m', Symbol('p')), /cannot be encoded as msgpack/],
  ['close, a code a client may not send', (c) => c.close(1006), /close: code must be 1000 or an integer 3000\.\.4999/],
  ['close, a reason over 123 bytes', (c) => c.close(1000, 'é'.repeat(62)), /close: reason must be a string of at most 123 UTF-8 bytes/],
  ['onMessage, a name that is a number', (c) => c.onMessage(5 as never, () => undefined), /onMessage: name must be a string/],
];

describe('the client library checks its arguments', () => {
  it('refuses each bad argument with WT_ERR_OPTION_INVALID, the socket still open and nothing sent', async () => {
    for (const [what, call, message] of BAD) {
      let err: unknown = null;
      try {
        await call(c);
      } catch (e) {
        err = e;
      }
      expect(err, what).toMatchObject({ code: 'WT_ERR_OPTION_INVALID', message: expect.stringMatching(message) });
      expect(c.open, what).toBe(true);
    }
    // Nothing went out: the server, past a ping's round trip, answered no error frame (a frame sent before the
    // hello is answered NOT_JOINED, a bad field BAD_FIELD); the socket is usable, a join answers.
    expect(await c.ping()).toBeGreaterThanOrEqual(0);
    expect(c.errors).toEqual([]);
    await c.join('1', 'p');
  });
});
