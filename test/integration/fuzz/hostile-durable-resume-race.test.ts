/**
 * Hostile probe: one resume token replayed by many sockets at once after a restart, when only the
 * durable store knows it (SQLite here). Each hello's store lookup found the record resumable, so
 * before the fix every socket was welcomed `resumed = true` with the same token, each with its
 * own player entity of the same durable player: one session's token owned by several sessions.
 * Asserted: one lookup per token at a time — with an empty hello token, exactly one socket
 * resumes, the others get fresh players with tokens of their own (as the in-memory race already
 * answered); afterwards the token takes the resumed session over as documented (4011 on the old
 * socket). With the hello token of the player's identity, the hellos are served one after another
 * (one identity, one player per world): each takes the one player over from the previous socket.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/types.js';
import { openRaw } from '../../fuzz-helpers/raw-ws.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { startTestServer, type TestServer } from '../net/harness.js';

let ts: TestServer | null = null;
let store: Store | null = null;
afterEach(async () => {
  await ts?.stop();
  await store?.close();
  ts = null;
  store = null;
});

describe('hostile: concurrent durable resumes of one token', () => {
  it('exactly one socket resumes; the others get players and tokens of their own', async () => {
    store = await openStore({ dataDir: tempDataDir('wt-race-').dir });
    ts = await startTestServer({ store });
    const a = await openRaw(ts.url);
    a.send([1, 1, 'w1', 'alice', 'alice-tok', null]);
    const token = (await a.waitFor(16))[6] as string;
    await ts.stop(); // alice was live at shutdown: resumable from the store after the restart
    ts = await startTestServer({ store });

    const socks = await Promise.all(Array.from({ length: 6 }, () => openRaw(ts!.url)));
    for (const s of socks) s.send([1, 1, 'w1', 'alice', '', token]);
    const welcomes = await Promise.all(socks.map((s) => s.waitFor(16)));
    const resumed = welcomes.filter((w) => w[9] === true);
    expect(resumed.length).toBe(1);
    expect(resumed[0][6]).toBe(token);
    expect(new Set(welcomes.map((w) => w[6])).size).toBe(welcomes.length);
    expect(new Set(welcomes.map((w) => w[2])).size).toBe(welcomes.length);
    for (const s of socks) expect(s.errors()).toEqual([]);
    expect(ts.server.stats().internalErrors).toBe(0);

    // The token now names one live session: presenting it again takes that session over.
    const owner = socks[welcomes.indexOf(resumed[0])];
    const again = await openRaw(ts.url);
    again.send([1, 1, 'w1', 'alice', 'alice-tok', token]);
    const w = await again.waitFor(16);
    expect(w[9]).toBe(true);
    expect(w[2]).toBe(resumed[0][2]);
    expect(await owner.closed).toBe(4011);
  });

  it("with the identity's token, the hellos take the one player over in turn: one entity, one socket left", async () => {
    store = await openStore({ dataDir: tempDataDir('wt-race-').dir });
    ts = await startTestServer({ store });
    const a = await openRaw(ts.url);
    a.send([1, 1, 'w1', 'alice', 'alice-tok', null]);
    const token = (await a.waitFor(16))[6] as string;
    await ts.stop();
    ts = await startTestServer({ store });

    const socks = await Promise.all(Array.from({ length: 6 }, () => openRaw(ts!.url)));
    // Half present the resume token, half only the identity's token.
    for (const [i, s] of socks.entries()) s.send([1, 1, 'w1', 'alice', 'alice-tok', i % 2 === 0 ? token : null]);
    const welcomes = await Promise.all(socks.map((s) => s.waitFor(16)));
    expect(new Set(welcomes.map((w) => w[2])).size, 'one entity').toBe(1);
    expect(new Set(welcomes.map((w) => w[6])), "the session's one token").toEqual(new Set([token]));
    expect(welcomes.every((w) => w[9] === true)).toBe(true);
    for (const s of socks) expect(s.errors()).toEqual([]);
    const replaced = (): number => socks.filter((s) => s.code() === 4011).length;
    for (let i = 0; i < 500 && replaced() < 5; i++) await new Promise((r) => setTimeout(r, 10));
    expect(replaced(), 'every other socket replaced').toBe(5);
    const last = socks.find((s) => s.code() === 0);
    last?.send([3, 4]);
    await last?.waitFor(19, (m) => m[1] === 4);
    expect(socks.filter((s) => s.code() === 0).length, 'the newest socket plays').toBe(1);
    expect(ts.server.stats().internalErrors).toBe(0);
  });
});
