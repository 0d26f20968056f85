/**
 * examples/market survives SIGKILL: the real server (examples/market/main.ts) runs in a child
 * process on a SQLite data dir; a client buys, the server is killed with SIGKILL once a checkpoint
 * covers the sale, restarted on the same data dir, and the client resumes its session: wallet,
 * inventory (player data) and the merchants' stock are as they were, and retrying the same
 * transaction id is answered from the ledger (`replayed`) without a second charge.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import WS from 'ws';
import { MarketPlayer } from '../../../examples/market/bot.js';
import { MSG } from '../../../examples/market/rules.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { type GameProcess, type GameProcessOptions, launchGameProcess, startGameProcess } from '../../helpers/game-process.js';

const TOKEN = 'market-restart-token';
const dataDir = tempDataDir('wt-market-restart-');
const children: ChildProcess[] = [];
const warm: Array<() => void> = [];

type Served = GameProcess & { port: number };

const MARKET: GameProcessOptions = {
  main: 'examples/market/main.ts',
  args: ['--port', '0', '--admin-port', '0', '--checkpoint-interval', '0.2'],
  dataDir: dataDir.dir,
  token: TOKEN,
  env: { MARKET_RESTOCK_SECONDS: '3600' },
};

const served = (g: GameProcess): Served => {
  children.push(g.child);
  return { ...g, port: g.lines.find((l) => l.msg === 'server ready')?.port as number };
};

const stats = async (s: Served): Promise<{ checkpoint: { lastStep: number | null } }> => {
  const res = await fetch(`${s.admin}/worlds/1/stats`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return (await res.json()) as never;
};

const stockOf = (p: MarketPlayer, stall: number): string => {
  const m = p.merchants().find((e) => e.fields?.stall === stall);
  return m ? `${m.fields?.s0},${m.fields?.s1}` : 'none';
};

afterAll(() => {
  for (const kill of warm) kill();
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  dataDir.remove();
});

describe('examples/market across a SIGKILL', () => {
  it('keeps wallet, inventory and stock; a retried txid is charged once', async () => {
    const first = served(await startGameProcess(MARKET));
    // The server after the kill loads its modules meanwhile; it opens the data dir only on its go, below.
    const next = await launchGameProcess(MARKET);
    warm.push(next.kill);
    const p = new MarketPlayer(`ws://127.0.0.1:${first.port}`, 'carol', WS as never);
    await p.join(10_000);
    await p.seeMerchants(2);
    await p.client.waitFor(() => p.state.coins === 100);

    expect(await p.buy(1, 'apple', 2, 'c-1')).toMatchObject({ status: 'ok', coins: 94 });
    expect(await p.buy(2, 'lamp', 1, 'c-2')).toMatchObject({ status: 'ok', coins: 54 });
    await p.client.waitFor(() => p.state.inventory?.txids.includes('c-2') === true);
    await p.client.waitFor(() => stockOf(p, 1) === '4,4' && stockOf(p, 2) === '3,1');
    const soldAt = p.client.lastSnapshot?.step ?? 0;
    // The stock is world state: durable with the next checkpoint (docs/DURABILITY.md). Wait for one.
    for (let i = 0; i < 200 && ((await stats(first)).checkpoint.lastStep ?? -1) <= soldAt; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await stats(first)).checkpoint.lastStep).toBeGreaterThan(soldAt);

    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    expect(first.child.signalCode).toBe('SIGKILL');
    await p.client.closed();

    const second = served(await next.go());
    const q = new MarketPlayer(`ws://127.0.0.1:${second.port}`, 'carol', WS as never);
    q.resumeToken = p.resumeToken;
    await q.join(10_000);
    expect(q.client.welcome?.resumed).toBe(true);
    expect(q.state.inventory).toEqual({ items: { apple: 2, lamp: 1 }, txids: ['c-1', 'c-2'] });
    await q.client.waitFor(() => q.state.coins !== null);
    expect(q.state.coins).toBe(54);
    await q.seeMerchants(2);
    expect([stockOf(q, 1), stockOf(q, 2)]).toEqual(['4,4', '3,1']);

    // The client never learnt c-2's outcome, say: it retries the same transaction id. The replayed
    // answer is settled like any other: the inventory is sent again, unchanged.
    const inv = q.client.waitFor((m) => m.type === 25 && m.name === MSG.inventory, 10_000);
    inv.catch(() => undefined); // awaited below
    const r = await q.buy(2, 'lamp', 1, 'c-2');
    expect(r).toMatchObject({ status: 'ok', coins: 54, replayed: true });
    // A later step: the retry's reservation was given back, nothing changed.
    await q.client.waitForStep((q.client.lastSnapshot?.step ?? 0) + 3);
    expect([stockOf(q, 1), stockOf(q, 2)]).toEqual(['4,4', '3,1']);
    expect(q.state.coins).toBe(54);
    expect(((await inv) as { payload: unknown }).payload).toEqual({ items: { apple: 2, lamp: 1 }, txids: ['c-1', 'c-2'] });
    q.close();
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
  }, 60_000);
});
