/**
 * How long `npm run store-copy` (src/cli/store-copy.ts; docs/DURABILITY.md "Moving to PostgreSQL
 * (operators)") takes to move a stopped server's SQLite store into an empty PostgreSQL database.
 *
 *   npx tsx bench/store-copy.ts [--quick]    (or `npm run bench -- store-copy [--quick]`)
 *
 * For each size (10,000 / 30,000 / 100,000 ledger entries; --quick: 2,000 and 10,000) a fresh SQLite
 * store in a temp dir is filled through the store's own API: the ledger in `commitLedger` batches of
 * 5,000 (`ok` rewards and potion purchases alternating per player, bench/ledger-history-entry.ts),
 * one player per 100 entries (`putPlayer` with a small data object) with two player-data keys of
 * ~200 bytes each, one world record and one 2 MB checkpoint per 12,500 entries (at least one), as
 * the hand measurement had (100,000 entries, 1,000 players, 8 checkpoints). The store is closed and
 * the real command runs as a child process (test/helpers/store-copy-cli.ts) into a new database of a
 * throwaway PostgreSQL server (test/helpers/postgres-server.ts). Per size: the wall time of the
 * process (tsx start-up included) and the command's own `ms`, its `phaseMs` (lock, open,
 * sourceVerify, migrate, insert, compare, commit, targetVerify), the insert time of each table (from
 * the arrival times of its `copied <table>` lines: a table's time runs from the previous line),
 * ledger rows per second (the ledger's own insert time, and the whole insert phase), the source file
 * and target database sizes, and `os.loadavg()` before and after. Then the same database is copied
 * back into a new SQLite directory (`--from postgres://… --to sqlite:<dir>`, docs "Back to SQLite
 * (operators)"): the same figures under `back`, with the new file's size. Each copy must exit 0 with
 * `ok` (the bench throws otherwise). Writes bench/results/store-copy.json.
 */
import { statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SQLITE_FILE_NAME, SqliteStore } from '../src/store/sqlite-store.js';
import type { LedgerEntryInput } from '../src/store/types.js';
import { tempDataDir } from '../test/helpers/data-dir.js';
import { startPostgres } from '../test/helpers/postgres-server.js';
import { withPgClient } from '../test/helpers/shared-postgres.js';
import { copyReport, spawnCopy } from '../test/helpers/store-copy-cli.js';
import { runSuite, type Suite } from './harness.js';
import { historyEntry } from './ledger-history-entry.js';

const FILL_BATCH = 5000;
const ENTRIES_PER_PLAYER = 100;
const ENTRIES_PER_CHECKPOINT = 12_500;
const CHECKPOINT_BYTES = 2 << 20;
const PLAYER_DATA_BATCH = 200;
const LIMITS = { maxBytesPerPlayer: 1e9, maxKeysPerPlayer: 1e9, maxDeletedKeysPerPlayer: 1e9 };

interface Size {
  entries: number;
  players: number;
  checkpoints: number;
}

const sizeOf = (entries: number): Size => ({
  entries,
  players: Math.max(1, Math.round(entries / ENTRIES_PER_PLAYER)),
  checkpoints: Math.max(1, Math.round(entries / ENTRIES_PER_CHECKPOINT)),
});

const loadAvg = (): number[] => os.loadavg().map((l) => Math.round(l * 100) / 100);

