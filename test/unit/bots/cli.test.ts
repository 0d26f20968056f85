import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseBotsArgs } from '../../../src/bots/cli.js';
import { scenarioUnavailable } from '../../../src/bots/scenarios.js';

const parse = (argv: string[]) => {
  let err = '',
    out = '';
  try {
    return {
      opts: parseBotsArgs(argv, {
        writeOut: (s) => {
          out += s;
        },
        writeErr: (s) => {
          err += s;
        },
      }),
      err,
      out,
    };
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    return { opts: null, err, out, code: e.code };
  }
};

describe('bots CLI options', () => {
  it('defaults', () => {
    expect(parse([]).opts).toMatchObject({
      url: 'ws://127.0.0.1:7700',
      world: '1',
      scenario: 'steady',
      clients: 100,
      duration: 10,
      warmup: 1,
      procs: 1,
      cpu: null,
      report: null,
      progress: true,
      transport: 'raw',
      followMoves: true,
      followLost: false,
      leaveAtEnd: true,
      worker: false,
    });
    expect(parse(['--follow-moves']).opts?.followMoves).toBe(true);
    expect(parse(['--no-leave-at-end']).opts?.leaveAtEnd).toBe(false);
  });

  it('parses every flag', () => {
    const { opts } = parse([
      '--url',
      'wss://h:1',
      '--world',
      'w',
      '--scenario',
      'churn',
      '--clients',
      '50',
      '--duration',
      '2.5',
      '--warmup',
      '0',
      '--input-hz',
      '4',
      '--concurrency',
      '10',
      '--full-every',
      '5',
      '--churn-rate',
      '3.5',
      '--seed',
      '9',
      '--idle-share',
      '0.5',
      '--spectator-share',
      '0.25',
      '--procs',
      '2',
      '--cpu',
      '1,0',
      '--report',
      'r.json',
      '--no-progress',
      '--transport',
      'ws',
      '--no-follow-moves',
      '--follow-lost',
      '--no-leave-at-end',
      '--max-join-failures',
      '12.5%',
    ]);
    expect(opts).toEqual({
      url: 'wss://h:1',
      world: 'w',
      scenario: 'churn',
      clients: 50,
      duration: 2.5,
      warmup: 0,
      inputHz: 4,
      purchaseHz: 5,
      concurrency: 10,
      fullEvery: 5,
      influx: 0,
      churnRate: 3.5,
      seed: 9,
      token: '',
      idleShare: 0.5,
      spectatorShare: 0.25,
      procs: 2,
      cpu: [1, 0],
      report: 'r.json',
      progress: false,
      transport: 'ws',
      followMoves: false,
      followLost: true,
      leaveAtEnd: false,
      maxJoinFailures: { percent: 12.5 },
      worker: false,
    });
    expect(parse(['--max-join-failures', '0']).opts?.maxJoinFailures).toEqual({ count: 0 });
    expect(parse([]).opts?.maxJoinFailures).toBeNull();
  });

  it('bad values are refused with a message naming the flag', () => {
    for (const [argv, msg] of [
      [['--clients', 'many'], '--clients must be an integer between 1 and 100000'],
      [['--clients', '1.5'], 'must be an integer'],
      [['--duration', '0'], '--duration must be a number between 0.1 and 86400'],
      [['--procs', '3', '--clients', '2'], '--procs (3) must not exceed --clients (2)'],
      [['--scenario', 'influx'], '--scenario influx needs --influx <n> (bots joining at the start of the window), at least 1'],
      [
        ['--scenario', 'churn', '--churn-rate', '0'],
        '--scenario churn needs --churn-rate <per-second> (bots leaving and joining), above 0',
      ],
      [['--cpu', 'x'], '--cpu must be a comma-separated list'],
      // taskset would refuse it: with --procs a child could not start ("write EPIPE"), alone the run went on unpinned.
      [['--cpu', '0,9999'], '--cpu: no CPU 9999 on this machine (CPUs 0-'],
      [['--idle-share', '1.5'], '--idle-share must be a number between 0 and 1'],
      [['--url', 'http://x'], '--url must start with ws:// or wss://'],
      [['--scenario', 'stampede'], 'Allowed choices are steady, crowd, influx, churn, purchase-storm'],
      [['--transport', 'tcp'], 'Allowed choices are raw, ws'],
      [['--bogus'], "unknown option '--bogus'"],
      [['--max-join-failures', '-1'], '--max-join-failures must be an integer between 0 and 10000000'],
      [['--max-join-failures', '2.5'], '--max-join-failures must be an integer between 0 and 10000000'],
      [['--max-join-failures', 'many'], '--max-join-failures must be an integer between 0 and 10000000'],
      [['--max-join-failures', '120%'], '--max-join-failures must be a number between 0 and 100'],
      [['--max-join-failures', 'x%'], '--max-join-failures must be a number between 0 and 100'],
      // A scenario's own rate given to another scenario would be ignored, silently.
      [['--influx', '5'], '--influx is for --scenario influx (the scenario is steady)'],
      [['--scenario', 'churn', '--churn-rate', '2', '--influx', '5'], '--influx is for --scenario influx (the scenario is churn)'],
      [['--churn-rate', '5'], '--churn-rate is for --scenario churn (the scenario is steady)'],
      [['--purchase-hz', '2'], '--purchase-hz is for --scenario purchase-storm (the scenario is steady)'],
      // Found at the end of the run, it lost the report: refused before the run.
      [['--report', '/nonexistent-wt-dir/r.json'], '--report: directory /nonexistent-wt-dir does not exist'],
    ] as const) {
      const r = parse([...argv]);
      expect(r.opts, argv.join(' ')).toBeNull();
      expect(r.err).toContain(msg);
    }
  });

  it('--help lists every flag; every scenario is available', () => {
    const r = parse(['--help']);
    expect(r.code).toBe('commander.helpDisplayed');
    for (const f of [
      '--url',
      '--world',
      '--scenario',
      '--clients',
      '--duration',
      '--warmup',
      '--input-hz',
      '--purchase-hz',
      '--concurrency',
      '--full-every',
      '--influx',
      '--churn-rate',
      '--seed',
      '--idle-share',
      '--spectator-share',
      '--procs',
      '--cpu',
      '--report',
      '--no-progress',
      '--max-join-failures',
    ])
      expect(r.out).toContain(f);
    expect(r.out).not.toContain('--worker');
    expect(scenarioUnavailable('purchase-storm')).toBeNull();
    expect(scenarioUnavailable('steady')).toBeNull();
  });
});
