/**
 * The input log checked before the store opens (src/replay/record-path.ts): a missing folder, a
 * folder that is a file, a path that is a folder are refused `WT_ERR_OPTION_INVALID` naming `--record`;
 * a world whose pipeline has no record system `WT_ERR_RECORD_START_REFUSED`; a new or an existing file
 * in a folder that exists, on a world that records, is accepted. Real files.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CROWD_SYSTEMS } from '../../../systems/index.js';
import { ErrorCode } from '../../../src/errors.js';
import { checkRecording } from '../../../src/replay/record-path.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { fileTempDirs } from '../../helpers/data-dir.js';

const tempDir = fileTempDirs();

describe('checkRecording', () => {
  const dir = tempDir('wt-record-path-');
  writeFileSync(join(dir, 'a-file'), '');
  const world = createSimWorld({ id: 'w', capacity: 16 });

  it.each([
    ['a missing folder', join(dir, 'missing', 'in.wtrec'), `its folder ${join(dir, 'missing')} does not exist`],
    ['a folder that is a file', join(dir, 'a-file', 'in.wtrec'), `${join(dir, 'a-file')} is not a folder`],
    ['a path that is a folder', dir, 'it is a folder'],
  ])('refuses %s, naming --record and why', (_, path, why) => {
    expect(() => checkRecording(path, world)).toThrow(
      expect.objectContaining({ code: ErrorCode.OPTION_INVALID, message: expect.stringContaining(`--record ${path}: ${why}`) }),
    );
  });

  it('refuses a world whose pipeline has no record system (the crowd scenario)', () => {
    const crowd = createSimWorld({ id: 'crowd', capacity: 16, systems: CROWD_SYSTEMS });
    expect(() => checkRecording(join(dir, 'crowd.wtrec'), crowd)).toThrow(
      expect.objectContaining({ code: ErrorCode.RECORD_START_REFUSED, message: expect.stringContaining('no record system') }),
    );
  });

  it('accepts a new file, and an existing one, in a folder that exists', () => {
    expect(() => checkRecording(join(dir, 'new.wtrec'), world)).not.toThrow();
    expect(() => checkRecording(join(dir, 'a-file'), world)).not.toThrow();
  });
});
