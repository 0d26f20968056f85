/**
 * A studio ships a new version of its game onto a live server's SQLite data dir (docs/GAME-API.md
 * "Shipping a new version of your game"): test/helpers/upgrade-game-main.ts run as real processes.
 *
 * v1: a player joins, buys a potion and an arrow, shouts, gets a pending one-shot timer; the socket
 * drops (parked) and the server is stopped with SIGTERM. v2 on the same data dir (potion 10 → 12,
 * arrow removed, `shout` schema changed, the timer renamed, a component field added): the world and
 * the boss's hp are back, the player resumes with its wallet (the removed item no longer shown),
 * purchases retried with their keys replay once — also the removed item's — new ones at the old price
 * or of the removed item are refused, the old `shout` is BAD_FIELD, and the log names what was
 * dropped and added. v2 is then killed with SIGKILL; v3 (a field narrowed below the boss's value)
 * refuses to start, exit 2, `WT_ERR_CHECKPOINT_INCOMPATIBLE` naming the field; v2 started again
 * finds the world as it was (not rebuilt from its record) and the purchase made before the kill.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import WS from 'ws';
import { MsgType, WorldtickClient, type WalletMsg } from '../../../src/client/index.js';
import { childNodeArgs } from '../../helpers/child-node.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { collectJsonLines } from '../../helpers/log-lines.js';
import { startGameProcess, type GameProcess } from '../../helpers/game-process.js';

const MAIN = 'test/helpers/upgrade-game-main.ts';
const TOKEN = 'game-upgrade-token';
const dataDir = tempDataDir('wt-game-upgrade-');
const procs: GameProcess[] = [];
const ARGS = ['--port', '0', '--admin-port', '0', '--log-level', 'info', '--checkpoint-interval', '0'];

const serve = async (version: string): Promise<GameProcess & { port: number }> => {
  process.env.UPGRADE_GAME = version; // inherited by the child (startGameProcess copies process.env)
  const p = await startGameProcess({ main: MAIN, args: ARGS, dataDir: dataDir.dir, token: TOKEN });
  procs.push(p);
  const ready = p.lines.find((l) => l.msg === 'server ready')!;
  return { ...p, port: ready.port as number };
};

const connect = async (port: number, resumeToken: string | null): Promise<{ c: WorldtickClient; wallet: () => WalletMsg | null }> => {
  const c = new WorldtickClient({ url: `ws://127.0.0.1:${port}`, WebSocket: WS as never });
  let wallet: WalletMsg | null = null;
  c.on((m) => {
    if (m.type === MsgType.WALLET) wallet = m as WalletMsg;
  });
  await c.connect();
  await c.join('1', 'alice', 'alice-token', resumeToken);
  return { c, wallet: () => wallet };
};

const bossHp = (c: WorldtickClient): number | undefined => [...c.view.entities.values()].find((e) => e.kind === 3)?.fields?.hp;

afterAll(() => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  delete process.env.UPGRADE_GAME;
  dataDir.remove();
});

describe('a new version of the game on the old version data dir', () => {
  it('carries over by the rules, replays purchases once, and refuses a definition that cannot hold the data', async () => {
    const v1 = await serve('v1');
    const a = await connect(v1.port, null);
    await a.c.waitFor(() => a.wallet()?.coins === 100);
    expect(await a.c.purchase('k-potion', 'potion', 1, 10)).toMatchObject({ status: 'ok', coins: 90 });
    expect(await a.c.purchase('k-arrow', 'arrow', 2, 1)).toMatchObject({ status: 'ok', coins: 88 });
    a.c.sendMessage('shout', { text: 'hi' });
    await a.c.waitFor(() => bossHp(a.c) === 300);
    const resumeToken = a.c.welcome!.resumeToken;
    a.c.close(4000, 'gone'); // parked: resumable after the restart
    v1.child.kill('SIGTERM');
    await once(v1.child, 'exit');
    expect(v1.child.exitCode).toBe(0);

    // v2: potion 12, arrow removed, shout { msg }, timer bonus → bonus2, Health.armor added.
    const v2 = await serve('v2');
    const changed = v2.lines.find((l) => l.msg === 'game definition changed since the checkpoint; its data carried over by the rules');
    expect(changed).toMatchObject({ level: 40, world: '1', droppedTimers: { bonus: 1 }, addedFields: ['Health.armor'] });
    const b = await connect(v2.port, resumeToken);
    expect(b.c.welcome?.resumed).toBe(true);
    await b.c.waitFor(() => b.wallet() !== null && bossHp(b.c) === 300);
    expect(b.wallet()).toMatchObject({ coins: 88, items: { potion: 1 } });
    expect(b.wallet()!.items.arrow).toBeUndefined(); // the ledger keeps it; the wallet shows catalogue items only
    // Retried with the same keys (the client never saw the answers): replayed, charged once.
    expect(await b.c.purchase('k-potion', 'potion', 1, 10)).toMatchObject({ status: 'ok', replayed: true, coins: 88 });
    expect(await b.c.purchase('k-arrow', 'arrow', 2, 1)).toMatchObject({ status: 'ok', replayed: true, coins: 88 });
    // The same key with the new price is another request: refused, nothing charged.
    expect(await b.c.purchase('k-potion', 'potion', 1, 12)).toMatchObject({ status: 'rejected', code: 'TX_KEY_CONFLICT' });
    // New purchases at the old price, or of the removed item: refused, nothing recorded.
    expect(await b.c.purchase('k-old-price', 'potion', 1, 10)).toMatchObject({ status: 'rejected', code: 'TX_PRICE_MISMATCH' });
    expect(await b.c.purchase('k-arrow-2', 'arrow', 1, 1)).toMatchObject({ status: 'rejected', code: 'TX_UNKNOWN_ITEM' });
    expect(await b.c.purchase('k-new', 'potion', 1, 12)).toMatchObject({ status: 'ok', coins: 76 });
    // An old client's message: BAD_FIELD (a strike), never handed to the new handler.
    b.c.sendMessage('shout', { text: 'hi' });
    await b.c.waitFor(() => b.c.errors.some((e) => e.code === 'BAD_FIELD'));
    b.c.close();
    await b.c.closed();
    v2.child.kill('SIGKILL');
    await once(v2.child, 'exit');

    // v3 narrows Health.hp to u8: refused, exit 2, nothing written.
    process.env.UPGRADE_GAME = 'v3';
    const v3 = spawn(process.execPath, [...(await childNodeArgs(MAIN)), ...ARGS], {
      env: { ...process.env, WORLDTICK_ADMIN_TOKEN: TOKEN, WORLDTICK_DATA_DIR: dataDir.dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    procs.push({ child: v3 as never, lines: [], admin: '', port: 0, adminPort: 0 }); // killed by afterAll if it ever started
    let stderr = '';
    v3.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const v3Lines = collectJsonLines(v3.stdout);
    // Before the refusal existed v3 started (hp wrapped to 44): fail on its ready line rather than wait.
    let exited = false;
    const exit = once(v3, 'exit').finally(() => {
      exited = true;
    });
    const started = async (): Promise<[string]> => {
      while (!exited && !v3Lines.some((l) => l.msg === 'server ready')) await new Promise((r) => setTimeout(r, 50));
      return ['started'];
    };
    const [code] = (await Promise.race([exit, started()])) as [number | string | null];
    expect(code).toBe(2);
    expect(v3Lines.find((l) => l.level === 60)).toMatchObject({ code: 'WT_ERR_CHECKPOINT_INCOMPATIBLE' });
    expect(stderr).toContain('worldtick: world "1": checkpoint does not fit this version of the game');
    expect(stderr).toMatch(/Health\.hp: type u16 → u8, but 1 entity holds a value u8 cannot hold \(entity \d+: 300\)/);

    // v2 again: the world of its checkpoint (the boss at 300, not a world rebuilt from the record), the purchase kept.
    const again = await serve('v2');
    const c = await connect(again.port, resumeToken);
    await c.c.waitFor(() => c.wallet() !== null && bossHp(c.c) === 300);
    expect(c.wallet()).toMatchObject({ coins: 76, items: { potion: 2 } });
    expect(await c.c.purchase('k-new', 'potion', 1, 12)).toMatchObject({ status: 'ok', replayed: true, coins: 76 });
    c.c.close();
    again.child.kill('SIGTERM');
    await once(again.child, 'exit');
  }, 60_000);
});
