/**
 * Cluster instances as in-process runtimes (the same `createRuntime` the command line runs, on real
 * ports, a real redis-server and a real PostgreSQL), for tests that must also reach into a runtime
 * (its cluster view) and should not pay a child process start per instance. Each instance's pino
 * lines are parsed into `lines`.
 */
import { PassThrough } from 'node:stream';
import { parseOptions } from '../../src/cli/options.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/server/runtime.js';
import type { GameDefinition } from '../../src/game/definition.js';
import { adminApi, CLUSTER_TOKEN } from './cluster-instances.js';
import { tempDataDir } from './data-dir.js';
import { collectJsonLines } from './log-lines.js';

/** One running in-process instance. */
export interface RuntimeInstance {
  readonly id: string;
  readonly runtime: Runtime;
  readonly adminUrl: string;
  /** `ws://127.0.0.1:<port>` of its game server. */
  readonly gameUrl: string;
  /** Parsed JSON log lines so far. */
  readonly lines: Array<Record<string, unknown>>;
  /** A request on the admin API with the token; resolves status, JSON body (or text), text and headers. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any; text: string; headers: Headers }>;
  /** `runtime.stop()` once (idempotent). */
  stop(): Promise<void>;
}

/**
 * Start instance `id` with `args` (plus `--port 0 --admin-port 0`, the test token, few NPCs, no stats lines,
 * and a throwaway data directory, removed at `stop`, unless `args` give `--data-dir` or `--store`),
 * serving `game` when given (else the life simulation).
 */
export const startRuntimeInstance = async (id: string, args: string[], game?: GameDefinition): Promise<RuntimeInstance> => {
  const out = new PassThrough();
  const lines = collectJsonLines(out);
  const data = args.includes('--data-dir') || args.includes('--store') ? null : tempDataDir(`wt-${id}-`);
  const options = parseOptions(
    [
      ...['--port', '0', '--admin-port', '0', '--instance-id', id, '--admin-token', CLUSTER_TOKEN],
      ...['--npcs', '50', '--stats-interval', '0', '--log-level', 'info'],
      ...(data ? ['--data-dir', data.dir] : []),
      ...args,
    ],
    {},
  );
  const runtime = createRuntime(options, createLogger('info', out), game);
  await runtime.start();
  const adminUrl = `http://127.0.0.1:${runtime.admin.port}`;
  let stopped: Promise<void> | null = null;
  return {
    id,
    runtime,
    adminUrl,
    gameUrl: `ws://127.0.0.1:${runtime.gameServer.port}`,
    lines,
    api: (method, path, body) => adminApi(adminUrl, method, path, body, 15_000),
    stop: () => (stopped ??= runtime.stop().finally(() => data?.remove())),
  };
};