/** Fill a closed SQLite store in `dir` with `s` (see the module comment); returns the wall ms. */
const fill = async (dir: string, s: Size): Promise<number> => {
  const t0 = performance.now();
  const store = new SqliteStore({ dataDir: dir });
  try {
    const player = (p: number): string => `bench:p${p}`;
    for (let i = 0; i < s.entries; i += FILL_BATCH) {
      const batch: LedgerEntryInput[] = [];
      for (let j = i; j < Math.min(s.entries, i + FILL_BATCH); j++) {
        const p = j % s.players;
        // Each player's entries alternate reward, purchase, ...: no balance goes negative.
        batch.push(historyEntry(player(p), `k${j}`, Math.floor(j / s.players) % 2 === 0));
      }
      await store.commitLedger(batch);
    }
    for (let p = 0; p < s.players; p++) await store.putPlayer({ id: player(p), name: `p${p}`, data: { level: p % 50, joined: p } });
    const value = JSON.stringify({ inventory: 'x'.repeat(180) });
    for (let p = 0; p < s.players; p += PLAYER_DATA_BATCH / 2) {
      const ops = [];
      for (let q = p; q < Math.min(s.players, p + PLAYER_DATA_BATCH / 2); q++)
        for (const key of ['save', 'settings']) ops.push({ op: 'put' as const, playerId: player(q), key, value, expectedVersion: null });
      await store.applyPlayerData(ops, LIMITS);
    }
    const data = new Uint8Array(CHECKPOINT_BYTES);
    for (let c = 0; c < s.checkpoints; c++) {
      for (let i = 0; i < data.length; i++) data[i] = (i * 31 + c * 7 + (i >> 9)) & 0xff;
      const worldId = `w${c + 1}`;
      const config = { simulation: { timeScale: 1 } };
      await store.putWorldConfig(worldId, config);
      await store.saveCheckpoint({ worldId, step: 1000 + c, worldTime: 50 + c, config, fencingToken: 1, data });
    }
  } finally {
    await store.close();
  }
  return performance.now() - t0;
};

/** Run the command; the wall ms, its report and the arrival ms (from the spawn) of each `copied <table>` line. */
const runCopy = async (
  args: string[],
): Promise<{ wallMs: number; report: any; copiedAt: Array<{ table: string; ms: number }>; stderr: string; status: number | null }> => {
  const t0 = performance.now();
  const child = await spawnCopy(args);
  let stdout = '';
  let stderr = '';
  let partial = '';
  const copiedAt: Array<{ table: string; ms: number }> = [];
  child.stdout?.on('data', (d: Buffer) => {
    const at = performance.now() - t0;
    stdout += d.toString();
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) {
      const m = /^copied\s+(\w+):/.exec(l);
      if (m?.[1]) copiedAt.push({ table: m[1], ms: at });
    }
  });
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const wallMs = performance.now() - t0;
  return { wallMs, report: status === 0 ? copyReport(stdout) : null, copiedAt, stderr, status };
};

const r1 = (n: number): number => Math.round(n * 10) / 10;

/** A finished run's figures: wall and command ms, its phases, each table's insert ms, ledger rows per second. */
const figuresOf = (run: Awaited<ReturnType<typeof runCopy>>) => {
  // A table's insert time: from the previous `copied` line (or, for the first, not measured).
  const tableMs: Record<string, number> = {};
  for (let i = 1; i < run.copiedAt.length; i++) {
    const cur = run.copiedAt[i];
    const prev = run.copiedAt[i - 1];
    if (cur && prev) tableMs[cur.table] = Math.round(cur.ms - prev.ms);
  }
  const phaseMs = run.report.phaseMs as Record<string, number>;
  const ledgerRows = (run.report.tables as Array<{ table: string; targetRows: number }>).find((t) => t.table === 'ledger')?.targetRows ?? 0;
  return {
    ledgerRows,
    wallMs: Math.round(run.wallMs),
    commandMs: run.report.ms as number,
    phaseMs,
    tableInsertMs: tableMs,
    ledgerRowsPerSec: tableMs.ledger ? Math.round(ledgerRows / (tableMs.ledger / 1000)) : null,
    ledgerRowsPerSecWholeInsert: phaseMs.insert ? Math.round(ledgerRows / (phaseMs.insert / 1000)) : null,
  };
};

