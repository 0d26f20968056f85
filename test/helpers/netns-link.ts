/**
 * A network namespace joined to the host by a veth pair, whose link a test can cut silently and heal:
 * a real network partition between a process run inside the namespace (`wrap`, e.g. a server child)
 * and one on the host (PostgreSQL listening on `hostAddr`).
 *
 * The cut: each end's (permanent) neighbour entry for the other end is pointed at a MAC address no
 * interface has. Both stacks still send as usual — nothing fails or is reported to the sender — and
 * the peer's stack drops every frame silently on receipt (not addressed to it: PACKET_OTHERHOST), so
 * no data, ACK, FIN, RST or ICMP crosses in either direction, as when a switch between two hosts
 * dies. `ip link set down` is not that: the routes of a down link are withdrawn and the veth peer loses
 * its carrier, so both stacks are told at once (new connections fail `EHOSTUNREACH`/`ENETUNREACH`).
 * `tc qdisc … netem loss 100%` would do (netem reports its drops to the sender as sent), but a kernel
 * may lack sch_netem (this project's CI VM does); the neighbour entries need only `ip`.
 *
 * A second (third…) link into the same namespace (`createNetnsLink(k, { into })`) gives a process there
 * several networks to cut one at a time: Redis behind one, PostgreSQL behind another, its clients on a
 * third (test/integration/cluster/cut-owner.test.ts). Each /30 is a connected route on its own veth.
 *
 * Names carry the test process's pid and the link's number `k` in it (`wtpl-<pid>-<k>`, veth
 * `wtplh<pid>k<k>`/`wtpln<pid>k<k>`) and each /30 subnet is one not in use on the host, so parallel
 * files, the cases of one file and benches (bench/netns-setup.sh: wtv0/wtv1, 10.77.0.0/24) never meet;
 * leftovers of a process that died are removed at the next setup. Make a process's links one after
 * another (each takes the first free subnet). A subnet is also reserved by a file in the OS temp dir
 * (`wtpl-subnet-<n>`, made with O_EXCL, holding the pid) until `destroy`: two processes starting links
 * at the same time each see the other's subnet as free on the host (pids 4 apart start on each other's
 * second subnet), and two veths with one subnet make the host route to either at random.
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type PgServer, startPostgres } from './postgres-server.js';

const run = promisify(execFile);

/** A namespace and its veth pair. */
export interface NetnsLink {
  /** The namespace's name. */
  ns: string;
  /** The host end's address (listen here to be reached from the namespace). */
  hostAddr: string;
  /** The namespace end's address. */
  nsAddr: string;
  /** `hostAddr/30`'s network, for a pg_hba.conf line. */
  subnet: string;
  /** Command prefix that runs a program inside the namespace (`ip netns exec <ns>`). */
  wrap: string[];
  /**
   * Drop every frame between the two ends from now on, silently (idempotent); `'toNs'`: only those
   * the host sends into the namespace (a reply lost on its way while requests still arrive).
   */
  cut(direction?: 'both' | 'toNs'): Promise<void>;
  /** Let frames through again. */
  heal(): Promise<void>;
  /** Remove the veth pair and the namespace (only the pair for a link made `into` another's namespace; idempotent; never throws). */
  destroy(): Promise<void>;
}

const ip = (...args: string[]): Promise<unknown> => run('ip', args);
/** The ends' MAC addresses of link `k` (each pair its own: they share the host's namespace). */
const hostMac = (k: number): string => `02:77:70:6c:${k.toString(16).padStart(2, '0')}:01`;
const nsMac = (k: number): string => `02:77:70:6c:${k.toString(16).padStart(2, '0')}:02`;
/** A MAC address of no interface: frames sent to it are dropped by the receiving stack. */
const NOWHERE_MAC = '02:77:70:6c:00:99';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Remove the namespaces and veths of test processes that died before their cleanup. */
const removeLeftovers = async (): Promise<void> => {
  const { stdout } = (await run('ip', ['netns', 'list'])) as { stdout: string };
  for (const m of stdout.matchAll(/^wtpl-(\d+)-(\d+)\b/gm)) {
    const pid = Number(m[1]);
    if (pid === process.pid || alive(pid)) continue;
    await ip('link', 'del', `wtplh${pid}k${m[2]}`).catch(() => undefined);
    await ip('netns', 'del', `wtpl-${pid}-${m[2]}`).catch(() => undefined);
  }
};

/** The reservation file of subnet `n` (see the module comment). */
const reservation = (n: number): string => join(tmpdir(), `wtpl-subnet-${n}`);

/** Reserve subnet `n` for this process: false when a live process holds it (a dead one's file is taken over). */
const reserve = (n: number): boolean => {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(reservation(n), String(process.pid), { flag: 'wx' });
      return true;
    } catch {
      let owner = 0;
      try {
        owner = Number(readFileSync(reservation(n), 'utf8'));
      } catch {
        continue; // removed meanwhile: try again
      }
      if (owner === process.pid || alive(owner)) return false;
      rmSync(reservation(n), { force: true });
    }
  }
  return false;
};

