/**
 * The restore marker: `<store>.restoring` (`worldtick.sqlite.restoring`) next to the embedded SQLite
 * store, created by `npm run restore` (src/cli/restore-store.ts) before it probes the store and
 * removed when it ends. A process that opens the store to use it (the server, an offline
 * `npm run verify`, `npm run backup`) refuses while it exists (docs/DURABILITY.md "Backup and
 * restore (operators)").
 *
 * Why this closes the race between restore's probe and its rename. The probe takes SQLite's
 * EXCLUSIVE lock without waiting; a connection to a WAL database holds a SHARED lock on the file
 * from its first read until it closes. {@link openUnlessRestoring} reads first (the lock is held),
 * then looks for the marker:
 *
 *   restore:  create marker ── probe (EXCLUSIVE) ── copy, check, keep ── rename ── remove marker
 *   opener:   stat path ── open ── first read (SHARED held) ── marker? ── stat path: same file?
 *
 * An opener holding its lock before the probe makes the probe fail (restore refuses, exit 3). One
 * that got its lock after the probe looks for the marker after that: present, it refuses; absent,
 * the restore has renamed already — then the file it opened is the one the path named before the
 * rename only if it opened before, and the path's file then differs from what it was at its first
 * stat, so it closes and opens again (the new file). Nothing is written before these checks (but
 * the first page of a store this open creates, switching it to WAL), so a refused opener leaves no
 * WAL of its own beside the store (one written for the old file would be replayed into the new).
 *
 * The marker holds `{ pid, startedAt, host }`. It is never removed automatically: a pid that is
 * not running here does not prove the restore has ended (a restore in another container or pid
 * namespace); the refusal says the marker looks stale and to remove it if no restore is running.
 */
import { closeSync, constants, existsSync, fsyncSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import { storeRestoring } from '../errors.js';
import { shownPath } from '../core/shown.js';

/** Suffix of the marker's name after the store file's. */
export const RESTORE_MARKER_SUFFIX = '.restoring';

/** The marker of the store file `storeFile`. */
export const restoreMarkerPath = (storeFile: string): string => `${storeFile}${RESTORE_MARKER_SUFFIX}`;

/** What a marker holds (one JSON line). */
export interface RestoreMarker {
  /** Process id of the restore. */
  pid: number;
  /** When the restore started (ISO 8601, UTC). */
  startedAt: string;
  /** Host name of the restore's machine. */
  host: string;
}

/**
 * Create the marker of `storeFile` (O_CREAT | O_EXCL). Returns false when one exists already (another
 * restore, running or killed); throws on any other failure.
 */
export const createRestoreMarker = (storeFile: string, now: Date = new Date()): boolean => {
  const path = restoreMarkerPath(storeFile);
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    const marker: RestoreMarker = { pid: process.pid, startedAt: now.toISOString(), host: hostname() };
    writeSync(fd, `${JSON.stringify(marker)}\n`);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(path, { force: true });
    throw err;
  }
  closeSync(fd);
  return true;
};

/** Remove the marker of `storeFile` (made by this process). */
export const removeRestoreMarker = (storeFile: string): void => rmSync(restoreMarkerPath(storeFile), { force: true });

const readMarker = (path: string): RestoreMarker | null => {
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as Partial<RestoreMarker>;
    if (Number.isSafeInteger(m.pid) && typeof m.startedAt === 'string' && typeof m.host === 'string') return m as RestoreMarker;
  } catch {
    // unreadable or not ours: described as such
  }
  return null;
};

/** Whether process `pid` runs on this host (EPERM: it does, under another user). */
const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Describe the marker of `storeFile` for a refusal: who made it, and whether it looks stale (its
 * pid not running on this host; an unreadable marker counts as stale). Null when there is none.
 */
export const describeRestoreMarker = (storeFile: string): { text: string; stale: boolean } | null => {
  const path = restoreMarkerPath(storeFile);
  if (!existsSync(path)) return null;
  const m = readMarker(path);
  if (!m) return { text: `${shownPath(path)} exists but cannot be read: if no restore is running, remove ${shownPath(path)}`, stale: true };
  const who = `npm run restore (pid ${m.pid}, started ${m.startedAt}${m.host === hostname() ? '' : ` on ${m.host}`})`;
  if (m.host === hostname() && m.pid !== process.pid && !pidAlive(m.pid))
    return {
      text: `${shownPath(path)} was left by ${who}; pid ${m.pid} is not running: the restore was killed before it could remove it. Check that no restore is running (on any host or container sharing the directory); if no restore is running, remove ${shownPath(path)}`,
      stale: true,
    };
  return { text: `${who} is replacing ${storeFile} (${path} exists): start again once it has ended`, stale: false };
};

/** `dev:ino` of `file`, or null when there is none (also the store's check before a write: src/store/sqlite-open.ts). */
export const fileIdentity = (file: string): string | null => {
  try {
    const st = statSync(file);
    return `${st.dev}:${st.ino}`;
  } catch {
    return null;
  }
};

/** Opens {@link openUnlessRestoring} makes before it gives up on a path whose file keeps changing. */
const OPEN_ATTEMPTS = 3;

/**
 * Open the SQLite store `file` with `open` (which must leave the connection in WAL mode and write
 * nothing), then, holding the connection's shared lock, refuse with `WT_ERR_STORE_RESTORING` while a
 * restore marker exists, and open again when the path's file changed while it was opened (a restore
 * renamed its copy over it; a store created by this open counts as changed). See the module comment.
 */
export const openUnlessRestoring = (file: string, open: () => Database.Database): Database.Database => {
  for (let attempt = 1; ; attempt++) {
    const before = fileIdentity(file);
    const db = open();
    try {
      // The first read: from here to close this connection holds a SHARED lock on the file (WAL mode).
      db.prepare('SELECT count(*) FROM sqlite_master').get();
      const marker = describeRestoreMarker(file);
      if (marker) throw storeRestoring(marker.text, { marker: restoreMarkerPath(file), stale: marker.stale });
    } catch (err) {
      db.close();
      throw err;
    }
    if (before !== null && before === fileIdentity(file)) return db;
    db.close();
    if (attempt === OPEN_ATTEMPTS)
      throw storeRestoring(`${shownPath(file)} was replaced while it was being opened (a restore?): start again`, {
        marker: restoreMarkerPath(file),
        stale: false,
      });
  }
};
