/**
 * The client half of bench/join-flood.ts, run as its own process: `--sockets` workers, each in a
 * loop connect → hello (a returning identity, `flood-<i>`: not a new player, no limit applies to a
 * loopback peer) → welcome → close; meanwhile a probe GETs `--probe` every 100 ms and times it.
 * Runs `--seconds`, then prints one JSON line `{ welcomes, errors, probeMs: [...] }`.
 */
import { pack, unpack } from 'msgpackr';
import WebSocket from 'ws';

const arg = (name: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) throw new Error(`--${name} missing`);
  return String(process.argv[i + 1]);
};
const url = arg('url');
const probe = arg('probe');
const sockets = Number(arg('sockets'));
const until = Date.now() + Number(arg('seconds')) * 1000;

let welcomes = 0,
  errors = 0;
const probeMs: number[] = [];

const visit = (i: number): Promise<void> =>
  new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('open', () => ws.send(pack([1, 1, 'w1', `f${i}`, `flood-${i}`, null]), { binary: true }));
    ws.on('message', (d: Buffer) => {
      const m = unpack(d) as unknown[];
      if (m[0] === 16) {
        welcomes++;
        ws.close(1000);
      } else if (m[0] === 20) errors++;
    });
    ws.on('close', () => resolve());
    ws.on('error', () => {
      errors++;
      resolve();
    });
  });

const worker = async (i: number): Promise<void> => {
  while (Date.now() < until) await visit(i);
};

const prober = async (): Promise<void> => {
  while (Date.now() < until) {
    const t0 = performance.now();
    await (await fetch(probe)).text();
    probeMs.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 100));
  }
};

await Promise.all([prober(), ...Array.from({ length: sockets }, (_, i) => worker(i))]);
process.stdout.write(`${JSON.stringify({ welcomes, errors, probeMs })}\n`);
process.exit(0);
