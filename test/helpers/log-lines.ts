/**
 * JSON log lines (pino), parsed as they are written: those a child server process writes to stdout
 * (lines that are not JSON skipped), and those of an in-process logger writing to memory.
 */
import { type Readable, Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log.js';

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

/** A logger at `level` (default warn) whose JSON lines are parsed into `lines` as they are written. */
export const jsonLogSink = (level: 'warn' | 'info' | 'debug' = 'warn'): { lines: Array<Record<string, any>>; logger: Logger } => {
  const lines: Array<Record<string, any>> = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, logger: createLogger(level, stream) };
};
