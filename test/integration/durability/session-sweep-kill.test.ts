/**
 * The session sweep killed mid-pass (docs/DURABILITY.md "Expired records (the session sweep)"): a
 * real child process (test/helpers/session-sweep-child.ts) sweeps a backlog of 60,000 expired
 * records beside 1,000 live and 1,000 parked ones, re-parking 50 of the live players meanwhile (one every 5 ms), and is
 * SIGKILLed once it reported a part swept, over a real SQLite file and a real PostgreSQL. Afterwards:
 * no live or parked record lost, what is left of the backlog is its newest part (oldest deleted first,
 * whole transactions), and a new pass clears the rest, the live and parked records still kept.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DurableSessions } from '../../../src/net/durable-sessions.js';
import { childNodeArgs } from '../../helpers/child-node.js';
import { type StoreHandle, sqliteAndPostgres } from '../../helpers/store-factories.js';

const factories = await sqliteAndPostgres('session sweep kill');

const N = 60_000;
const KEEP = 1000;
const pad = (i: number): string => `e${String(i).padStart(6, '0')}`;

/**
 * N expired records (the oldest e000000, expired hours ago), KEEP live and KEEP parked ones, written
 * with raw multi-row INSERTs (through the store, 60,000 PostgreSQL upserts took ~10 s).
 */
const seed = async (h: StoreHandle): Promise<void> => {
  const now = Date.now();
  const rows: string[] = [];
  const row = (token: string, expiresAt: number, data: string) => `('${token}', 'x:${token}', 'w', ${expiresAt}, '${data}')`;
  for (let i = 0; i < N; i++) rows.push(row(pad(i), now - 7_200_000 + i, '{"live":false}'));
  for (let i = 0; i < KEEP; i++)
    rows.push(row(`l${i}`, now + 86_400_000, '{"live":true,"boot":"old"}'), row(`p${i}`, now + 600_000, '{"live":false}'));
  const inserts: string[] = [];
  for (let a = 0; a < rows.length; a += 1000)
    inserts.push(`INSERT INTO sessions (token, player_id, world_id, expires_at, data) VALUES ${rows.slice(a, a + 1000).join(', ')}`);
  await h.raw(`BEGIN; ${inserts.join('; ')}; COMMIT`);
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
        await (await handle.open()).close(); // the schema
        await seed(handle);
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