/** A /30 of 10.79.0.0/16 with no address of the host in it, reserved for this process. */
const freeSubnet = async (): Promise<number> => {
  const { stdout } = (await run('ip', ['-4', '-o', 'addr', 'show'])) as { stdout: string };
  for (let i = 0; i < 64; i++) {
    const n = (process.pid + i * 4) % 16384; // the /30's index: 10.79.<n >> 6>.<(n & 63) * 4>
    if (!stdout.includes(`10.79.${n >> 6}.${(n & 63) * 4 + 1}/`) && reserve(n)) return n;
  }
  throw new Error('no free /30 in 10.79.0.0/16');
};

/**
 * Make the namespace and its link, or return `{ skip }` saying why it cannot be had here (not root,
 * no CAP_NET_ADMIN, no `ip`, namespaces not allowed): found by trying, and undone on the way out.
 * `o.into`: no namespace of its own, a further veth pair into that link's namespace (its `k` must
 * differ; `destroy` removes only the pair, the namespace goes with `into`'s).
 */
export const createNetnsLink = async (k = 0, o: { into?: NetnsLink } = {}): Promise<NetnsLink | { skip: string }> => {
  const pid = process.pid;
  const ns = o.into?.ns ?? `wtpl-${pid}-${k}`;
  const hostIf = `wtplh${pid}k${k}`;
  const nsIf = `wtpln${pid}k${k}`;
  let made = false;
  let subnet: number | null = null;
  const release = (): void => {
    if (subnet !== null) rmSync(reservation(subnet), { force: true });
    subnet = null;
  };
  const destroy = async (): Promise<void> => {
    await ip('link', 'del', hostIf).catch(() => undefined); // its peer goes with it
    if (!o.into) await ip('netns', 'del', ns).catch(() => undefined);
    release();
  };
  try {
    await removeLeftovers();
    const n = await freeSubnet();
    subnet = n;
    const base = `10.79.${n >> 6}.${(n & 63) * 4}`;
    const hostAddr = `10.79.${n >> 6}.${(n & 63) * 4 + 1}`;
    const nsAddr = `10.79.${n >> 6}.${(n & 63) * 4 + 2}`;
    const inNs = (...args: string[]): Promise<unknown> => ip('netns', 'exec', ns, 'ip', ...args);
    if (!o.into) await ip('netns', 'add', ns);
    made = true;
    await ip('link', 'add', hostIf, 'address', hostMac(k), 'type', 'veth', 'peer', 'name', nsIf, 'address', nsMac(k));
    await ip('link', 'set', nsIf, 'netns', ns);
    await ip('addr', 'add', `${hostAddr}/30`, 'dev', hostIf);
    await inNs('addr', 'add', `${nsAddr}/30`, 'dev', nsIf);
    await ip('link', 'set', hostIf, 'up');
    if (!o.into) await inNs('link', 'set', 'lo', 'up');
    await inNs('link', 'set', nsIf, 'up');
    /** Each end's neighbour entry for the other: the real MAC (through) or nowhere (cut). */
    const neighbours = async (toNs: boolean, toHost: boolean): Promise<void> => {
      await ip('neigh', 'replace', nsAddr, 'lladdr', toNs ? nsMac(k) : NOWHERE_MAC, 'dev', hostIf, 'nud', 'permanent');
      await inNs('neigh', 'replace', hostAddr, 'lladdr', toHost ? hostMac(k) : NOWHERE_MAC, 'dev', nsIf, 'nud', 'permanent');
    };
    await neighbours(true, true);
    return {
      ns,
      hostAddr,
      nsAddr,
      subnet: `${base}/30`,
      wrap: ['ip', 'netns', 'exec', ns],
      cut: (direction = 'both') => neighbours(false, direction === 'toNs'),
      heal: () => neighbours(true, true),
      destroy,
    };
  } catch (err) {
    if (made) await destroy();
    else release();
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    const why = e.code === 'ENOENT' ? 'the `ip` command is missing (iproute2)' : (e.stderr || e.message).trim().slice(0, 300);
    return { skip: `cannot make a network namespace with a veth pair here (needs root with CAP_NET_ADMIN and iproute2): ${why}` };
  }
};

/** A throwaway PostgreSQL listening on loopback and on the host end of each of `links`, trusting their subnets (the namespaces' servers reach it over the links). */
export const startPostgresOnLinks = (links: readonly NetnsLink[]): Promise<PgServer | { skip: string }> =>
  startPostgres({
    listenAddresses: ['127.0.0.1', ...links.map((l) => l.hostAddr)],
    hba: links.map((l) => `host all all ${l.subnet} trust`),
  });
