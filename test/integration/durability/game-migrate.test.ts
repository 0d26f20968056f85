/**
 * The game's `migrate` hook in real processes on one SQLite data dir (test/helpers/migrate-game-main.ts,
 * docs/GAME-API.md "The migration hook"). v1 is stopped (SIGTERM: checkpointed). v2 whose hook throws
 * refuses the start (exit 2, the migration named), nothing written. v2 migrates once (from 1 to 2)
 * and is killed (SIGKILL) before any checkpoint: started again, it migrates again from the old
 * checkpoint, then is stopped (checkpointed as version 2); started once more it does not migrate, and
 * a client sees the migrated unit (class 7, `maxHp` 300). Each migration is logged by the engine
 * (`game migrated`, with world, game, from, to).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import WS from 'ws';
import { WorldtickClient } from '../../../src/client/index.js';
import { childNodeArgs } from '../../helpers/child-node.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { startGameProcess, type GameProcess } from '../../helpers/game-process.js';

const MAIN = 'test/helpers/migrate-game-main.ts';
const TOKEN = 'game-migrate-token';
const dataDir = tempDataDir('wt-game-migrate-');
const procs: GameProcess[] = [];
const ARGS = ['--port', '0', '--admin-port', '0', '--log-level', 'info', '--checkpoint-interval', '0'];
const MIGRATED = 'test: migrate called';

const serve = async (version: string): Promise<GameProcess & { port: number }> => {
  const p = await startGameProcess({ main: MAIN, args: ARGS, dataDir: dataDir.dir, token: TOKEN, env: { MIGRATE_GAME: version } });
  procs.push(p);
  const ready = p.lines.find((l) => l.msg === 'server ready');
  return { ...p, port: ready?.port as number };
};

const stop = async (p: GameProcess, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> => {
  p.child.kill(signal);
  if (p.child.exitCode === null && p.child.signalCode === null) await once(p.child, 'exit');
};

afterAll(() => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  dataDir.remove();
});

describe('defineGame({ migrate }) across real restarts', () => {
  it('refuses on a throwing hook; migrates once per upgrade, again after a crash before a checkpoint', async () => {
    const v1 = await serve('v1');
    expect(v1.lines.some((l) => l.msg === MIGRATED)).toBe(false);
    await stop(v1, 'SIGTERM');
    expect(v1.child.exitCode).toBe(0);

    // A hook that throws: the start is refused, exit 2, the migration and its message named.
    const bad = spawn(process.execPath, [...(await childNodeArgs(MAIN)), ...ARGS], {
      env: { ...process.env, MIGRATE_GAME: 'v2-throw', WORLDTICK_ADMIN_TOKEN: TOKEN, WORLDTICK_DATA_DIR: dataDir.dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    procs.push({ child: bad as never, lines: [], admin: '', port: 0, adminPort: 0 });
    let stderr = '';
    bad.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    let stdout = '';
    bad.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    // Without the hook's refusal it would start: fail on its ready line rather than wait.
    let exited = false;
    const exit = once(bad, 'exit').finally(() => {
      exited = true;
    });
    const started = async (): Promise<[string]> => {
      while (!exited && !stdout.includes('"server ready"')) await new Promise((r) => setTimeout(r, 50));
      return ['started'];
    };
    const [code] = (await Promise.race([exit, started()])) as [number | string | null];
    expect(code).toBe(2);
    expect(stderr).toContain('worldtick: world "1": checkpoint does not fit this version of the game');
    expect(stderr).toContain('migrate (game "migrate-game" version 1 to 2) threw: class codes unreadable');

    // v2 migrates from the v1 checkpoint; killed before it checkpoints.
    const a = await serve('v2');
    expect(a.lines.filter((l) => l.msg === MIGRATED)).toEqual([{ msg: MIGRATED, from: 1, to: 2 }]);
    // The engine says so too, for the operator reading the logs after a deploy.
    expect(a.lines.filter((l) => l.msg === 'game migrated')).toEqual([
      expect.objectContaining({ world: '1', game: 'migrate-game', from: 1, to: 2 }),
    ]);
    await stop(a, 'SIGKILL');
    // The v1 checkpoint is still the newest: migrated again (the hook is a function of the old state).
    const b = await serve('v2');
    expect(b.lines.filter((l) => l.msg === MIGRATED)).toEqual([{ msg: MIGRATED, from: 1, to: 2 }]);
    await stop(b, 'SIGTERM'); // checkpointed as version 2
    expect(b.child.exitCode).toBe(0);

    const c = await serve('v2');
    expect(c.lines.some((l) => l.msg === MIGRATED || l.msg === 'game migrated')).toBe(false);
    const client = new WorldtickClient({ url: `ws://127.0.0.1:${c.port}`, WebSocket: WS as never });
    await client.connect();
    await client.join('1', 'alice', 'alice-token', null);
    await client.waitFor(() => [...client.view.entities.values()].some((e) => e.kind === 3 && e.fields?.cls !== undefined));
    const unit = [...client.view.entities.values()].find((e) => e.kind === 3);
    expect(unit?.fields).toMatchObject({ cls: 7, hp: 300, maxHp: 300 });
    client.close();
    await stop(c, 'SIGTERM');
  }, 60_000);
});
