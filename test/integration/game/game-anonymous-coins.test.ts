/**
 * `defineGame({ anonymousStartingCoins })`: the game decides what anonymous players (`g:` ids: an
 * empty or class-only token) are granted, as it decides `startingCoins` and its catalogue. Before,
 * only the server config's `ledger.anonymousStartingCoins` could, so a game that hands named players
 * coins could not keep free coins from anyone opening an anonymous session. The config's value still
 * wins over the game's. Real server on SQLite in a temporary directory, real WebSocket clients.
 */
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { type WalletMsg, WorldtickClient, type WebSocketCtor } from '../../../src/client/index.js';
import { defineGame, type RunningServer, startServer } from '../../../src/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const game = defineGame({
  name: 'anon-coins',
  world: { size: 100, npcs: 0, physics: 'off' },
  catalogue: [{ id: 'arrow', price: 1 }],
  startingCoins: 100,
  anonymousStartingCoins: 0,
});

const dirs: Array<{ remove: () => void }> = [];
let server: RunningServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
  for (const d of dirs.splice(0)) d.remove();
});

const boot = async (ledger?: unknown): Promise<RunningServer> => {
  const dir = tempDataDir('wt-game-anon-coins-');
  dirs.push(dir);
  server = await startServer(game, {
    options: { port: 0, adminPort: 0, logLevel: 'silent', dataDir: dir.dir, ...(ledger ? { ledger } : {}) },
  });
  return server;
};

/** A client joined with `token`; `wallet`: its first wallet frame with coins, waited for from before the hello (docs/CONTRIBUTING.md). */
const join = async (s: RunningServer, token: string): Promise<{ c: WorldtickClient; wallet: Promise<WalletMsg> }> => {
  const c = new WorldtickClient({ url: `ws://127.0.0.1:${s.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
  await c.connect();
  const wallet = c.waitFor((m) => m.type === 22 && m.coins > 0, 10_000) as Promise<WalletMsg>;
  wallet.catch(() => undefined); // an anonymous player granted nothing never gets one
  await c.join('1', 'p', token, null);
  return { c, wallet };
};

describe('defineGame({ anonymousStartingCoins })', () => {
  it("0: anonymous players get no coins (their purchase is TX_INSUFFICIENT_FUNDS); named players the game's startingCoins", {
    timeout: 20_000,
  }, async () => {
    const s = await boot();
    const { c: named, wallet } = await join(s, 'alice-token');
    expect((await wallet).coins).toBe(100);
    const { c: anon } = await join(s, '');
    expect(await anon.purchase('anon-buy', 'arrow', 1, 1)).toMatchObject({ status: 'rejected', code: 'TX_INSUFFICIENT_FUNDS' });
    anon.close();
    named.close();
  });

  it("the server config's ledger.anonymousStartingCoins wins over the game's", { timeout: 20_000 }, async () => {
    const s = await boot({ anonymousStartingCoins: 5 });
    const { c: anon, wallet } = await join(s, '');
    expect((await wallet).coins).toBe(5);
    anon.close();
  });
});

describe('defineGame({ anonymousStartingCoins }): checked as startingCoins', () => {
  it('a value that is not an integer 0..1000000000 is a problem of WT_ERR_OPTION_INVALID', () => {
    for (const v of [-1, 1.5, 1_000_000_001]) {
      expect(() => defineGame({ name: 'bad-anon', anonymousStartingCoins: v }), String(v)).toThrow(
        expect.objectContaining({
          code: 'WT_ERR_OPTION_INVALID',
          details: { problems: ['anonymousStartingCoins must be an integer between 0 and 1000000000'] },
        }),
      );
    }
  });
});
