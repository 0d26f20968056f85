/**
 * The problems of an option error: `fn` must throw a `WT_ERR_OPTION_INVALID` error (anything else,
 * or no throw, fails the test) whose `details.problems` is returned — what the option, config and
 * net-settings tests assert on.
 */
import { ErrorCode, isWorldtickError } from '../../src/errors.js';

export const optionProblems = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (!isWorldtickError(err, ErrorCode.OPTION_INVALID)) throw err;
    return (err.details as { problems: string[] }).problems;
  }
  throw new Error('expected an option error');
};
