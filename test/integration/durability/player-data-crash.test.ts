/**
 * Player data survives a SIGKILL of the server process once its promise resolved, on SQLite and on
 * a real PostgreSQL (a database of its own on the run's shared server). A game server process (test/helpers/player-data-game-main.ts)
 * increments a counter of durable player `t:crash` in a loop through `updatePlayerData`, printing
 * each value after its save resolved; a real WebSocket client joins with a hello token (the game's
 * `onPlayerJoined` increments that player's `joins`). The process is killed with SIGKILL and started
 * again on the same store: the counter is the last value printed, or one more (the save in flight
 * at the kill may have committed; never less), its version equals its value (no lost or doubled
 * write), and the same client token joining again finds `joins` = 2 (keyed by the durable id).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import WebSocket from 'ws';
import { afterAll, describe, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { childNodeArgs } from '../../helpers/child-node.js';
import { collectJsonLines } from '../../helpers/log-lines.js';
import { freshDatabase } from '../../helpers/shared-postgres.js';
import { until } from '../../helpers/cluster-instances.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const Ws = WebSocket as unknown as WebSocketCtor;

// Only the game server is killed: a database of its own on the run's shared PostgreSQL server does.
const pgServer = await freshDatabase();
if ('skip' in pgServer) console.warn(`[player data crash] PostgreSQL run skipped: ${pgServer.skip}`);
const data = tempDataDir('wt-pdata-crash-');
afterAll(async () => {
  data.remove();
  if (!('skip' in pgServer)) await pgServer.destroy();
});

interface Proc {
  child: ChildProcessWithoutNullStreams;
  lines: Array<Record<string, unknown>>;
  port: number;
}

const start = async (storeArgs: string[]): Promise<Proc> => {
  const child = spawn(
    process.execPath,
    [
      ...(await childNodeArgs('test/helpers/player-data-game-main.ts')),
      '--port',
      '0',
      '--admin-port',
      '0',
      '--stats-interval',
      '0',
      ...storeArgs,
    ],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, WORLDTICK_ADMIN_TOKEN: 'pd-crash-token' } },
  );
  const lines = collectJsonLines(child.stdout);
  const ready = await until('server ready', () => lines.find((l) => l.msg === 'server ready'), 30_000, 20).catch((err: unknown) => {
    child.kill('SIGKILL'); // not left running after the test
    throw err;
  });
  return { child, lines, port: ready.port as number };
};

const join = async (p: Proc): Promise<Record<string, unknown>> => {
  const c = new WorldtickClient({ url: `ws://127.0.0.1:${p.port}`, WebSocket: Ws });
  await c.connect();
  try {
    await c.join('1', 'crashy', 'crash-client-token');
    return await until('pd-join', () => p.lines.find((l) => l.msg === 'pd-join'), 20_000, 20);
  } finally {
    c.close();
  }
};

const stores: Array<{ name: string; args: () => string[]; skip: boolean }> = [
  { name: 'sqlite', args: () => ['--data-dir', data.dir], skip: false },
  { name: 'postgres', args: () => ['--store', 'skip' in pgServer ? '' : pgServer.url], skip: 'skip' in pgServer },
];

// The two stores side by side (each its own processes and store), each with its own `expect` (vitest's
// rule for concurrent tests): one after the other they took ~6.5 s, mostly two process starts each.
describe.concurrent('player data after SIGKILL', () => {
  for (const s of stores) {
    it.skipIf(s.skip)(
      `${s.name}: every save that resolved is there after the restart`,
      async ({ expect }) => {
        const a = await start(s.args());
        let lastPrinted = 0;
        let joinedId: unknown;
        try {
          expect(await until('pd-loaded', () => a.lines.find((l) => l.msg === 'pd-loaded'), 20_000, 20)).toMatchObject({
            status: 'ok',
            version: 0,
          });
          const first = await join(a);
          expect(first).toMatchObject({ status: 'ok', value: 1, version: 1 });
          joinedId = first.playerId;
          expect(joinedId).toMatch(/^t:[0-9a-f]{32}$/);
          await until('30 saves', () => a.lines.filter((l) => l.msg === 'pd-saved').length >= 30, 20_000, 20);
        } finally {
          a.child.kill('SIGKILL');
          await once(a.child, 'close');
        }
        const saved = a.lines.filter((l) => l.msg === 'pd-saved');
        lastPrinted = saved[saved.length - 1]?.value as number;
        expect(saved.map((l) => l.value)).toEqual(Array.from({ length: saved.length }, (_, i) => i + 1));
        expect(a.lines.filter((l) => l.msg === 'pd-refused')).toEqual([]);

        const b = await start(s.args());
        try {
          const loaded = await until('pd-loaded', () => b.lines.find((l) => l.msg === 'pd-loaded'), 20_000, 20);
          expect(loaded.status).toBe('ok');
          expect([lastPrinted, lastPrinted + 1]).toContain(loaded.value);
          expect(loaded.version).toBe(loaded.value);
          expect(await join(b)).toMatchObject({ status: 'ok', playerId: joinedId, value: 2, version: 2 });
        } finally {
          b.child.kill('SIGTERM');
          await once(b.child, 'close');
        }
      },
      60_000,
    );
  }
});
