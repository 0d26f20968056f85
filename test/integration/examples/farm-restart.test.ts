/**
 * examples/farm across real process deaths (examples/farm/main.ts in a child process on one SQLite
 * data dir, timeScale 600): the server is SIGKILLed right after a client sent a harvest and a seed
 * purchase (their answers not awaited), restarted, and the client, playing on, retries both — every
 * coin is accounted for: each purchase charged once, each harvest paid once (one ledger entry per
 * key), the seeds credited once; a purchase killed at once is answered once after the restart too.
 * Then a crop planted before a clean stop (SIGTERM) is still growing
 * after the restart, with the same ripe time, and ripens on world time.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import WS from 'ws';
import { FarmPlayer } from '../../../examples/farm/client.js';
import { HARVEST_COINS, OUT, type RipeMsg, SEED, STARTING_COINS } from '../../../examples/farm/rules.js';
import { playerIdOfToken } from '../../../src/net/durable-sessions.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { type GameProcess, type GameProcessOptions, launchGameProcess, startGameProcess } from '../../helpers/game-process.js';

const TOKEN = 'farm-restart-token';
const dataDir = tempDataDir('wt-farm-restart-');
const children: ChildProcess[] = [];

type Served = GameProcess & { port: number };

const FARM: GameProcessOptions = {
  main: 'examples/farm/main.ts',
  args: ['--port', '0', '--admin-port', '0', '--time-scale', '600', '--checkpoint-interval', '0.2'],
  dataDir: dataDir.dir,
  token: TOKEN,
  // A crop ripens in 600 world seconds: one wall second at timeScale 600. No crows, no daily bonus.
  env: { FARM_GROW_SECONDS: '600', FARM_CROWS: '0', FARM_DAY_SECONDS: '2000000' },
};

/** The next server, loading its modules ahead of its turn (test/helpers/warm-main.ts); `go()` once the one before it exited. */
let next: Promise<{ go: () => Promise<GameProcess>; kill: () => void }> | null = null;

/**
 * Start the farm on the data dir (the warm process launched by the previous call: call this only once
 * the server before it exited), and launch the next one unless this is the `last`.
 */
const serve = async (last = false): Promise<Served> => {
  const g = next ? await (await next).go() : await startGameProcess(FARM);
  children.push(g.child);
  next = last ? null : launchGameProcess(FARM);
  return { ...g, port: g.lines.find((l) => l.msg === 'server ready')?.port as number };
};

const exited = (c: ChildProcess): Promise<void> =>
  c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));

const pid = playerIdOfToken('farm-dana');

