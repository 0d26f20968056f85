/**
 * The session sweep killed mid-pass (docs/DURABILITY.md "Expired records (the session sweep)"): a
 * real child process (test/helpers/session-sweep-child.ts) sweeps a backlog of 120,000 expired
 * records beside 1,000 live and 1,000 parked ones, re-parking 50 of the live players meanwhile, and is
 * SIGKILLed once it reported a part swept, over a real SQLite file and a real PostgreSQL. Afterwards:
 * no live or parked record lost, what is left of the backlog is its newest part (oldest deleted first,
 * whole transactions), and a new pass clears the rest, the live and parked records still kept.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DurableSessions } from '../../../src/net/durable-sessions.js';
import type { SessionWrite, Store } from '../../../src/store/types.js';
import { childNodeArgs } from '../../helpers/child-node.js';
import { sqliteAndPostgres } from '../../helpers/store-factories.js';

const factories = await sqliteAndPostgres('session sweep kill');

const N = 120_000;
const KEEP = 1000;
const pad = (i: number): string => `e${String(i).padStart(6, '0')}`;

/** N expired records (the oldest e000000, expired hours ago), KEEP live and KEEP parked ones. */
const seed = async (store: Store): Promise<void> => {
  const now = Date.now();
  for (let start = 0; start < N; start += 20_000) {
    const ops: SessionWrite[] = [];
    for (let i = start; i < Math.min(N, start + 20_000); i++)
      ops.push({
        kind: 'session',
        record: { token: pad(i), playerId: `x:${pad(i)}`, worldId: 'w', expiresAt: now - 7_200_000 + i, data: { live: false } },
      });
    await store.writeSessions(ops);
  }
  const keep: SessionWrite[] = [];
  for (let i = 0; i < KEEP; i++) {
    keep.push({
      kind: 'session',
      record: { token: `l${i}`, playerId: `x:l${i}`, worldId: 'w', expiresAt: now + 86_400_000, data: { live: true, boot: 'old' } },
    });
    keep.push({
      kind: 'session',
      record: { token: `p${i}`, playerId: `x:p${i}`, worldId: 'w', expiresAt: now + 600_000, data: { live: false } },
    });
  }
  await store.writeSessions(keep);
};

/** Expired records left (count, oldest token) and live/parked records kept. */
const census = async (q: (sql: string) => Promise<Array<Record<string, unknown>>>) => {
  const [e] = await q(`SELECT COUNT(*) AS n, MIN(token) AS first FROM sessions WHERE token LIKE 'e%'`);
  const [k] = await q(`SELECT COUNT(*) AS n FROM sessions WHERE token LIKE 'l%' OR token LIKE 'p%'`);
  return { expiredLeft: Number(e?.n), firstLeft: String(e?.first ?? ''), kept: Number(k?.n) };
};

/** Run the child over `where` until it reported `atLeast` swept, then SIGKILL it; the last count it printed. */
const sweepAndKill = async (kind: string, where: string, atLeast: number): Promise<number> => {
  const proc = spawn(process.execPath, [...(await childNodeArgs('test/helpers/session-sweep-child.ts')), kind, where], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let last = 0;
  let buf = '';
  await new Promise<void>((resolve, reject) => {
    proc.on('error', reject);
    proc.stdout.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) last = Number(l.split(' ')[1]);
      if (last >= atLeast && proc.exitCode === null && !proc.killed) {
        proc.kill('SIGKILL');
        resolve();
      }
    });
    proc.on('exit', () => resolve());
  });
  await new Promise((r) => proc.once('close', r));
  expect(proc.signalCode).toBe('SIGKILL');
  return last;
};

for (const { factory, name } of factories) {
  describe.skipIf(!factory)(`session sweep killed mid-pass: ${name}`, () => {
    it('loses no live or parked record; the oldest expired ones went first; a new pass clears the rest', { timeout: 120_000 }, async () => {
      if (!factory) return;
      const handle = await factory.create();
      try {
        const store = await handle.open();
        await seed(store);
        await store.close();
        const q = (sql: string) => handle.query(sql);
        const reported = await sweepAndKill(factory.name, handle.url ?? handle.dataDir ?? '', 4000);
        const after = await census(q);
        expect(after.kept).toBe(2 * KEEP);
        // Cut mid-pass: part of the backlog gone, at least what the child reported, not all of it.
        expect(N - after.expiredLeft).toBeGreaterThanOrEqual(reported);
        expect(after.expiredLeft).toBeGreaterThan(0);
        // Oldest expiry first: what is left is exactly the newest `expiredLeft` records.
        expect(after.firstLeft).toBe(pad(N - after.expiredLeft));
        // A new pass (a restart's) clears the rest; live and parked records stay.
        const again = await handle.open();
        const ds = new DurableSessions(
          again,
          () => 600,
          (err) => {
            throw err;
          },
        );
        ds.prune();
        await ds.settled();
        expect(ds.expiredSessionsSwept).toBe(after.expiredLeft);
        await again.close();
        expect(await census(q)).toEqual({ expiredLeft: 0, firstLeft: '', kept: 2 * KEEP });
      } finally {
        await handle.dispose();
      }
    });
  });
}
