/**
 * `ledger.anonymousStartingCoins` (docs/DURABILITY.md "Anonymous players"): what anonymous players
 * (`g:` ids, empty or class-only token) are granted instead of `startingCoins`; 0 = no `start-grant`
 * entry at all, so their first purchase is answered `TX_INSUFFICIENT_FUNDS`. A real server on SQLite
 * in a temporary directory and real WebSocket clients; a bad value refuses the start with a coded error.
 */
import WebSocket from 'ws';
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import type { WalletMsg } from '../../../src/net/protocol.js';
import { createRuntime, type Runtime } from '../../../src/server/runtime.js';
import { SQLITE_FILE_NAME } from '../../../src/store/sqlite-store.js';
import { fileTempDirs } from '../../helpers/data-dir.js';

const tempDir = fileTempDirs();

/** A runtime on a fresh data dir with `ledger` as its config file's ledger block and 100 starting coins. */
const boot = (ledger: unknown): { rt: Runtime; dataDir: string } => {
  const dir = tempDir('wt-anon-coins-');
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ ledger }));
  const dataDir = join(dir, 'data');
  const args = ['--config', config, '--port', '0', '--admin-port', '0', '--admin-token', 't', '--npcs', '10', '--stats-interval', '0'];
  const rt = createRuntime(parseOptions([...args, '--starting-coins', '100', '--data-dir', dataDir], {}), createLogger('silent'));
  return { rt, dataDir };
};

/**
 * A client joined to world 1 with `token`; `wallet`: its first wallet frame with coins, waited for from before the
 * hello (docs/CONTRIBUTING.md: a frame read in the same socket read as the welcome is dispatched before `join`
 * resumes; the wait for it was registered after the join, and timed out once in a five-worker stress run).
 */
const join1 = async (rt: Runtime, token: string): Promise<{ c: WorldtickClient; wallet: Promise<WalletMsg> }> => {
  const c = new WorldtickClient({ url: `ws://127.0.0.1:${rt.gameServer.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
  await c.connect();
  const wallet = c.waitFor((m) => m.type === 22 && m.coins > 0, 10_000) as Promise<WalletMsg>;
  wallet.catch(() => undefined); // an anonymous player granted nothing never gets one
  await c.join('1', 'p', token, null);
  return { c, wallet };
};

const grants = (dataDir: string): string[] => {
  const db = new Database(join(dataDir, SQLITE_FILE_NAME), { readonly: true });
  try {
    return (
      db.prepare("SELECT player_id FROM ledger WHERE idem_key = 'start-grant' ORDER BY seq").all() as Array<{ player_id: string }>
    ).map((r) => r.player_id);
  } finally {
    db.close();
  }
};

describe('anonymous players: their own starting coins', () => {
  it('0: no start-grant for anonymous players (a purchase is TX_INSUFFICIENT_FUNDS); named players keep startingCoins', async () => {
    const { rt, dataDir } = boot({ anonymousStartingCoins: 0 });
    await rt.start();
    try {
      const { c: named, wallet } = await join1(rt, 'alice-token');
      expect((await wallet).coins).toBe(100);
      expect(await named.purchase('alice-buy', 'arrow', 1, 1)).toMatchObject({ status: 'ok', coins: 99 });
      for (const token of ['', 'bot']) {
        const { c: anon } = await join1(rt, token);
        expect(await anon.purchase(`anon-buy-${token}`, 'arrow', 1, 1)).toMatchObject({
          status: 'rejected',
          code: 'TX_INSUFFICIENT_FUNDS',
        });
        anon.close();
      }
      named.close();
    } finally {
      await rt.stop();
    }
    const granted = grants(dataDir);
    expect(granted).toHaveLength(1); // alice's only: no entry at all for the anonymous players
    expect(granted[0]?.startsWith('g:')).toBe(false);
  });

  it('another amount: anonymous players get it, named players startingCoins', async () => {
    const { rt } = boot({ anonymousStartingCoins: 5 });
    await rt.start();
    try {
      const { c: anon, wallet } = await join1(rt, '');
      expect((await wallet).coins).toBe(5);
      expect(await anon.purchase('anon-buy', 'arrow', 2, 1)).toMatchObject({ status: 'ok', coins: 3 });
      anon.close();
    } finally {
      await rt.stop();
    }
  });

  it('a value that is not an integer 0..1000000000 refuses the start: WT_ERR_OPTION_INVALID naming the setting', () => {
    for (const v of [-1, 1.5, '10', 1_000_000_001]) {
      let err: unknown;
      try {
        boot({ anonymousStartingCoins: v });
      } catch (e) {
        err = e;
      }
      expect(err, String(v)).toMatchObject({
        code: 'WT_ERR_OPTION_INVALID',
        message: expect.stringContaining('ledger.anonymousStartingCoins must be an integer between 0 and 1000000000'),
      });
    }
  });
});
