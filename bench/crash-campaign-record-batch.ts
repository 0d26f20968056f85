/**
 * The crash campaign's `record-batch` window (bench/crash-campaign.ts, SQLite only): many admin-created
 * worlds write their clock records (every 10 steps each) through the SQLite store's group commit
 * (src/store/sqlite-record-batch.ts: records asked for within 20 ms share one transaction), worlds are
 * created and deleted meanwhile, and the server is SIGKILLed while records wait in that window:
 *
 *   - `targeted` (half the kills): a world's `checkpoint.lastRecordStep` (marked when its record is asked
 *     for, src/persist/checkpointer.ts) is read from the admin API, then its stored record with raw SQL;
 *     when the stored one is older, that record waits in the window (or is committing): kill at once.
 *     After the kill the stored record is read again: still older = killed with it in the window (counted);
 *   - `after-201` (the other half): kill 0–20 ms after the first of the creates in flight was answered 201.
 *
 * After each kill (raw SQL on the store as the kill left it): every world answered 201 and not deleted has
 * its record, confirmed (not `pending`); no world whose delete was answered `durable: true` has one. After
 * the restart (admin API): those worlds run, the deleted ones do not, no `pending` record came back, every
 * world's step is not behind its stored record's, and each world came back from the newest checkpoint of
 * its record's incarnation (or from none when it had none).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { admin, sleep, killServer, type ServerProc, type ServerSpec } from './crash-campaign-server.js';

/** One world as the kill left it in the store. */
interface StoredWorld {
  step: number;
  at: number;
  incarnation: string | null;
  pending: boolean;
  /** Newest checkpoint of the record's incarnation (step), or null. */
  checkpointStep: number | null;
}

/** What the window knows across iterations. */
export interface RecordBatchState {
  readonly worlds: number;
  readonly rand: (lo: number, hi: number) => number;
  /** Worlds answered 201 (or seeded) and not asked to be deleted. */
  readonly live: Set<string>;
  /** Worlds whose delete was answered `durable: true`. */
  readonly deleted: Set<string>;
  /** Worlds whose delete was asked for but not answered `durable: true` (the kill came first): there or not. */
  readonly unsure: Set<string>;
  nextId: number;
  /** The store as the last kill left it (null before the first kill). */
  stored: Map<string, StoredWorld> | null;
  /** Figures over the run. */
  readonly figures: {
    kills: number;
    targeted: number;
    /** Targeted kills after which the target's stored record was still older than the one asked for. */
    killedWithRecordWaiting: number;
    /** Per kill: worlds whose stored record was asked for ≥ 600 ms before the kill (a later one asked for was lost, or the loop stalled). */
    staleRecordWorlds: number[];
    /** Per kill: wall ms from the oldest world's stored record (asked for) to the kill. */
    maxRecordAgeMs: number[];
    /** Targeted kills: steps the target's stored record is behind the step its last stats answer showed (docs: at most 10). */
    targetStepsBehind: number[];
    creates: { ok: number; refused: number; unanswered: number };
    deletes: { ok: number; notDurable: number; unanswered: number };
  };
}

/** A fresh state for `worlds` seeded worlds. */
export const newRecordBatchState = (worlds: number, rand: (lo: number, hi: number) => number): RecordBatchState => ({
  worlds,
  rand,
  live: new Set(),
  deleted: new Set(),
  unsure: new Set(),
  nextId: 0,
  stored: null,
  figures: {
    kills: 0,
    targeted: 0,
    killedWithRecordWaiting: 0,
    staleRecordWorlds: [],
    maxRecordAgeMs: [],
    targetStepsBehind: [],
    creates: { ok: 0, refused: 0, unanswered: 0 },
    deletes: { ok: 0, notDurable: 0, unanswered: 0 },
  },
});

/** Small worlds: records are what this window is about, not simulation. */
const createBody = (id: string): Record<string, unknown> => ({ id, npcs: 20, capacity: 200, size: 200 });

