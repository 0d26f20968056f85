/**
 * The server process of one incident drill (test/integration/incidents, docs/ADMIN.md "Runbook:
 * incidents"): started in the file's `beforeAll` (a real `npm start` or a test game main, on free
 * ports, in its own data directory), killed and its directory removed in `afterAll`. With `join`,
 * a real client joins world 1 under that name. `get` calls the admin server with the token;
 * `metric` reads one number from `/metrics` (the pattern's first group), undefined when absent.
 */
import { writeFileSync } from 'node:fs';
import WebSocket from 'ws';
import { afterAll, beforeAll } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../src/client/client.js';
import { tempDataDir } from './data-dir.js';
import { killHard, startGameProcess, type GameProcess, type Line } from './game-process.js';

export const INCIDENT_TOKEN = 'incident-token';

export interface IncidentServerOptions {
  /** Prefix of the temporary data directory. */
  readonly name: string;
  /** Entry point. Default `src/cli/main.ts` (the server `npm start` runs). */
  readonly main?: string;
  /** `--npcs` of the default world. */
  readonly npcs: number;
  /** A JSON config file written into the data directory and passed as `--config`. */
  readonly config?: object;
  /** Join world 1 with a real client under this name (then `client` is set). */
  readonly join?: string;
}

export interface IncidentServer {
  readonly p: GameProcess;
  /** The game WebSocket port. */
  readonly gamePort: number;
  /** The client joined under `join` (throws without one). */
  readonly client: WorldtickClient;
  readonly dataDir: string;
  /** The admin server's base URL (no `/api/v1`). */
  readonly base: string;
  get(path: string): Promise<Response>;
  metric(pattern: RegExp): Promise<number | undefined>;
}

/** Register the drill's server for this file (see the module comment); its fields are set once `beforeAll` ran. */
export const incidentServer = (o: IncidentServerOptions): IncidentServer => {
  const dir = tempDataDir(`wt-incident-${o.name}-`);
  let p: GameProcess | undefined;
  let client: WorldtickClient | null = null;
  let gamePort = 0;
  const started = (): GameProcess => {
    if (!p) throw new Error('the incident server is not started (use it inside a test)');
    return p;
  };
  const s: IncidentServer = {
    get p() {
      return started();
    },
    get gamePort() {
      return gamePort;
    },
    get client() {
      if (!client) throw new Error('no client joined (give `join`)');
      return client;
    },
    dataDir: dir.dir,
    get base() {
      return started().admin.replace('/api/v1', '');
    },
    get: (path) => fetch(`${s.base}${path}`, { headers: { authorization: `Bearer ${INCIDENT_TOKEN}` } }),
    async metric(pattern) {
      const m = pattern.exec(await (await s.get('/metrics')).text());
      return m ? Number(m[1]) : undefined;
    },
  };
  beforeAll(async () => {
    const args = ['--port', '0', '--admin-port', '0', '--npcs', String(o.npcs), '--stats-interval', '0'];
    if (o.config) {
      const file = `${dir.dir}/worldtick.json`;
      writeFileSync(file, JSON.stringify(o.config));
      args.push('--config', file);
    }
    p = await startGameProcess({ main: o.main ?? 'src/cli/main.ts', args, dataDir: dir.dir, token: INCIDENT_TOKEN });
    gamePort = (p.lines.find((l) => l.msg === 'server ready') as Line).port as number;
    if (o.join !== undefined) {
      client = new WorldtickClient({ url: `ws://127.0.0.1:${gamePort}`, WebSocket: WebSocket as unknown as WebSocketCtor });
      await client.connect();
      await client.join('1', o.join);
    }
  }, 30_000);
  afterAll(async () => {
    client?.close();
    if (p) await killHard(p);
    dir.remove();
  });
  return s;
};
