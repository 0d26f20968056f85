/**
 * A refused `join` (docs/GAME-API.md "Reference: worldtick/client") rejects with a coded error a
 * client can branch on — `WT_ERR_CLIENT_JOIN_REFUSED`, the server's wire code in
 * `details.wireCode` and its text in `details.message` — not a plain `Error` whose message had to be
 * parsed (the load-test bots did: src/bots/join-failure.ts). The message keeps its old form. Real
 * server, real WebSocket client.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, isWorldtickError } from '../../../src/client/index.js';
import { joinFailureReason } from '../../../src/bots/join-failure.js';
import { startTestServer, type TestServer } from './harness.js';

let ts: TestServer | null = null;
afterEach(async () => {
  await ts?.stop();
  ts = null;
});

const refusal = async (p: Promise<unknown>): Promise<unknown> => {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('join resolved; expected a refusal');
};

describe('WorldtickClient.join refused', () => {
  it('rejects WT_ERR_CLIENT_JOIN_REFUSED with the wire code (unknown world; a name too long)', { timeout: 15_000 }, async () => {
    ts = await startTestServer();
    const a = await ts.client();
    const unknown = await refusal(a.join('no-such-world', 'alice'));
    expect(isWorldtickError(unknown, ErrorCode.CLIENT_JOIN_REFUSED), String(unknown)).toBe(true);
    expect((unknown as { details: unknown }).details).toEqual({ wireCode: 'UNKNOWN_WORLD', message: 'no such world' });
    expect((unknown as Error).message).toBe('hello refused: UNKNOWN_WORLD no such world');
    expect(joinFailureReason(unknown)).toBe('UNKNOWN_WORLD');

    const b = await ts.client();
    const long = await refusal(b.join('w1', 'x'.repeat(40)));
    expect(isWorldtickError(long, ErrorCode.CLIENT_JOIN_REFUSED), String(long)).toBe(true);
    expect((long as { details: { wireCode: string } }).details.wireCode).toBe('OUT_OF_RANGE');
  });
});
