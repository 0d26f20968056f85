/**
 * The server half of bench/soak.ts, run as its own process with `--expose-gc`: the market example
 * (examples/market: ledger, player data, game messages, timers, facts) served by `startServer` on
 * 127.0.0.1 with a SQLite store in `--data-dir`, exactly as `examples/market/main.ts` serves it.
 *
 *   node --expose-gc --import tsx bench/soak-server.ts --data-dir <dir> [--grace 5]
 *
 * It prints one JSON line `{ port, adminPort, adminToken }` once listening, then answers IPC
 * messages from its parent (this file is the bench's own hook: the server has none):
 *   - `{ op: 'sample' }` → three full GCs a turn apart, then `{ op: 'sample', sample }` with
 *     `process.memoryUsage()`, live handles, and the sizes of the live state that may explain a heap
 *     (sessions, parked players, entities, ledger and net tables);
 *   - `{ op: 'snapshot', path }` → `v8.writeHeapSnapshot(path)` after the same GCs, `{ op: 'snapshot', path }`.
 */
import v8 from 'node:v8';
import { createMarketGame } from '../examples/market/game.js';
import { startServer } from '../src/game/server.js';
import { ledgerRetained } from '../src/ledger/world-ledger.js';
import { entityCount } from '../src/world/sim-world.js';

const arg = (name: string, d: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? String(process.argv[i + 1]) : d;
};

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const running = await startServer(createMarketGame({ restockSeconds: 5 }), {
  options: {
    host: '127.0.0.1',
    port: 0,
    adminPort: 0,
    adminToken: 'soak-admin-token',
    dataDir: arg('data-dir', './soak-data'),
    logLevel: 'warn',
    checkpointIntervalSeconds: 5,
    // Loopback clients: no per-address caps (they would count every bench socket as one peer).
    net: { resumeGraceSeconds: Number(arg('grace', '5')), maxConnectionsPerAddress: 0, maxPayloadLength: 4096 },
  },
});

const full = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setImmediate(r));
    gc();
  }
};

/** The live state: what a heap may legitimately hold in proportion to. */
const liveState = () => {
  const st = running.runtime.gameServer.stats();
  const w = running.world;
  const l = w.ledger;
  return {
    connections: st.connections,
    sessions: st.sessions,
    parked: st.parked,
    joining: st.joining,
    pendingResumes: st.pendingResumes,
    limitedAddresses: st.limitedAddresses,
    newPlayerAddresses: st.newPlayerAddresses,
    authLimitedAddresses: st.authLimitedAddresses,
    parkedAddresses: st.parkedAddresses,
    sessionMemoryBytes: st.sessionMemoryBytes,
    strikes: st.strikes,
    errorsByCode: st.errorsByCode,
    closesByCode: st.closesByCode,
    entities: entityCount(w),
    byPlayer: w.net?.byPlayer.size ?? 0,
    away: w.net?.away.size ?? 0,
    playerRows: w.stores.playerRows.rowOf.size,
    ledger: l
      ? { ...ledgerRetained(l), unanswered: l.unanswered.size, recent: l.recent.length, rateLimitBuckets: l.service.rateLimitBuckets }
      : null,
    worlds: running.runtime.runner.worlds().length,
  };
};

process.on('message', (m: { op: string; path?: string }) => {
  void (async () => {
    await full();
    if (m.op === 'sample') {
      const mem = process.memoryUsage();
      const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
      process.send?.({ op: 'sample', sample: { mem, handles, live: liveState(), cpu: process.cpuUsage() } });
    } else if (m.op === 'snapshot' && m.path) {
      v8.writeHeapSnapshot(m.path);
      process.send?.({ op: 'snapshot', path: m.path });
    }
  })();
});

process.on('SIGTERM', () => {
  void running.stop().then(() => process.exit(0));
});

process.stdout.write(`${JSON.stringify({ port: running.port, adminPort: running.adminPort, adminToken: running.adminToken })}\n`);
