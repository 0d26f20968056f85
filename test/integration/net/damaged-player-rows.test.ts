/**
 * A player or session row whose `data` JSON does not parse (a flipped bit on disk, a hand edit of the
 * SQLite file) is read as unreadable data (src/store/rows.ts): the resume still works (its token, player,
 * world and expiry are their own columns), the player joins at the hello's position (the stored one is
 * lost), and its next save writes the record whole again. Before, the row's `SyntaxError` failed every
 * hello of that player with `UNAVAILABLE` "session store unavailable; retry" (close 4013): an
 * authenticated player could never join that server again, and was told to retry.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { playerIdOfToken } from '../../../src/net/durable-sessions.js';
import { openStore } from '../../../src/store/open-store.js';
import { isUnreadableJson } from '../../../src/store/rows.js';
import type { Store } from '../../../src/store/types.js';
import { fileTempDirs } from '../../helpers/data-dir.js';
import { settle, startTestServer, type TestServer } from './harness.js';

const tempDir = fileTempDirs();
let ts: TestServer | null = null;
let store: Store | null = null;
afterEach(async () => {
  await ts?.stop();
  ts = null;
  await store?.close();
  store = null;
});

describe('damaged player and session rows', () => {
  it('a resume and a returning player join; the damaged record is written whole again', async () => {
    const dir = tempDir('wt-damaged-rows-');
    store = await openStore({ dataDir: dir });
    ts = await startTestServer({ store });
    const a = await (await ts.client()).join('w1', 'pa', 'tok-a');
    await (await ts.client()).join('w1', 'pb', 'tok-b');
    await ts.idle();
    await ts.stop(); // parks both sessions and saves their players
    ts = null;
    await store.close();

    const db = new Database(join(dir, 'worldtick.sqlite'));
    expect(db.prepare('UPDATE sessions SET data = ? WHERE token = ?').run('{"live":', a.resumeToken).changes).toBe(1);
    expect(db.prepare('UPDATE players SET data = ?').run('x{').changes).toBe(2);
    db.close();

    store = await openStore({ dataDir: dir });
    const b = await store.getPlayer(playerIdOfToken('tok-b'));
    expect(isUnreadableJson(b?.data)).toBe(true);
    expect(b?.name).toBe('pb');
    ts = await startTestServer({ store });
    const again = await (await ts.client()).join('w1', 'pa', 'tok-a', a.resumeToken);
    expect(again.resumed).toBe(true);
    expect(again.resumeToken).toBe(a.resumeToken);
    const back = await (await ts.client()).join('w1', 'pb', 'tok-b');
    expect(back.resumed).toBe(false);
    await ts.idle();
    await ts.stop(); // saves both players again
    ts = null;
    for (let i = 0; i < 50 && isUnreadableJson((await store.getPlayer(playerIdOfToken('tok-b')))?.data); i++) await settle(20);
    for (const t of ['tok-a', 'tok-b']) expect((await store.getPlayer(playerIdOfToken(t)))?.data).toMatchObject({ worldId: 'w1' });
  });
});
