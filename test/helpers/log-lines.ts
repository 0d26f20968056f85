/**
 * The JSON log lines (pino) a child server process writes to stdout, parsed as they arrive: the
 * returned array grows while the process runs. Lines that are not JSON are skipped.
 */
import type { Readable } from 'node:stream';

/** Collect `stream`'s newline-delimited JSON objects into the returned (growing) array. */
export const collectJsonLines = (stream: Readable): Array<Record<string, unknown>> => {
  const lines: Array<Record<string, unknown>> = [];
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        lines.push(JSON.parse(line));
      } catch {
        /* not JSON */
      }
    }
  });
  return lines;
};