const storeCopySuite: Suite = {
  name: 'store-copy',
  async run(ctx) {
    const server = await startPostgres();
    if ('skip' in server) throw new Error(`store-copy bench needs PostgreSQL: ${server.skip}`);
    type Figures = ReturnType<typeof figuresOf>;
    const rows: Array<Figures & { sourceMiB: number; targetMiB: number; back: Figures & { targetMiB: number } }> = [];
    try {
      for (const entries of ctx.quick ? [2_000, 10_000] : [10_000, 30_000, 100_000]) {
        const s = sizeOf(entries);
        const src = tempDataDir('wt-bench-store-copy-');
        const dbName = `copy_${entries}`;
        const url = server.url.replace(/\/postgres$/, `/${dbName}`);
        try {
          const fillMs = await fill(src.dir, s);
          await withPgClient(server.url, (c) => c.query(`CREATE DATABASE ${dbName}`));
          const sourceBytes = statSync(join(src.dir, SQLITE_FILE_NAME)).size;
          const loadBefore = loadAvg();
          const run = await runCopy(['--from', `sqlite:${src.dir}`, '--to', url]);
          const loadAfter = loadAvg();
          if (run.status !== 0 || run.report?.ok !== true) throw new Error(`store-copy exited ${run.status}: ${run.stderr}`);
          const targetBytes = await withPgClient(url, async (c) =>
            Number((await c.query('SELECT pg_database_size(current_database()) AS n')).rows[0].n),
          );
          const forward = figuresOf(run);
          // And back: the same database into a new SQLite directory (PostgreSQL → SQLite).
          const back = join(src.dir, 'back');
          const backLoadBefore = loadAvg();
          const backRun = await runCopy(['--from', url, '--to', `sqlite:${back}`]);
          const backLoadAfter = loadAvg();
          if (backRun.status !== 0 || backRun.report?.ok !== true)
            throw new Error(`store-copy back exited ${backRun.status}: ${backRun.stderr}`);
          const row = {
            size: `${entries} ledger entries, ${s.players} players, ${s.checkpoints} checkpoints of 2 MB`,
            players: s.players,
            checkpoints: s.checkpoints,
            fillMs: Math.round(fillMs),
            ...forward,
            sourceMiB: r1(sourceBytes / 2 ** 20),
            targetMiB: r1(targetBytes / 2 ** 20),
            loadBefore,
            loadAfter,
            back: {
              ...figuresOf(backRun),
              targetMiB: r1(statSync(join(back, SQLITE_FILE_NAME)).size / 2 ** 20),
              loadBefore: backLoadBefore,
              loadAfter: backLoadAfter,
            },
          };
          rows.push(row);
          ctx.log(
            `${row.size}: wall ${row.wallMs} ms (command ${row.commandMs} ms), ledger ${row.ledgerRowsPerSec} rows/s, source ${row.sourceMiB} MiB → target ${row.targetMiB} MiB, load ${loadBefore.join('/')} → ${loadAfter.join('/')}`,
          );
          ctx.log(`  phases ms: ${JSON.stringify(row.phaseMs)}`);
          ctx.log(`  per-table insert ms: ${JSON.stringify(row.tableInsertMs)}`);
          ctx.log(
            `  back to SQLite: wall ${row.back.wallMs} ms (command ${row.back.commandMs} ms), ledger ${row.back.ledgerRowsPerSec} rows/s, target ${row.back.targetMiB} MiB, load ${backLoadBefore.join('/')} → ${backLoadAfter.join('/')}`,
          );
          ctx.log(`  back phases ms: ${JSON.stringify(row.back.phaseMs)}`);
        } finally {
          src.remove();
          await withPgClient(server.url, (c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)).catch(() => undefined);
        }
      }
    } finally {
      await server.destroy();
    }
    console.table(
      rows.map((r) => ({
        ledger: r.ledgerRows,
        'wall ms': r.wallMs,
        'insert ms': (r.phaseMs as Record<string, number>).insert,
        'compare ms': (r.phaseMs as Record<string, number>).compare,
        'verify ms (src+tgt)': (r.phaseMs as Record<string, number>).sourceVerify + (r.phaseMs as Record<string, number>).targetVerify,
        'ledger rows/s': r.ledgerRowsPerSec,
        'src MiB': r.sourceMiB,
        'tgt MiB': r.targetMiB,
        'back wall ms': r.back.wallMs,
        'back insert ms': r.back.phaseMs.insert,
        'back compare ms': r.back.phaseMs.compare,
        'back ledger rows/s': r.back.ledgerRowsPerSec,
        'back MiB': r.back.targetMiB,
      })),
    );
    ctx.record('postgres', 'throwaway PostgreSQL 15 server (test/helpers/postgres-server.ts), a new database per size');
    ctx.record('sizes', rows);
  },
};

export default storeCopySuite;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runSuite(storeCopySuite, process.argv.includes('--quick'));
  process.exit(0);
}
