/**
 * exitProcess (src/cli/exit-process.ts): `process.exit` when no pool request is in flight; with one
 * blocked, a log line and SIGKILL (immediately, or after the grace when it does not finish); a request
 * that finishes within the grace lets the process exit normally. The real process case (a FIFO the
 * recorder opens) is test/integration/cli/stop-lifecycle.test.ts.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { blockingRequests, exitProcess, type ProcessExitHooks } from '../../../src/cli/exit-process.js';
import { createLogger } from '../../../src/log.js';
import { collectJsonLines } from '../../helpers/log-lines.js';

const harness = (resources: () => string[]) => {
  const out = new PassThrough();
  const lines = collectJsonLines(out);
  const calls: string[] = [];
  const hooks: ProcessExitHooks = {
    activeResources: resources,
    exit: (code) => calls.push(`exit ${code}`),
    killSelf: () => calls.push('kill'),
  };
  return { logger: createLogger('info', out), lines, calls, hooks };
};

const settle = () => new Promise((r) => setTimeout(r, 10));

describe('exitProcess', () => {
  it('exits with the code when no file or DNS request is in flight (timers and sockets do not count)', () => {
    const h = harness(() => ['Timeout', 'TCPServerWrap', 'TTYWrap']);
    exitProcess(1, h.logger, 0, h.hooks);
    expect(h.calls).toEqual(['exit 1']);
  });

  it('with a blocked file request and no grace: logs the code and the requests, then SIGKILL', async () => {
    const h = harness(() => ['FSReqCallback', 'Timeout', 'GetAddrInfoReqWrap']);
    exitProcess(1, h.logger, 0, h.hooks);
    expect(h.calls).toEqual(['kill']);
    await settle();
    expect(h.lines).toHaveLength(1);
    expect(h.lines[0]).toMatchObject({ exitCode: 1, pending: ['FSReqCallback', 'GetAddrInfoReqWrap'] });
  });

  it('a request that finishes within the grace lets the process exit normally', async () => {
    let polls = 0;
    const h = harness(() => (++polls < 3 ? ['FSReqPromise'] : []));
    exitProcess(0, h.logger, 5000, h.hooks);
    expect(h.calls).toEqual([]);
    for (let i = 0; i < 100 && h.calls.length === 0; i++) await settle();
    expect(h.calls).toEqual(['exit 0']);
    expect(h.lines).toEqual([]);
  });

  it('one still blocked when the grace ends: SIGKILL', async () => {
    const h = harness(() => ['FSReqCallback']);
    exitProcess(0, h.logger, 30, h.hooks);
    for (let i = 0; i < 100 && h.calls.length === 0; i++) await settle();
    expect(h.calls).toEqual(['kill']);
  });

  it('a log write still in flight when the flush wait ends (its pipe stalled): SIGKILL without a synchronous flush that would block', async () => {
    const calls: string[] = [];
    // pino's stdout stream as exit-process.ts sees it: a write handed to the pool that never returns.
    const stuck = Object.assign(new PassThrough(), { _writing: true, flushSync: () => calls.push('flushSync') });
    stuck.resume();
    const hooks: ProcessExitHooks = {
      activeResources: () => ['FSReqCallback'],
      exit: (c) => calls.push(`exit ${c}`),
      killSelf: () => calls.push('kill'),
    };
    exitProcess(0, createLogger('info', stuck), 0, hooks);
    for (let i = 0; i < 300 && !calls.includes('kill'); i++) await settle();
    expect(calls).toEqual(['kill']);
  });

  it('blockingRequests keeps only pool requests', () => {
    expect(blockingRequests(['Timeout', 'FSReqCallback', 'PipeWrap', 'GetNameInfoReqWrap'])).toEqual([
      'FSReqCallback',
      'GetNameInfoReqWrap',
    ]);
  });
});