/** The player's ledger keys (without the world incarnation) and their coin deltas. */
const ledger = async (s: Served): Promise<Map<string, number[]>> => {
  const res = await fetch(`${s.admin}/worlds/1/ledger/players/${pid}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { entries: Array<{ key: string; coinsDelta: number }> };
  const out = new Map<string, number[]>();
  for (const e of body.entries) {
    const k = e.key.split('@')[0] ?? e.key;
    out.set(k, [...(out.get(k) ?? []), e.coinsDelta]);
  }
  return out;
};

afterAll(async () => {
  (await next)?.kill();
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  dataDir.remove();
});

describe('examples/farm across SIGKILL and SIGTERM', () => {
  it('loses and doubles no coin; a growing crop resumes on world time', async () => {
    const first = await serve();
    const url1 = `ws://127.0.0.1:${first.port}`;
    const p = new FarmPlayer(url1, 'dana', WS as never);
    await p.join(10_000);
    expect(await p.buy('k-1', 4)).toMatchObject({ status: 'ok', seeds: 4 });
    const from = p.log.length;
    for (const plot of [0, 1, 2]) expect(await p.plant(plot)).toBe('planted');
    for (const plot of [0, 1, 2]) await p.next<RipeMsg>(OUT.ripe, from, 10_000, (r) => r.plot === plot);
    expect(await p.harvest(1)).toMatchObject({ plot: 1, coins: HARVEST_COINS, replayed: false });

    // Mid-harvest and mid-purchase: both sent, the process killed as soon as the ledger paid the
    // harvest (the wallet moved), before the game settled it — or earlier, if the machine is quick.
    const before = p.coins;
    p.client.sendMessage('harvest', { plot: 0 });
    p.client.sendMessage('buy', { txid: 'k-2', quantity: 2 });
    await p.client.waitFor(() => p.coins !== before, 2000).catch(() => undefined);
    first.child.kill('SIGKILL');
    await exited(first.child);
    expect(first.child.signalCode).toBe('SIGKILL');
    await p.client.closed();

    const second = await serve();
    const q = new FarmPlayer(`ws://127.0.0.1:${second.port}`, 'dana', WS as never);
    const farm = await q.join(10_000);
    // Only this session's four plots: the checkpoint's, whose owner the restore dropped, are gone.
    await q.client.waitForStep((q.client.lastSnapshot?.step ?? 0) + 2);
    expect([...q.client.view.entities.values()].filter((e) => e.kind === 1)).toHaveLength(4);
    // Plot 1 was harvested and settled before the kill. Plot 2 was ripe; the world's clock came back
    // from its last record (up to 10 steps, 300 world seconds at timeScale 600, behind the kill), so it
    // may be growing again until world time passes its ripe time once more.
    expect(farm?.plots[1]).toBe(0);
    expect([1, 2]).toContain(farm?.plots[2]);
    if (farm?.plots[2] === 1) await q.next<RipeMsg>(OUT.ripe, 0, 10_000, (m) => m.plot === 2);
    // The client never heard back: it retries both. Each is answered once, whatever the kill cut.
    expect(await q.buy('k-2', 2)).toMatchObject({ status: 'ok' });
    const h0 = await q.harvest(0);
    if ('reason' in h0)
      expect(h0.reason).toBe('nothing to harvest'); // settled before the kill
    else expect(h0).toMatchObject({ plot: 0, coins: HARVEST_COINS });
    expect(await q.harvest(2)).toMatchObject({ plot: 2, coins: HARVEST_COINS, replayed: false });

    const coins = STARTING_COINS - 6 * SEED.price + 3 * HARVEST_COINS;
    await q.client.waitFor(() => q.coins === coins, 5000);
    const keys = await ledger(second);
    expect(keys.get('buy:k-1')).toEqual([-4 * SEED.price]);
    expect(keys.get('buy:k-2')).toEqual([-2 * SEED.price]);
    expect([...keys.entries()].filter(([k]) => k.startsWith('game:harvest-')).map(([, v]) => v)).toEqual([
      [HARVEST_COINS],
      [HARVEST_COINS],
      [HARVEST_COINS],
    ]);

    // A purchase killed at once (the server may or may not have noted or charged it): after the
    // restart the join resubmits what was noted, and the client's retry is answered once.
    q.client.sendMessage('buy', { txid: 'k-3', quantity: 1 });
    second.child.kill('SIGKILL');
    await exited(second.child);
    await q.client.closed();
    const middle = await serve();
    const m = new FarmPlayer(`ws://127.0.0.1:${middle.port}`, 'dana', WS as never);
    await m.join(10_000);
    expect(await m.buy('k-3', 1)).toMatchObject({ status: 'ok', seeds: 4 });
    await m.client.waitFor(() => m.coins === coins - SEED.price, 5000);
    expect((await ledger(middle)).get('buy:k-3')).toEqual([-SEED.price]);

    // A clean stop with a crop growing: after the restart it has the same ripe time and ripens then.
    expect(await m.plant(3)).toBe('planted');
    await m.client.waitFor(() => (m.plots().get(3)?.readyAt ?? 0) > 0);
    const readyAt = m.plots().get(3)?.readyAt ?? 0;
    middle.child.kill('SIGTERM');
    await exited(middle.child);
    expect(middle.child.exitCode).toBe(0);
    await m.client.closed();

    const third = await serve(true);
    const r = new FarmPlayer(`ws://127.0.0.1:${third.port}`, 'dana', WS as never);
    const from3 = r.log.length;
    const again = await r.join(10_000);
    await r.client.waitFor(() => r.plots().get(3) !== undefined);
    await r.client.waitForStep((r.client.lastSnapshot?.step ?? 0) + 2);
    expect([...r.client.view.entities.values()].filter((e) => e.kind === 1)).toHaveLength(4);
    expect(r.plots().get(3)?.readyAt).toBe(readyAt);
    if (again?.plots[3] === 1) {
      // Still growing: it ripens when world time reaches readyAt, not before.
      await r.next<RipeMsg>(OUT.ripe, from3, 10_000, (m) => m.plot === 3);
      expect(r.client.lastSnapshot?.worldTime ?? 0).toBeGreaterThanOrEqual(readyAt);
    } else expect(again?.plots[3]).toBe(2);
    expect(await r.harvest(3)).toMatchObject({ plot: 3, coins: HARVEST_COINS });
    await r.client.waitFor(() => r.coins === coins - SEED.price + HARVEST_COINS, 5000);
    r.close();
    third.child.kill('SIGTERM');
    await exited(third.child);
  }, 90_000);
});
