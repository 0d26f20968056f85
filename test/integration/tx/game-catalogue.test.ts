/**
 * Which catalogue a served game's ledger sells (admin `GET /api/v1/worlds/1/ledger`): the game's own
 * (`defineGame({ catalogue })`) when the server config names none; the config's `ledger.catalogue`
 * (`startServer` options or a `--config` file) when it does; the built-in default for a game
 * without one. A client of the game starts with the game's `startingCoins`.
 */
import { writeFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WS from 'ws';
import { defineGame, startServer, type StartServerOptions } from '../../../src/index.js';
import { WorldtickClient } from '../../../src/client/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const dataDir = tempDataDir('wt-game-catalogue-');
afterAll(() => dataDir.remove());

const shop = defineGame({
  name: 'shop',
  catalogue: [
    { id: 'apple', price: 3 },
    { id: 'lamp', price: 40 },
  ],
  startingCoins: 42,
});

let n = 0;
/** Start `game`, read its world's catalogue (and a new player's coins when `join`), stop. */
const serve = async (
  game: ReturnType<typeof defineGame>,
  o: StartServerOptions = {},
  join = false,
): Promise<{ ids: string[]; coins?: number }> => {
  const server = await startServer(game, {
    ...o,
    options: { port: 0, adminPort: 0, logLevel: 'silent', dataDir: `${dataDir.dir}/d${n++}`, ...o.options },
  });
  try {
    const res = await fetch(`http://127.0.0.1:${server.adminPort}/api/v1/worlds/1/ledger`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { catalogue: Array<{ id: string }> };
    const ids = body.catalogue.map((c) => c.id);
    if (!join) return { ids };
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: WS as never });
    await c.connect();
    // The start grant arrives as a wallet message (waited for from before the hello: docs/CONTRIBUTING.md).
    const wallet = c.waitFor((x) => x.type === 22 && (x as { coins: number }).coins > 0, 10_000);
    await c.join('1', 'pat', 'pat-token');
    const m = (await wallet) as { coins: number };
    const coins = m.coins;
    c.close();
    return { ids, coins };
  } finally {
    await server.stop();
  }
};

describe('a game declares its catalogue and starting coins', () => {
  it("serves the game's catalogue and starting coins when the config gives none", async () => {
    expect(await serve(shop, {}, true)).toEqual({ ids: ['apple', 'lamp'], coins: 42 });
  });

  it("the config's ledger.catalogue wins (startServer options, or a --config file)", async () => {
    expect((await serve(shop, { options: { ledger: { catalogue: [{ id: 'pear', price: 2 }] } } })).ids).toEqual(['pear']);
    const file = joinPath(dataDir.dir, 'c.json');
    writeFileSync(file, JSON.stringify({ ledger: { catalogue: [{ id: 'plum', price: 1 }] } }));
    expect((await serve(shop, { argv: ['--config', file] })).ids).toEqual(['plum']);
    // A config ledger block without a catalogue keeps the game's.
    expect((await serve(shop, { options: { ledger: { flushDelayMs: 1 } } })).ids).toEqual(['apple', 'lamp']);
  });

  it('a game without a catalogue sells the built-in default', async () => {
    expect((await serve(defineGame({ name: 'plain' }))).ids).toEqual(['potion', 'arrow', 'sword', 'shield']);
  });
});
