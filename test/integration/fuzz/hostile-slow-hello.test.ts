/**
 * Hostile probe: a socket that keeps itself busy without ever joining. The hello timeout
 * (`helloTimeoutMs`, close 4003) counts from the socket's open, so pings (allowed before hello),
 * malformed hellos below the strike limit and hellos for unknown fields do not extend it. Holds;
 * guarded here (the existing test covers only an idle socket).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openRaw } from '../../fuzz-helpers/raw-ws.js';
import { settle, startTestServer, type TestServer } from '../net/harness.js';

let ts: TestServer | null = null;
afterEach(async () => {
  await ts?.stop();
  ts = null;
});

describe('hostile: a busy socket that never joins', () => {
  it('pings and malformed hellos do not extend the hello timeout (4003); a joined client is unaffected', async () => {
    ts = await startTestServer({ net: { helloTimeoutMs: 400 } });
    const player = await ts.client();
    await player.join('w1', 'p');
    const busy = await openRaw(ts.url);
    let n = 0;
    const timer = setInterval(() => {
      n++;
      busy.send([3, n]); // ping: answered, never a hello
      if (n % 10 === 0) busy.send([1, 1, 'w1', '', '', null]); // name too short: OUT_OF_RANGE, a strike
    }, 20);
    const code = await busy.closed;
    clearInterval(timer);
    expect(code).toBe(4003);
    expect(busy.msgs.filter((m) => m[0] === 19).length).toBeGreaterThan(0);
    expect(busy.errors().every((e) => e === 'OUT_OF_RANGE')).toBe(true);
    await settle(20);
    const st = ts.server.stats();
    expect(st.closesByCode['4003']).toBe(1);
    expect(st.sessions).toBe(1);
    expect(st.internalErrors).toBe(0);
    expect(player.closeCode).toBe(0); // still open
  });
});
