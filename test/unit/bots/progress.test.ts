/**
 * The bots' progress view (src/bots/progress.ts) on a TTY and not: a message logged while the bar is
 * drawn (a stop's "SIGINT: stopping", a taskset warning) gets a line of its own, not the end of the bar's.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgressView } from '../../../src/bots/progress.js';

/** A stream that records what is written; `isTTY` as a terminal's stderr or a pipe. */
const sink = (isTTY: boolean) => {
  const out = { text: '' };
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.text += chunk.toString();
      done();
    },
  });
  Object.assign(stream, { isTTY, columns: 120, rows: 40 });
  return { stream: stream as unknown as NodeJS.WriteStream, out };
};

describe('bots progress view', () => {
  it('TTY: a message logged under the bar starts its own line (the bar line cleared first), and the bar goes on', () => {
    const { stream, out } = sink(true);
    const view = createProgressView(stream, true);
    view.update('measure', 1, 10);
    view.log('bots: SIGINT: stopping');
    view.update('measure', 2, 10);
    view.stop();
    const at = out.text.indexOf('bots: SIGINT: stopping\n');
    expect(at).toBeGreaterThan(0);
    const before = out.text.slice(0, at);
    // nothing of the bar before it on its line: a line break, or the line cleared (ESC [1G ESC [0K)
    expect(before.endsWith('\n') || before.endsWith('\r') || before.endsWith('\x1b[1G\x1b[0K'), JSON.stringify(before.slice(-40))).toBe(
      true,
    );
    expect(out.text.slice(at)).toContain('2/10 s measured');
    // The cursor the bar's stop restores (ESC 8) is saved again (ESC 7) below the message: the summary that
    // follows the bar does not land on the message's line.
    expect(out.text.slice(at, out.text.lastIndexOf('\x1b8'))).toContain('\x1b7');
  });

  it('not a TTY, and --no-progress: one line per message', () => {
    for (const enabled of [true, false]) {
      const { stream, out } = sink(false);
      const view = createProgressView(stream, enabled);
      view.update('measure', 1, 10);
      view.log('bots: SIGINT: stopping');
      view.stop();
      expect(out.text).toBe(`${enabled ? 'bots: measure 1/10 s measured\n' : ''}bots: SIGINT: stopping\n`);
    }
  });
});
