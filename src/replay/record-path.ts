/**
 * The input log checked before the store opens (docs/DURABILITY.md "A refused start writes
 * nothing"): `--record` names a file whose folder must exist and be writable (the folder is never
 * created), and the file, if it exists, must be a writable file; the world recorded must have a
 * `record` system in its pipeline. A start refused here has opened and written nothing. The file itself is opened (truncated) only by the recorder's start, after the
 * store: an open that fails for a reason this check does not see (a symbolic link into a missing
 * folder, a full disk, the folder removed meanwhile) still refuses the start there.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { recordSystem } from '../../systems/record-system.js';
import { ErrorCode, optionInvalid, WorldtickError } from '../errors.js';
import type { SimWorld } from '../world/sim-world.js';

/** `WT_ERR_RECORD_START_REFUSED` when `world`'s pipeline has no `record` system (nothing would be recorded), else null. */
export const noRecordSystem = (world: SimWorld): WorldtickError | null =>
  world.pipeline.some((s) => s.run === recordSystem)
    ? null
    : new WorldtickError(ErrorCode.RECORD_START_REFUSED, `world ${world.id}'s pipeline has no record system: nothing would be recorded`);

/** Whether this process may write (and, for a folder, enter) `path`. */
const writable = (path: string, mode: number): boolean => {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
};

/**
 * Throws `WT_ERR_OPTION_INVALID` (exit 2) naming `--record` when the input log at `path` cannot be
 * written, `WT_ERR_RECORD_START_REFUSED` (exit 2) when `world` has nothing to record (see {@link noRecordSystem}).
 */
export const checkRecording = (path: string, world: SimWorld): void => {
  const dir = dirname(resolve(path));
  const folder = statSync(dir, { throwIfNoEntry: false });
  const problem = !folder
    ? `its folder ${dir} does not exist (an input log's folder is not created)`
    : !folder.isDirectory()
      ? `${dir} is not a folder`
      : !writable(dir, constants.W_OK | constants.X_OK)
        ? `its folder ${dir} is not writable`
        : null;
  const file = problem ? undefined : statSync(path, { throwIfNoEntry: false });
  const fileProblem =
    file && (file.isDirectory() ? 'it is a folder' : !writable(path, constants.W_OK) ? 'the file exists and is not writable' : null);
  if (problem || fileProblem) throw optionInvalid([`--record ${path}: ${problem || fileProblem}`]);
  const refused = noRecordSystem(world);
  if (refused) throw refused;
};
