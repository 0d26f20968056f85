/**
 * A real runtime over a SQLite data directory, started in process (`createRuntime`: game and admin ports
 * picked free, admin token `rt`, 10 NPCs, no stats lines), its warn-and-above log lines collected, and an
 * admin client of it: the durability tests that start one store several times in turn.
 */
import { parseOptions } from '../../src/cli/options.js';
import { createRuntime, type Runtime } from '../../src/server/runtime.js';
import { jsonLogSink } from './log-lines.js';

/** An admin API answer: status, text, and the JSON when it is JSON. */
export interface AdminAnswer {
  status: number;
  text: string;
  json: any;
}

export const bootDataDirRuntime = async (dataDir: string) => {
  const sink = jsonLogSink('warn');
  const args = ['--port', '0', '--admin-port', '0', '--admin-token', 'rt', '--npcs', '10', '--stats-interval', '0', '--data-dir', dataDir];
  const rt: Runtime = createRuntime(parseOptions(args, {}), sink.logger, undefined, {}, {});
  await rt.start();
  const api = async (method: string, path: string, body?: unknown): Promise<AdminAnswer> => {
    const r = await fetch(`http://127.0.0.1:${rt.admin.port}${path}`, {
      method,
      headers: { authorization: 'Bearer rt', 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    return { status: r.status, text, json: r.headers.get('content-type')?.includes('json') ? JSON.parse(text) : null };
  };
  return { rt, lines: sink.lines, api };
};
