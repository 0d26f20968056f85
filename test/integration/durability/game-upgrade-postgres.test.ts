/**
 * A new version of a game on a shared PostgreSQL store (docs/GAME-API.md "Shipping a new version of
 * your game"): test/helpers/upgrade-game-main.ts as real processes with `--store <url>` on a fresh
 * database of the run's shared server (skipped with a message where none can be had).
 *
 * v1 runs the default world and an admin world `arena` (the boss, `Health.hp` 300, only there); a
 * player buys an arrow. v3 (`Health.hp` narrowed to u8; arrow removed, potion 12) starts: the default
 * world loads (no entity holds `Health`: the type change is reported as converted), `arena` is
 * refused — listed under `notStarted` with `reason` `game-incompatible` and the problem, its routes
 * 409 `WT_ERR_CHECKPOINT_INCOMPATIBLE`, nothing written — and the arrow purchase retried with its key
 * replays from the PostgreSQL ledger, charged once. (That the refused world is intact for the
 * version that wrote it: game-upgrade.test.ts, on the default world.)
 */
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import WS from 'ws';
import { MsgType, WorldtickClient, type WalletMsg } from '../../../src/client/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { startGameProcess, type GameProcess } from '../../helpers/game-process.js';
import { freshDatabase } from '../../helpers/shared-postgres.js';

const pg = await freshDatabase();
if ('skip' in pg) console.warn(`[game upgrade postgres] skipped: ${pg.skip}`);
const TOKEN = 'game-upgrade-pg-token';
const dataDir = tempDataDir('wt-game-upgrade-pg-');
const procs: GameProcess[] = [];

const serve = async (
  version: string,
): Promise<
  GameProcess & { port: number; api: (method: string, path: string, body?: unknown) => Promise<{ status: number; json: any }> }
> => {
  process.env.UPGRADE_GAME = version; // inherited by the child
  process.env.UPGRADE_BOSS_WORLD = 'arena';
  const url = (pg as { url: string }).url;
  const args = ['--port', '0', '--admin-port', '0', '--log-level', 'info', '--checkpoint-interval', '0', '--store', url];
  const p = await startGameProcess({ main: 'test/helpers/upgrade-game-main.ts', args, dataDir: dataDir.dir, token: TOKEN });
  procs.push(p);
  const port = p.lines.find((l) => l.msg === 'server ready')!.port as number;
  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const r = await fetch(`${p.admin.replace(/\/api\/v1$/, '')}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: r.status, json: await r.json() };
  };
  return { ...p, port, api };
};

const stop = async (p: GameProcess): Promise<void> => {
  p.child.kill('SIGTERM');
  await once(p.child, 'exit');
  expect(p.child.exitCode).toBe(0);
};

afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  delete process.env.UPGRADE_GAME;
  delete process.env.UPGRADE_BOSS_WORLD;
  dataDir.remove();
  if (!('skip' in pg)) await pg.destroy();
});

describe.skipIf('skip' in pg)('a new version of the game on a shared PostgreSQL store', () => {
  it('an admin world whose data the new version cannot hold is not started; the rest runs; the ledger replays', async () => {
    const v1 = await serve('v1');
    expect((await v1.api('POST', '/api/v1/worlds', { id: 'arena', npcs: 0 })).status).toBe(201);
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${v1.port}`, WebSocket: WS as never });
    await c.connect();
    await c.join('1', 'bob', 'bob-token');
    expect(await c.purchase('k-arrow', 'arrow', 3, 1)).toMatchObject({ status: 'ok', coins: 97 });
    c.close();
    await stop(v1);

    const v3 = await serve('v3');
    const changed = v3.lines.find((l) => l.msg === 'game definition changed since the checkpoint; its data carried over by the rules');
    expect(changed).toMatchObject({ world: '1', convertedFields: [{ field: 'Health.hp', from: 'u16', to: 'u8' }] });
    const refused = v3.lines.find((l) => l.level === 50 && l.world === 'arena');
    expect(refused).toMatchObject({ code: 'WT_ERR_CHECKPOINT_INCOMPATIBLE' });
    expect(refused?.msg).toContain('checkpoint holds game data this version of the game cannot hold: world not loaded here');
    const list = await v3.api('GET', '/api/v1/worlds');
    expect(list.json.worlds.map((w: { id: string }) => w.id)).toEqual(['1']);
    expect(list.json.notStarted).toMatchObject([{ worldId: 'arena', reason: 'game-incompatible', at: 'start' }]);
    expect(list.json.notStarted[0].problems[0]).toMatch(
      /^Health\.hp: type u16 → u8, but 1 entity holds a value u8 cannot hold \(entity \d+: 300\)$/,
    );
    const stats = await v3.api('GET', '/api/v1/worlds/arena/stats');
    expect(stats.status).toBe(409);
    expect(stats.json.code).toBe('WT_ERR_CHECKPOINT_INCOMPATIBLE');
    // The ledger on PostgreSQL: the arrow (removed in v3) retried with its key replays; charged once.
    const d = new WorldtickClient({ url: `ws://127.0.0.1:${v3.port}`, WebSocket: WS as never });
    let wallet: WalletMsg | null = null;
    d.on((m) => {
      if (m.type === MsgType.WALLET) wallet = m as WalletMsg;
    });
    await d.connect();
    await d.join('1', 'bob', 'bob-token');
    expect(await d.purchase('k-arrow', 'arrow', 3, 1)).toMatchObject({ status: 'ok', replayed: true, coins: 97 });
    await d.waitFor(() => wallet !== null);
    expect(wallet).toMatchObject({ coins: 97, items: {} });
    d.close();
    await stop(v3);
  }, 60_000);
});
