/**
 * The bots on a virtual network instead of loopback (docs/NET-SCALE.md, "Clients' receive path off
 * the server's core"). On loopback the kernel runs the receiver's whole TCP path inside the
 * sender's `send`, on the sender's core, so the server's core pays for its clients' receive work.
 * With `WT_NET_NETNS=<name>` (set up by `bench/netns-setup.sh`) the net benches put their load
 * generator in that network namespace behind a veth pair: the server's frames reach the bots
 * through threaded NAPI on CPU 1 (the bots' core), so the server pays its transmit path (TCP, IP,
 * the veth hand-off and the wakeup of that thread) and the bots their receive path. The bots'
 * packets to the server (ACKs, inputs) are processed inside the bots' sends on CPU 1, as on
 * loopback. Unset, everything is on 127.0.0.1 as before.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Addresses `bench/netns-setup.sh` gives the two ends. */
const SERVER_ADDR = '10.77.0.1';

export interface NetPlacement {
  /** Namespace of the load generator, or null for loopback. */
  netns: string | null;
  /** Address the server listens on and the bots connect to. */
  host: string;
}

/** Everything on 127.0.0.1 (the default). */
export const LOOPBACK: NetPlacement = { netns: null, host: '127.0.0.1' };

/** Read `WT_NET_NETNS`; an error message when it names no usable namespace. */
export const readNetPlacement = (env: NodeJS.ProcessEnv = process.env): NetPlacement | string => {
  const ns = env.WT_NET_NETNS ?? '';
  if (ns === '') return LOOPBACK;
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(ns)) return `WT_NET_NETNS must be a namespace name (got ${JSON.stringify(ns)})`;
  try {
    execFileSync('ip', ['netns', 'exec', ns, 'true'], { stdio: 'ignore' });
  } catch {
    return `WT_NET_NETNS=${ns}: no such network namespace (run bench/netns-setup.sh ${ns} first, as root)`;
  }
  return { netns: ns, host: SERVER_ADDR };
};

/** {@link readNetPlacement} of this process's env; throws on a bad `WT_NET_NETNS` (the suites check it first and exit 2). */
export const envPlacement = (): NetPlacement => {
  const p = readNetPlacement();
  if (typeof p === 'string') throw new Error(p);
  return p;
};

/** `[cmd, ...args]` run inside the placement's namespace (unchanged on loopback). */
export const inNetns = (p: NetPlacement, argv: string[]): string[] => (p.netns ? ['ip', 'netns', 'exec', p.netns, ...argv] : argv);

/** A description for result files: where the clients' receive path ran. */
export const describePlacement = (p: NetPlacement): string =>
  p.netns
    ? `veth to netns ${p.netns}: the bots' receive path in a NAPI thread on CPU 1; their ACKs and inputs processed in their sends (CPU 1), as on loopback; server on ${SERVER_ADDR}`
    : "loopback 127.0.0.1 (the clients' TCP receive path runs on the server's core)";

/** Kernel ticks per second of /proc/<pid>/stat (USER_HZ; 100 on Linux x86-64). */
const TICK_MS = 10;

/** Pids of the bots' end's NAPI threads (`napi/wtv1-*`). */
const napiThreads = (): number[] => {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let comm = '';
    try {
      comm = readFileSync(`/proc/${d}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (comm.startsWith('napi/wtv1-')) out.push(Number(d));
  }
  return out;
};

/** CPU ms (user + system) of the given threads so far. */
const threadsCpuMs = (pids: number[]): number => {
  let ticks = 0;
  for (const p of pids) {
    try {
      // Fields after the `(comm)`: state is field 3, utime 14, stime 15 (1-based).
      const rest = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(rest[11]) + Number(rest[12]);
    } catch {}
  }
  return ticks * TICK_MS;
};

/**
 * CPU ms so far of the bots' end's NAPI thread (their TCP receive path, on CPU 1); 0 on loopback,
 * where that work is inside the sender's own CPU.
 */
export const napiCpuMs = (p: NetPlacement): number => (p.netns ? threadsCpuMs(napiThreads()) : 0);
