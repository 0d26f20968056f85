/**
 * Recording a world that did not start from its seed: a live runtime (real WebSocket clients,
 * controller on, scene jobs on, physics on, the ledger on) runs and stops (graceful: a final
 * checkpoint); a second runtime on the same data directory restores the world from it with
 * `--record`, more clients play, it stops. The log names its starting checkpoint (a file next to
 * it, with its sha256); replaying it restores that checkpoint and reproduces every recorded state
 * hash, in process and with `npm run replay`. A missing or altered starting checkpoint is a coded
 * error (CLI exit 2), never a replay from the wrong state.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { parseOptions } from '../../../src/cli/options.js';
import { ErrorCode } from '../../../src/errors.js';
import { createLogger } from '../../../src/log.js';
import { readLog } from '../../../src/replay/log-format.js';
import { replayLog } from '../../../src/replay/replayer.js';
import { startCheckpointPath } from '../../../src/replay/start-checkpoint.js';
import { createRuntime, type Runtime } from '../../../src/server/runtime.js';
import { childNodeArgs } from '../../helpers/child-node.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const run = promisify(execFile);

const runtime = (dataDir: string, extra: string[]): Runtime =>
  createRuntime(
    parseOptions(
      [
        '--data-dir',
        dataDir,
        '--port',
        '0',
        '--admin-port',
        '0',
        '--npcs',
        '400',
        '--stats-interval',
        '0',
        '--checkpoint-interval',
        '0',
        '--job-threads',
        '1',
        '--admin-token',
        'rec-ck-token',
        '--time-scale',
        '600', // NPCs act (and request scenes) within the short run
        ...extra,
      ],
      {},
    ),
    createLogger('silent'),
  );

/** Join `n` clients and send them inputs for `ms` wall ms; then close them and let the leaves apply. */
const play = async (rt: Runtime, names: string[], ms: number, until?: () => boolean): Promise<void> => {
  const url = `ws://127.0.0.1:${rt.gameServer.port}`;
  const clients: WorldtickClient[] = [];
  try {
    for (const name of names) {
      const c = new WorldtickClient({ url, WebSocket: WebSocket as unknown as WebSocketCtor });
      await c.connect();
      await c.join('1', name);
      clients.push(c);
    }
    const t0 = Date.now();
    for (let k = 0; Date.now() - t0 < ms || (until !== undefined && !until() && Date.now() - t0 < 10_000); k++) {
      for (let i = 0; i < clients.length; i++) {
        const a = (k + i * 5) * 0.41;
        clients[i].sendInput(Math.cos(a), Math.sin(a), k & 1);
      }
      await sleep(30);
    }
  } finally {
    for (const c of clients) c.close();
    await sleep(150); // the leaves apply in a step
  }
};

const data = tempDataDir('wt-rec-ck-');
const dir = mkdtempSync(join(tmpdir(), 'wt-rec-ck-log-'));
afterAll(() => {
  data.remove();
  rmSync(dir, { recursive: true, force: true });
});

describe('record and replay from a starting checkpoint', () => {
  it('a world restored from its checkpoint with --record: the log names the checkpoint; replay restores it and matches every hash', async () => {
    // 1. A first run: the world gets players, state and history, then a final checkpoint at shutdown.
    const a = runtime(data.dir, []);
    await a.start();
    try {
      await play(a, ['a0', 'a1'], 800);
    } finally {
      await a.stop();
    }
    const stoppedAt = a.defaultWorld.clock.step;
    expect(stoppedAt).toBeGreaterThan(5);

    // 2. Restart from that checkpoint, recording.
    const file = join(dir, 'restored.wtlog');
    const b = runtime(data.dir, ['--record', file, '--record-hash-every', '5']);
    await b.start();
    const rec = b.recorder!;
    try {
      expect(b.checkpointer.report('1')?.restored?.fromStep).toBe(stoppedAt);
      expect(rec.startCheckpoint).toMatchObject({ step: stoppedAt, reason: 'restored', jobIdBase: 0 });
      await play(b, ['b0', 'b1', 'b2'], 1500, () => rec.stats.settles > 0);
    } finally {
      await b.stop();
    }
    expect(rec.stats.facts).toBeGreaterThan(20);
    expect(rec.stats.settles).toBeGreaterThan(0); // scene jobs started and completed during the recording
    const log = readLog(file);
    expect(log.end).not.toBeNull();
    expect(log.header.start?.file).toBe('restored.wtlog.start.wtck');
    expect(log.steps[0].step).toBe(stoppedAt);
    expect(log.steps.some((f) => f.facts.some(([t]) => t === 'input'))).toBe(true);
    expect(log.steps.some((f) => f.facts.some(([t]) => t === 'tx'))).toBe(true); // starting coins of the new players

    // 3. Replay: from the checkpoint, every recorded hash matches (the end hash included); `npm run replay`
    // on it, and on a copy whose checkpoint is altered (4), in child processes while the replay runs here.
    // The run's compiled replay CLI (test/helpers/child-node.ts); `npm run replay` itself, through tsx, runs in
    // replay-npm-start, record-game, farm-replay and market-replay.
    const replayCli = await childNodeArgs('src/replay/main.ts');
    const cli = (log: string) =>
      run(process.execPath, [...replayCli, log, '--quiet']).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    const okRun = cli(file);
    const altered = join(mkdtempSync(join(dir, 'altered-')), 'restored.wtlog');
    copyFileSync(file, altered);
    const bytes = readFileSync(startCheckpointPath(file));
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(startCheckpointPath(altered), bytes);
    const badRun = cli(altered);
    const res = await replayLog(log);
    expect(res.failure).toBeNull();
    expect(res.steps).toBe(log.steps.length);
    expect(res.checks.length).toBe(log.steps.filter((f) => f.hash !== undefined).length + 1);
    expect(res.checks.length).toBeGreaterThan(5);
    expect(res.checks.every((c) => c.ok)).toBe(true);
    const ok = await okRun;
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/from checkpoint restored\.wtlog\.start\.wtck \(step \d+, restored/);
    expect(ok.stdout).toMatch(/^OK: \d+ steps replayed, (\d+)\/\1 hashes matched$/m);

    // 4. The log without its checkpoint, and with an altered one: coded errors, nothing replayed.
    const moved = join(mkdtempSync(join(dir, 'moved-')), 'restored.wtlog'); // another directory: its checkpoint stayed behind
    copyFileSync(file, moved);
    await expect(replayLog(readLog(moved))).rejects.toMatchObject({ code: ErrorCode.REPLAY_CHECKPOINT_MISSING });
    await expect(replayLog(readLog(altered))).rejects.toMatchObject({ code: ErrorCode.REPLAY_CHECKPOINT_MISMATCH });
    const err = await badRun;
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/WT_ERR_REPLAY_CHECKPOINT_MISMATCH/);
  }, 60_000);
});
