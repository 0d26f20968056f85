/**
 * A `net` block whose values are objects that cannot become primitives (a config file's `{ "toString": [] }`)
 * is refused with `WT_ERR_OPTION_INVALID` naming the field, never a TypeError: the checks past the schema
 * (`idleTimeoutSeconds`' 1..7 hole, the relations between fields) compared such a value, which called its
 * `toString` (config-blocks fuzz, seeds 80339 and 80342).
 */
import { describe, expect, it } from 'vitest';
import { netConfigFieldProblems, resolveNetConfig } from '../../../src/net/net-config.js';

const hostile = (): unknown => ({ toString: ['x'], valueOf: true });

describe('net config values that cannot become primitives', () => {
  it.each(['idleTimeoutSeconds', 'interestRadius', 'skipBufferedBytes', 'maxBackpressure'])(
    '%s: refused with its name, no TypeError',
    (field) => {
      const patch = { viewMode: 'regions', regionCellSize: 0, skipBufferedBytes: 10, maxBackpressure: 100, [field]: hostile() };
      expect(() => resolveNetConfig(patch as never)).toThrow(
        expect.objectContaining({ code: 'WT_ERR_OPTION_INVALID', message: expect.stringContaining(`net.${field}`) }),
      );
      expect(netConfigFieldProblems(patch, true).join('; ')).toContain(`net.${field}`);
    },
  );
});
