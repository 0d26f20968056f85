/**
 * `npm run restore` as a child process (node --import tsx src/cli/restore-main.ts, what the npm
 * script runs) or in this process, and a snapshot of a data directory to show that a refused restore changed nothing.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runRestoreCli } from '../../src/cli/restore.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Run the restore command with `args`; resolves its exit status, stdout and stderr. */
export const restoreCli = (args: string[], env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/restore-main.ts', ...args], { cwd: ROOT, encoding: 'utf8', env });

/** The same command in this process (what the entry point runs, without the process start): status and output. */
export const restoreInProcess = async (
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ status: number; stdout: string; stderr: string }> => {
  let stdout = '';
  let stderr = '';
  const status = await runRestoreCli(['node', 'restore-main.ts', ...args], env, { out: (t) => (stdout += t), err: (t) => (stderr += t) });
  return { status, stdout, stderr };
};

/**
 * File names in `dir`, sorted, each with the sha256 of its bytes when `withHashes` (leave it off
 * for a directory a running server writes to).
 */
export const dirSnapshot = (dir: string, withHashes = true): string[] =>
  readdirSync(dir)
    .sort()
    .map((f) =>
      withHashes
        ? `${f} ${createHash('sha256')
            .update(readFileSync(join(dir, f)))
            .digest('hex')}`
        : f,
    );

/** The player whose coins the restore tests count. */
export const RESTORE_PLAYER = `t:${'ef'.repeat(16)}`;

/** A closed worldtick store in `dir` holding one reward of `coins` to {@link RESTORE_PLAYER}; returns its file. */
export const storeWithCoins = async (dir: string, coins: number): Promise<string> => {
  const store = new SqliteStore({ dataDir: dir });
  const r = await store.commitLedger([
    {
      worldId: '1',
      playerId: RESTORE_PLAYER,
      key: `k${coins}`,
      kind: 'reward',
      item: null,
      quantity: 0,
      unitPrice: 0,
      coinsDelta: coins,
      status: 'ok',
      code: null,
      fingerprint: `f${coins}`,
      createdAt: Date.now(),
    },
  ]);
  await store.close();
  if (r.length !== 1) throw new Error(`the reward was not committed: ${JSON.stringify(r)}`);
  return join(dir, 'worldtick.sqlite');
};

/** {@link RESTORE_PLAYER}'s coins in the store of `dir`. */
export const coinsIn = async (dir: string): Promise<number> => {
  const store = new SqliteStore({ dataDir: dir });
  try {
    return (await store.ledgerBalance(RESTORE_PLAYER)).coins;
  } finally {
    await store.close();
  }
};
