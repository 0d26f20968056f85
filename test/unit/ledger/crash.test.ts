/**
 * Crash safety on SQLite: a process acknowledging rewards is killed with SIGKILL mid-stream; after
 * reopening, every acknowledged entry is in the ledger and balances equal the entries.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { childNodeArgs } from '../../helpers/child-node.js';

it('loses nothing acknowledged when the process is killed (SIGKILL)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-crash-'));
  try {
    const proc = spawn(process.execPath, [...(await childNodeArgs('test/helpers/ledger-crash-child.ts')), dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const acked: string[] = [];
    let buf = '';
    await new Promise<void>((resolve, reject) => {
      proc.on('error', reject);
      proc.stdout.on('data', (chunk: Buffer) => {
        buf += chunk.toString('utf8');
        const lines = buf.split('\n');
        buf = lines.pop()!;
        acked.push(...lines);
        if (acked.length >= 2000 && proc.exitCode === null && !proc.killed) {
          proc.kill('SIGKILL');
          resolve();
        }
      });
      proc.on('exit', () => resolve());
    });
    await new Promise((r) => proc.once('close', r));
    // Lines written before the kill but still in the pipe were read by the 'data' handler above.
    expect(acked.length).toBeGreaterThanOrEqual(2000);
    const store = new SqliteStore({ dataDir: dir });
    try {
      const keys = new Set<string>();
      let after = 0;
      for (;;) {
        const page = await store.readLedger({ afterSeq: after });
        for (const e of page) keys.add(e.key);
        if (page.length < 10_000) break;
        after = page[page.length - 1].seq;
      }
      const lost = acked.filter((k) => !keys.has(k));
      expect(lost).toEqual([]);
      let total = 0;
      for (let p = 0; p < 5; p++) total += (await store.ledgerBalance(`p${p}`)).coins;
      expect(total).toBe(keys.size);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
