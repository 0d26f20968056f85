/**
 * The hostile-client audit's case, measured (docs/DURABILITY.md "Refusal rows: budget and retention"):
 * 1. over the wire, a real server with the default settings and no starting coins: one client sends
 *    unaffordable purchases at 20/s (the purchase rate limit) for 5 s; how many became ledger rows;
 * 2. the pruner's cost on SQLite: a ledger of 200,000 ok entries and 200,000 refusals past the
 *    retention; one delete statement (500 rows) and one pass (10,000 rows, 20 statements) timed, then a balance load of a refusing player
 *    before and after its refusals went.
 * Prints and writes bench/results/refusal-flood.json. `npx tsx bench/refusal-flood.ts`.
 */
import WebSocket from 'ws';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorldtickClient, type WebSocketCtor } from '../src/client/client.js';
import { parseOptions } from '../src/cli/options.js';
import { REFUSAL_PRUNE_CHUNK, startRefusalPruner } from '../src/ledger/refusal-retention.js';
import { createLogger } from '../src/log.js';
import { createRuntime } from '../src/server/runtime.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { LedgerEntryInput } from '../src/store/types.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const flood = async (): Promise<Record<string, number>> => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-refusal-flood-'));
  const rt = createRuntime(
    parseOptions(
      ['--port', '0', '--admin-port', '0', '--npcs', '10', '--stats-interval', '0', '--starting-coins', '0', '--data-dir', dir],
      {},
    ),
    createLogger('silent'),
  );
  await rt.start();
  try {
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${rt.gameServer.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
    await c.connect();
    const wallet = c.waitFor((m) => m.type === 22);
    await c.join('1', 'flood', 'flood-token');
    await wallet;
    let recorded = 0;
    let unrecorded = 0;
    let other = 0;
    const t0 = performance.now();
    const answers: Array<Promise<void>> = [];
    for (let i = 0; i < 100; i++) {
      answers.push(
        c.purchase(`flood-${i}`, 'sword', 1, 150).then((r) => {
          if (r.code !== 'TX_INSUFFICIENT_FUNDS') other++;
          else if (r.seq === null) unrecorded++;
          else recorded++;
        }),
      );
      await sleep(Math.max(0, t0 + (i + 1) * 50 - performance.now()));
    }
    await Promise.all(answers);
    c.close();
    return { purchases: 100, seconds: (performance.now() - t0) / 1000, recorded, unrecorded, other };
  } finally {
    await rt.stop();
    rmSync(dir, { recursive: true, force: true });
  }
};

const prune = async (): Promise<Record<string, number>> => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-refusal-prune-'));
  const store = new SqliteStore({ dataDir: dir });
  try {
    const row = (i: number, status: 'ok' | 'rejected'): LedgerEntryInput => ({
      worldId: '1',
      playerId: `t:${(i % 100).toString(16).padStart(32, '0')}`,
      key: `${status}-${i}-${'k'.repeat(40)}`,
      kind: status === 'ok' ? 'reward' : 'purchase',
      item: status === 'ok' ? null : 'sword',
      quantity: 0,
      unitPrice: status === 'ok' ? 0 : 150,
      coinsDelta: status === 'ok' ? 1 : 0,
      status,
      code: status === 'ok' ? null : 'TX_INSUFFICIENT_FUNDS',
      fingerprint: status === 'ok' ? 'reward|1||0' : 'purchase|sword|1|150',
      createdAt: 1000 + i,
    });
    for (let b = 0; b < 400; b++)
      await store.commitLedger(Array.from({ length: 1000 }, (_, j) => row(b * 1000 + j, b % 2 ? 'rejected' : 'ok')));
    const player = `t:${(0).toString(16).padStart(32, '0')}`;
    let t = performance.now();
    await store.ledgerBalance(player);
    const balanceBeforeMs = performance.now() - t;
    t = performance.now();
    const chunk = await store.pruneLedgerRefusals(Date.now(), REFUSAL_PRUNE_CHUNK);
    const statementMs = performance.now() - t;
    const pruner = startRefusalPruner({ store, retentionHours: 1, onPruned: () => {}, onFailed: () => {}, intervalMs: 3_600_000 });
    if (!pruner) throw new Error('no pruner');
    t = performance.now();
    const first = await pruner.pass();
    const passMs = performance.now() - t;
    let total = first + chunk;
    for (;;) {
      const n = await pruner.pass();
      total += n;
      if (n === 0) break;
    }
    pruner.stop();
    t = performance.now();
    await store.ledgerBalance(player);
    const balanceAfterMs = performance.now() - t;
    t = performance.now();
    const idle = await store.pruneLedgerRefusals(Date.now(), 1000);
    const emptyPassMs = performance.now() - t;
    return {
      okRows: 200_000,
      refusalRows: 200_000,
      statementRows: chunk,
      statementMs,
      firstPassRows: first,
      firstPassMs: passMs,
      prunedTotal: total + idle,
      emptyStatementMs: emptyPassMs,
      playerRowsBefore: 4000,
      balanceLoadBeforeMs: balanceBeforeMs,
      balanceLoadAfterMs: balanceAfterMs,
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
};

const loadBefore = loadavg()[0];
const result = { date: new Date().toISOString(), loadavg: [loadBefore, loadavg()[0]], flood: await flood(), prune: await prune() };
result.loadavg[1] = loadavg()[0];
console.log(JSON.stringify(result, null, 2));
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/refusal-flood.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
