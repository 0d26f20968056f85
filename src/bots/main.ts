/**
 * `npm run bots -- --clients 1000 --duration 15`: thousands of simulated sessions from one
 * command against a running server, then a latency report. Human-readable summary on stderr;
 * the report as one JSON line on stdout (the `net` bench parses it).
 */
import { checkOption } from '../config/schema.js';
import { runFleet } from './bot-fleet.js';

const HELP = `worldtick bots — load-test a game server

Usage: npm run bots -- [options]
  --url <ws://host:port>   game server (default ws://127.0.0.1:7700)
  --world <id>             world to join (default 1)
  --clients <n>            simulated sessions (default 100)
  --duration <seconds>     measured load (default 10)
  --warmup <seconds>       unmeasured time after joining (default 1)
  --input-hz <n>           inputs per second per bot (default 2)
  --concurrency <n>        connections opened at once while ramping (default 100)
  --full-every <n>         every nth bot decodes snapshots in full and checks its entity view;
                           the others read only the snapshot head (default 1 = all full)`;

const parse = (argv: string[]): Record<string, string> => {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') out.help = '1';
    else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1);
      else out[a.slice(2)] = argv[++i] ?? '';
    } else throw new Error(`unexpected argument ${a}`);
  }
  return out;
};

// Validated by the one schema module (src/config/schema.ts), like every other option.
const num = (v: string | undefined, def: number, name: string, min: number, max: number): number => {
  if (v === undefined) return def;
  const problems: string[] = [];
  const n = checkOption({ kind: 'number', default: def, min, max }, v, `--${name}`, problems);
  if (problems.length) throw new Error(problems.join('; '));
  return n as number;
};

const main = async (): Promise<void> => {
  let args: Record<string, string>;
  let opts;
  try {
    args = parse(process.argv.slice(2));
    if (args.help) { process.stdout.write(HELP + '\n'); return; }
    const known = new Set(['url', 'world', 'clients', 'duration', 'warmup', 'input-hz', 'concurrency', 'full-every']);
    for (const k of Object.keys(args)) if (!known.has(k)) throw new Error(`unknown option --${k} (see --help)`);
    const url = args.url ?? 'ws://127.0.0.1:7700';
    if (!/^wss?:\/\//.test(url)) throw new Error('--url must start with ws:// or wss://');
    opts = {
      url,
      worldId: args.world ?? '1',
      clients: Math.floor(num(args.clients, 100, 'clients', 1, 100_000)),
      durationSeconds: num(args.duration, 10, 'duration', 0.1, 86_400),
      warmupSeconds: num(args.warmup, 1, 'warmup', 0, 3600),
      inputHz: num(args['input-hz'], 2, 'input-hz', 0, 1000),
      connectConcurrency: Math.floor(num(args.concurrency, 100, 'concurrency', 1, 10_000)),
      fullDecodeEvery: Math.floor(num(args['full-every'], 1, 'full-every', 1, 100_000)),
      log: (l: string) => process.stderr.write(l + '\n'),
    };
  } catch (err) {
    process.stderr.write(`bots: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const r = await runFleet(opts);
  const u = r.updateLatencyMs;
  process.stderr.write(
    `bots: ${r.connected}/${r.clients} connected, ${r.disconnects} disconnected, ${r.measuredSeconds}s measured\n` +
      `  update latency ms: p50 ${u.p50}  p90 ${u.p90}  p99 ${u.p99}  max ${u.max}  (${u.samples} samples)\n` +
      `  input ack rtt ms:  p50 ${r.inputAckRttMs.p50}  p99 ${r.inputAckRttMs.p99}\n` +
      `  per client: ${r.snapshotsPerClientPerSecond} snapshots/s, ${r.bytesPerClientPerSecond} B/s, ${r.avgSnapshotBytes} B/snapshot\n` +
      `  ${r.fullDecodeClients} full-decode clients (${r.inconsistencies} inconsistencies), ${r.lightClients} light; bots CPU ${r.botsCpuPercent}% of a core\n`,
  );
  process.stdout.write(JSON.stringify(r) + '\n');
  process.exit(0);
};

void main();
