/**
 * The error code a promise rejects with: `codeOf(p)` is the `WorldtickError`'s code, `'resolved'`
 * when it resolves; any other rejection is rethrown (so the test fails on it).
 */
import { isWorldtickError } from '../../src/errors.js';

export const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (err) {
    if (isWorldtickError(err)) return err.code;
    throw err;
  }
  return 'resolved';
};
