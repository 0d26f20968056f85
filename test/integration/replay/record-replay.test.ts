/**
 * Record and replay: a live runtime (real WebSocket clients, controller on, scene jobs on a real
 * worker pool, physics on, an admin config change mid-run, the ledger on: starting coins reach
 * every joined player's wallet) records its input log with `--record`; replaying the log from the
 * seed reproduces every recorded state hash, wallets included (the log holds the wallet changes the
 * ledger applied; without them the replay mismatches). The CLI (`npm run replay`) exits 0 on it
 * and non-zero on a tampered log.
 */
import { childNodeArgs } from '../../helpers/child-node.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { parseOptions } from '../../../src/cli/options.js';
import { createLogger } from '../../../src/log.js';
import { createLogPackr, readLog } from '../../../src/replay/log-format.js';
import { replayLog } from '../../../src/replay/replayer.js';
import { createRuntime } from '../../../src/server/runtime.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const run = promisify(execFile);

describe('record and replay', () => {
  it('replay of a recorded live session (real WebSocket clients, controller on, scene jobs on) reproduces every recorded hash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wt-rec-'));
    const file = join(dir, 'session.wtlog');
    const rt = createRuntime(
      parseOptions(
        [
          '--data-dir',
          tempDataDir().dir,
          '--port',
          '0',
          '--admin-port',
          '0',
          '--npcs',
          '1500',
          '--stats-interval',
          '0',
          '--record',
          file,
          '--record-hash-every',
          '5',
          '--job-threads',
          '2',
          '--admin-token',
          'rec-test-token',
        ],
        {},
      ),
      createLogger('silent'),
    );
    expect(rt.defaultWorld.physics).not.toBeNull(); // physics on by default
    expect(rt.defaultWorld.config.controller.enabled).toBe(true);
    await rt.start();
    const url = `ws://127.0.0.1:${rt.gameServer.port}`;
    const clients: WorldtickClient[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const c = new WorldtickClient({ url, WebSocket: WebSocket as unknown as WebSocketCtor });
        await c.connect();
        await c.join('1', `p${i}`);
        clients.push(c);
      }
      const t0 = Date.now();
      let k = 0;
      let configChanged = false;
      let left = false;
      // ~2.5 s of play, longer only until a scene job has completed (a loaded machine starts the worker late).
      while (Date.now() - t0 < 2500 || (rt.recorder!.stats.settles === 0 && Date.now() - t0 < 15_000)) {
        for (let i = 0; i < clients.length; i++) {
          const a = (k + i * 7) * 0.37;
          clients[i].sendInput(Math.cos(a), Math.sin(a), k & 1);
        }
        k++;
        if (!configChanged && Date.now() - t0 > 800) {
          configChanged = true;
          const res = await fetch(`http://127.0.0.1:${rt.admin.port}/api/v1/worlds/1/scheduler/config`, {
            method: 'PUT',
            headers: { authorization: `Bearer ${rt.adminToken}`, 'content-type': 'application/json' },
            body: JSON.stringify({ simulation: { maxNpcTicksPerStep: 80, maxJobOpsPerStep: 3 } }),
          });
          expect(res.status).toBe(200);
        }
        if (!left && Date.now() - t0 > 1500) {
          left = true;
          clients.pop()!.close(); // a disconnect mid-run (parked)
          await clients.pop()!.leave(); // a consented leave mid-run (removed at the next step, not parked)
          const c = new WorldtickClient({ url, WebSocket: WebSocket as unknown as WebSocketCtor });
          await c.connect();
          await c.join('1', 'late'); // and a join
          clients.push(c);
        }
        await sleep(30);
      }
    } finally {
      for (const c of clients) c.close();
      await sleep(150); // the leaves apply in a step
      await rt.stop();
    }
    const rec = rt.recorder!;
    expect(rec.stats.facts).toBeGreaterThan(20);
    expect(rec.stats.settles).toBeGreaterThan(0); // scene jobs completed during the run
    const log = readLog(file);
    expect(log.truncated).toBe(false);
    expect(log.end).not.toBeNull();
    expect(log.steps.length).toBeGreaterThan(30);
    expect(log.steps.some((f) => f.pre?.config !== undefined)).toBe(true);
    expect(log.steps.some((f) => f.facts.some(([t]) => t === 'session'))).toBe(true);
    expect(log.steps.some((f) => f.facts.some(([t]) => t === 'input'))).toBe(true);
    expect(log.steps.some((f) => f.starts.length > 0)).toBe(true);
    // The ledger is on (a store in the data dir): every joined player's starting coins were applied
    // to its Wallet during the recording, and the log holds those wallet changes, in `tx` facts.
    const walletChanges = log.steps.flatMap((f) => f.facts.filter(([t]) => t === 'tx').flatMap(([, , p]) => p as number[]));
    expect(rec.stats.walletChanges).toBeGreaterThanOrEqual(3); // p0, p1, p2 (and late, unless its commit lands after it left)
    expect(walletChanges.length).toBe(rec.stats.walletChanges * 5);
    const coins = walletChanges.filter((_, i) => i % 5 === 2);
    expect(coins.filter((c) => c === 1000).length).toBeGreaterThanOrEqual(3); // --starting-coins default
    // The CLI (exit 0 on the log; a tampered log, one input changed, fails with a mismatch and exit 1)
    // runs in child processes while the log is replayed in process.
    // The run's compiled replay CLI (test/helpers/child-node.ts); `npm run replay` itself, through tsx, runs in
    // replay-npm-start, record-game, farm-replay and market-replay.
    const replayCli = await childNodeArgs('src/replay/main.ts');
    const cli = (log: string) =>
      run(process.execPath, [...replayCli, log, '--quiet']).then(
        (r) => ({ code: 0, stdout: r.stdout }),
        (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
      );
    const okRun = cli(file);
    const packr = createLogPackr();
    const copy = readLog(file); // its own objects: the in-process replay below reads `log`
    const frames = [copy.header, ...copy.steps, copy.end];
    const at = copy.steps.findIndex((f) => f.facts.some(([t]) => t === 'input'));
    const fact = copy.steps[at].facts.find(([t]) => t === 'input')!;
    const p = fact[2] as { moveX: number; moveY: number };
    p.moveX = p.moveX > 0 ? -1 : 1;
    p.moveY = 0;
    const bad = join(dir, 'bad.wtlog');
    writeFileSync(bad, Buffer.concat(frames.map((f) => packr.pack(f))));
    expect(readFileSync(bad).byteLength).toBeGreaterThan(100);
    const badRun = cli(bad);

    const res = await replayLog(log);
    expect(res.failure).toBeNull();
    expect(res.steps).toBe(log.steps.length);
    expect(res.checks.length).toBe(log.steps.filter((f) => f.hash !== undefined).length + 1);
    expect(res.checks.every((c) => c.ok)).toBe(true);
    // The wallet changes are what makes the replayed wallets match: without them, a mismatch.
    const noTx = { ...log, steps: log.steps.map((f) => ({ ...f, facts: f.facts.filter(([t]) => t !== 'tx') })) };
    const res2 = await replayLog(noTx);
    expect(res2.failure).toMatch(/state hash/);

    const ok = await okRun;
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^OK: \d+ steps replayed, (\d+)\/\1 hashes matched$/m);
    const err = await badRun;
    expect(err.code).toBe(1);
    expect(err.stdout).toMatch(/MISMATCH/);
    // Not a log: a coded error.
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, Buffer.from('not a log at all'));
    expect(() => readLog(junk)).toThrow(expect.objectContaining({ code: 'WT_ERR_REPLAY_LOG_INVALID' }));
  }, 60_000);
});
