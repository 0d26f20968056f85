/**
 * The kill windows of the crash campaign (bench/crash-campaign.ts): when, under load, the server is
 * SIGKILLed — at any moment, during a checkpoint write, during its first start, while PostgreSQL is
 * SIGKILLed and restarted, while its PostgreSQL connections are cut, while its disk is full.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { PgServer } from '../test/helpers/postgres-server.js';
import type { TcpProxy } from '../test/helpers/tcp-proxy.js';
import { admin, killServer, sleep, type ServerProc, type ServerSpec } from './crash-campaign-server.js';

/**
 * The campaign's windows (`--window`); `cluster` runs in bench/crash-campaign-cluster.ts, `upgrade` in
 * bench/crash-campaign-upgrade.ts, `cross-world` in bench/crash-campaign-cross-world.ts, `record-batch`
 * kills in bench/crash-campaign-record-batch.ts.
 * `random` (any moment under load), `checkpoint` (while a checkpoint is being written),
 * `first-start` (a fresh store: kill during the first start — migrations, first record and
 * checkpoint — then start again), `pg-crash` (the PostgreSQL server is SIGKILLed and restarted
 * under load, then the server), `pg-cut` (the server's PostgreSQL connections are cut through a
 * TCP proxy for a while, the server killed during or after the cut), `disk-full` (SQLite on a
 * small tmpfs filled to the brim under load; needs root for `mount`), `cluster` (two instances on
 * Redis + PostgreSQL, the world migrated between them, source or target killed mid-migration),
 * `upgrade` (a schema-8 store with a large ledger, killed during migration 9's back-fill),
 * `record-batch` (SQLite: many worlds, killed while world records wait in the store's group-commit
 * window; bench/crash-campaign-record-batch.ts), `cross-world` (one identity buying in two worlds at once,
 * killed at any moment; bench/crash-campaign-cross-world.ts).
 */
export const WINDOWS = [
  'random',
  'checkpoint',
  'first-start',
  'pg-crash',
  'pg-cut',
  'disk-full',
  'cluster',
  'upgrade',
  'record-batch',
  'cross-world',
] as const;
export type Window = (typeof WINDOWS)[number];

/** What a kill acts on besides the server: the campaign's seeded random draw, its PostgreSQL, proxy and tmpfs (when it has them). */
export interface KillContext {
  readonly window: Window;
  readonly rand: (lo: number, hi: number) => number;
  readonly pg: () => PgServer | null;
  readonly proxy: () => TcpProxy | null;
  readonly mounted: () => string | null;
}

/** Kill at a moment chosen by the window; returns ms from the window's reference point and a note. */
export const killInWindow = async (k: KillContext, spec: ServerSpec, proc: ServerProc): Promise<{ ms: number; note: string }> => {
  const { rand } = k;
  switch (k.window) {
    case 'random':
    case 'first-start': {
      const ms = rand(0, 800);
      await sleep(ms);
      await killServer(proc);
      return { ms, note: 'under load' };
    }
    case 'checkpoint': {
      // Wait for a checkpoint to start, then kill at a random point of a typical write.
      const deadline = Date.now() + 10_000;
      let dur = 100;
      for (;;) {
        const r = await admin(spec.adminPort, 'GET', '/api/v1/worlds/1/stats').catch(() => null);
        const ck = r?.json?.checkpoint;
        if (ck?.lastDurationMs) dur = ck.lastDurationMs;
        if (ck?.inProgress || Date.now() > deadline) break;
        await sleep(2);
      }
      const ms = rand(0, dur * 1.2);
      await sleep(ms);
      await killServer(proc);
      return { ms, note: `checkpoint in progress (last took ${Math.round(dur)} ms)` };
    }
    case 'pg-crash': {
      await sleep(rand(0, 500));
      await k.pg()!.crash();
      const down = rand(0, 2500);
      await sleep(down);
      const killWhileDown = rand(0, 1) < 0.5;
      if (killWhileDown) await killServer(proc);
      await startPg(k.pg()!);
      const ms = rand(0, 1500);
      await sleep(ms);
      await killServer(proc);
      return {
        ms,
        note: `postgres SIGKILLed, down ${Math.round(down)} ms, server killed ${killWhileDown ? 'while it was down' : `${Math.round(ms)} ms after it was back`}`,
      };
    }
    case 'pg-cut': {
      await sleep(rand(0, 500));
      k.proxy()!.sever();
      const cut = rand(50, 3000);
      const killDuring = rand(0, 1) < 0.5;
      const ms = rand(0, cut);
      if (killDuring) {
        await sleep(ms);
        await killServer(proc);
        await sleep(cut - ms);
        k.proxy()!.heal();
      } else {
        await sleep(cut);
        k.proxy()!.heal();
        await sleep(ms);
        await killServer(proc);
      }
      return { ms, note: `connections cut ${Math.round(cut)} ms, killed ${killDuring ? 'during' : 'after'} the cut` };
    }
    case 'cluster':
    case 'upgrade':
    case 'record-batch':
    case 'cross-world':
      throw new Error(`the ${k.window} window runs in its own file (bench/crash-campaign-${k.window}.ts)`);
    case 'disk-full': {
      const filler = join(spec.dataDir, 'filler');
      await sleep(rand(0, 300));
      fillDisk(k.mounted()!, filler, Math.floor(rand(0, 64)) * 1024);
      const full = rand(100, 2500);
      const healFirst = rand(0, 1) < 0.5;
      if (healFirst) {
        await sleep(full);
        rmSync(filler, { force: true });
        await sleep(rand(0, 800));
        await killServer(proc);
      } else {
        await sleep(full);
        await killServer(proc);
        rmSync(filler, { force: true });
      }
      return { ms: full, note: `disk full for ${Math.round(full)} ms, killed ${healFirst ? 'after space came back' : 'while full'}` };
    }
  }
};

/** Fill the tmpfs `mounted` holding the data dir, leaving about `leave` bytes (the server keeps writing meanwhile). */
const fillDisk = (mounted: string, filler: string, leave: number): void => {
  const free = Number(execFileSync('df', ['--output=avail', '-B1', mounted]).toString().split('\n')[1]);
  const fd = openSync(filler, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (let left = Math.max(0, free - leave); left > 0; left -= chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, left));
  } catch {
    /* ENOSPC: full already */
  } finally {
    closeSync(fd);
  }
};

/** Start `pg` again (its port may take a moment to be free): up to 20 retries, 250 ms apart. */
const startPg = async (pg: PgServer): Promise<void> => {
  for (let i = 0; ; i++) {
    try {
      await pg.start();
      return;
    } catch (err) {
      if (i >= 20) throw err;
      await sleep(250);
    }
  }
};