/** Create the seeded worlds (first start only; they are restored afterwards). */
export const seedWorlds = async (s: RecordBatchState, adminPort: number): Promise<string[]> => {
  const out: string[] = [];
  while (s.live.size < s.worlds) {
    const id = `rb-${s.nextId++}`;
    const r = await admin(adminPort, 'POST', '/api/v1/worlds', createBody(id));
    if (r.status === 201) s.live.add(id);
    else out.push(`seeding ${id}: ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
    if (out.length > 3) break;
  }
  return out;
};

const sqliteFile = (spec: ServerSpec): string => join(spec.dataDir, 'worldtick.sqlite');

/** Every world's record and the newest checkpoint of its incarnation, with raw SQL. */
const readStored = (spec: ServerSpec): Map<string, StoredWorld> => {
  const out = new Map<string, StoredWorld>();
  if (!existsSync(sqliteFile(spec))) return out;
  const db = new Database(sqliteFile(spec), { timeout: 5000 });
  try {
    const cks = db.prepare('SELECT step, meta FROM checkpoints WHERE world_id = ? ORDER BY id DESC').raw();
    for (const r of db.prepare('SELECT world_id, config FROM world_configs').all() as Array<{ world_id: string; config: string }>) {
      const j = JSON.parse(r.config) as { incarnation?: string; pending?: boolean; clock?: { step?: number; at?: number } };
      const incarnation = j.incarnation ?? null;
      let checkpointStep: number | null = null;
      for (const [step, meta] of cks.all(r.world_id) as Array<[number, string]>) {
        if ((JSON.parse(meta) as { incarnation?: string }).incarnation !== incarnation) continue;
        checkpointStep = Number(step);
        break;
      }
      out.set(r.world_id, {
        step: Number(j.clock?.step ?? -1),
        at: Number(j.clock?.at ?? 0),
        incarnation,
        pending: j.pending === true,
        checkpointStep,
      });
    }
  } finally {
    db.close();
  }
  return out;
};

/** Creates and deletes in flight at the kill: answered ones are noted as they come. */
const churn = (s: RecordBatchState, adminPort: number): { firstCreated: Promise<void>; settled: Promise<unknown> } => {
  let created!: () => void;
  const firstCreated = new Promise<void>((r) => (created = r));
  const jobs: Promise<unknown>[] = [];
  for (let k = 0; k < 2; k++) {
    const id = `rbc-${s.nextId++}`;
    jobs.push(
      admin(adminPort, 'POST', '/api/v1/worlds', createBody(id)).then(
        (r) => {
          if (r.status === 201) {
            s.live.add(id);
            s.figures.creates.ok++;
            created();
          } else s.figures.creates.refused++;
        },
        () => s.figures.creates.unanswered++,
      ),
    );
  }
  const victims = [...s.live].filter((id) => id.startsWith('rbc-'));
  for (let k = 0; k < 2 && s.live.size > s.worlds && victims.length > 0; k++) {
    const id = victims.splice(Math.floor(s.rand(0, victims.length)), 1)[0];
    if (id === undefined) break;
    // Asked: from now on it may be gone (a delete the kill cut off may have reached the store); only an answer says.
    s.live.delete(id);
    s.unsure.add(id);
    jobs.push(
      admin(adminPort, 'DELETE', `/api/v1/worlds/${id}`).then(
        (r) => {
          if (r.status === 200 && r.json?.durable === true) {
            s.unsure.delete(id);
            s.deleted.add(id);
            s.figures.deletes.ok++;
          } else s.figures.deletes.notDurable++;
        },
        () => s.figures.deletes.unanswered++,
      ),
    );
  }
  return { firstCreated, settled: Promise.allSettled(jobs) };
};

/** Kill the server while world records wait in the SQLite group-commit window (see the module comment). */
export const killInRecordBatch = async (
  s: RecordBatchState,
  spec: ServerSpec,
  proc: ServerProc,
): Promise<{ ms: number; note: string; violations: string[] }> => {
  const life = s.rand(0, 1500);
  await sleep(life); // periodic checkpoints (--checkpoint-interval 1) land in some lives, not in others
  const work = churn(s, spec.adminPort);
  const targeted = s.rand(0, 1) < 0.5;
  const t0 = Date.now();
  let note: string;
  let target: { id: string; asked: number; step: number } | null = null;
  if (targeted) {
    s.figures.targeted++;
    const ids = [...s.live];
    const id = ids[Math.floor(s.rand(0, ids.length))] ?? '1';
    const db = new Database(sqliteFile(spec), { readonly: true, fileMustExist: true, timeout: 5000 });
    const get = db.prepare('SELECT config FROM world_configs WHERE world_id = ?').pluck();
    let tries = 0;
    try {
      for (; Date.now() - t0 < 3000; tries++) {
        const st = await admin(spec.adminPort, 'GET', `/api/v1/worlds/${id}/stats`).catch(() => null);
        const asked = Number(st?.json?.checkpoint?.lastRecordStep ?? -1);
        const text = get.get(id) as string | undefined;
        const stored = text ? Number((JSON.parse(text) as { clock?: { step?: number } }).clock?.step ?? -1) : -1;
        if (asked > stored) {
          target = { id, asked, step: Number(st?.json?.step ?? asked) };
          break;
        }
      }
    } finally {
      db.close();
    }
    await killServer(proc);
    note = target
      ? `targeted: ${id}'s record of step ${target.asked} waiting (${tries} looks)`
      : `targeted: ${id}, no record seen waiting in 3 s`;
  } else {
    await Promise.race([work.firstCreated, sleep(5000)]);
    await sleep(s.rand(0, 20));
    await killServer(proc);
    note = 'after-201';
  }
  const killedAt = Date.now();
  await work.settled;
  s.figures.kills++;
  s.stored = readStored(spec);
  const violations = checkStored(s);
  if (target) {
    const now = s.stored.get(target.id);
    if (now) s.figures.targetStepsBehind.push(target.step - now.step);
    if (now && now.step < target.asked) {
      s.figures.killedWithRecordWaiting++;
      note += `; stored record step ${now.step} < ${target.asked}: killed with it in the window`;
    } else note += `; stored step ${now?.step ?? 'none'}: committed before the kill`;
  }
  let stale = 0;
  let oldest = 0;
  for (const w of s.stored.values()) {
    if (killedAt - w.at >= 600) stale++;
    oldest = Math.max(oldest, killedAt - w.at);
  }
  s.figures.staleRecordWorlds.push(stale);
  s.figures.maxRecordAgeMs.push(oldest);
  const age = `${stale} records ≥ 600 ms old (oldest ${oldest} ms)`;
  return { ms: killedAt - t0 + life, note: `${note}; ${s.live.size} live worlds, ${age}`, violations };
};

/** The store as the kill left it against what the admin API answered. */
const checkStored = (s: RecordBatchState): string[] => {
  const out: string[] = [];
  const stored = s.stored ?? new Map<string, StoredWorld>();
  for (const id of s.live) {
    const w = stored.get(id);
    if (!w) out.push(`world ${id} was answered 201 but has no record after the kill (LOST)`);
    else if (w.pending) out.push(`world ${id} was answered 201 but its record is still pending after the kill`);
  }
  for (const id of s.deleted) if (stored.has(id)) out.push(`world ${id} was deleted (durable: true) but its record is back`);
  return out;
};

/** After the restart: the worlds the store held run, from the right checkpoint and clock; the deleted and pending ones do not. */
export const checkRecordBatchRestart = async (s: RecordBatchState, adminPort: number): Promise<string[]> => {
  const out: string[] = [];
  const r = await admin(adminPort, 'GET', '/api/v1/worlds').catch((e: Error) => ({ status: 0, json: { error: e.message } }));
  if (r.status !== 200) return [`world list after the restart: ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`];
  const running = new Map<string, number>(((r.json?.worlds ?? []) as Array<{ id: string; step: number }>).map((w) => [w.id, w.step]));
  for (const id of s.live) if (!running.has(id)) out.push(`world ${id} (answered 201) is not running after the restart`);
  for (const id of s.deleted) if (running.has(id)) out.push(`world ${id} (deleted) is running after the restart`);
  if (!s.stored) return out;
  for (const [id, w] of s.stored) {
    if (w.pending) {
      if (running.has(id)) out.push(`world ${id}: a pending record came back as a running world`);
      continue;
    }
    const step = running.get(id);
    if (step === undefined) {
      out.push(`world ${id}: stored record (step ${w.step}) but not running after the restart`);
      continue;
    }
    if (step < w.step) out.push(`world ${id}: step ${step} after the restart is behind its stored record's ${w.step}`);
    const st = await admin(adminPort, 'GET', `/api/v1/worlds/${id}/stats`).catch(() => null);
    const from = st?.json?.checkpoint?.restored?.fromStep;
    const want = w.checkpointStep ?? -1;
    if (typeof from !== 'number') {
      if (want >= 0) out.push(`world ${id}: not restored after the restart (newest checkpoint: step ${want})`);
    } else if (from !== want) out.push(`world ${id}: restored from step ${from}, newest checkpoint was ${want}`);
  }
  return out;
};
