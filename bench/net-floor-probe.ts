/**
 * The net e2e bench's transport-floor probe: every FLOOR_EVERY-th measured step, a bare send (or
 * `publish`, alternating) of one event frame padded to the average snapshot size, to a fixed sample
 * of the sockets; per socket µs of wall time and of process CPU — the floor the server's µs per
 * session-snapshot is compared with (docs/NET-SCALE.md "Transport-floor probe").
 *
 * `WT_NET_PROBE_EVERY`: probe only the sockets whose connection id is a multiple of it. Default: a
 * sample of about {@link PROBE_SAMPLE} sockets (every socket below 750). A probe of every socket at
 * 10,000 sockets is ≈ 80 ms of server sends and 10,000 frames the bots read in one burst, which the
 * update latency of the next step's snapshots carries; the floor is a per-socket figure, which the
 * sample measures alike.
 */
import { pack } from 'msgpackr';
import type { GameServer } from '../src/net/game-server.js';
import { MsgType } from '../src/net/protocol.js';
import type { WorldNet } from '../src/net/world-net.js';
import { pct } from './net-bots-proc.js';

/** Every FLOOR_EVERY-th measured step carries a probe. */
export const FLOOR_EVERY = 10;
const PROBE_SAMPLE = 500;
const PROBE_EVERY_ENV = process.env.WT_NET_PROBE_EVERY === undefined ? null : Number(process.env.WT_NET_PROBE_EVERY);
if (PROBE_EVERY_ENV !== null && (!Number.isInteger(PROBE_EVERY_ENV) || PROBE_EVERY_ENV < 1 || PROBE_EVERY_ENV > 1000)) {
  console.error(`WT_NET_PROBE_EVERY must be an integer 1..1000 (got ${JSON.stringify(process.env.WT_NET_PROBE_EVERY)})`);
  process.exit(2);
}

/** The probe's socket sample for a run of `clients` sessions: every n-th connection id. */
export const probeEvery = (clients: number): number => PROBE_EVERY_ENV ?? Math.max(1, Math.round(clients / PROBE_SAMPLE));

/** One run's probe: `maybeProbe` on every measured step, `figures` at the end. */
export const createFloorProbe = (clients: number) => {
  const every = probeEvery(clients);
  const floorSend: number[] = [],
    floorPublish: number[] = [],
    floorSendCpu: number[] = [],
    floorPublishCpu: number[] = [],
    floorSendCpuSync: number[] = [];
  let frame: Uint8Array | null = null,
    probes = 0;
  return {
    /** Probe on the steps that carry one (`step % FLOOR_EVERY === 0`). */
    maybeProbe(server: GameServer, net: WorldNet, step: number): void {
      if (step % FLOOR_EVERY !== 0) return;
      if (!frame) {
        // An event frame (ignored by bots) padded to the average snapshot size so far.
        const avg = Math.max(16, Math.round(net.stats.snapshotBytes / Math.max(1, net.stats.snapshotsSent)));
        frame = pack([MsgType.EVENT, 'x'.repeat(Math.max(1, avg - 12)), 0, 0, 0]);
      }
      const mode = probes++ % 2 === 0 ? 'send' : 'publish';
      const c0 = process.cpuUsage();
      const p = server.probeTransport(frame, mode, every);
      if (p.sockets === 0) return;
      const dSync = process.cpuUsage(c0);
      if (mode === 'send') floorSendCpuSync.push((dSync.user + dSync.system) / p.sockets);
      (mode === 'send' ? floorSend : floorPublish).push((p.ms * 1000) / p.sockets);
      // uWS drains published messages in its loop's pre handler, after this callback: the process
      // CPU up to the next check phase covers the drain (and, for both modes alike, whatever else
      // that loop turn does).
      setImmediate(() => {
        const d = process.cpuUsage(c0);
        (mode === 'send' ? floorSendCpu : floorPublishCpu).push((d.user + d.system) / p.sockets);
      });
    },
    /** Process CPU µs per socket inside the send loop (median): THE floor. */
    cpuUs: (): number => pct(floorSendCpuSync, 0.5),
    /** Transport floor: bare ws.send loop of same-sized frames to the same sockets, µs per socket. */
    figures: () => ({
      /** Wall µs inside the ws.send loop. */
      send: pct(floorSend, 0.5),
      /** Wall µs inside `publish` only (uWS queues; the writes happen in its drain). */
      publishCall: pct(floorPublish, 0.5),
      /** Process CPU µs per socket inside the ws.send loop: THE floor the server figure is compared with. */
      sendCpuSync: pct(floorSendCpuSync, 0.5),
      /** Process CPU µs per socket from the probe to the next check phase (includes uWS's drain of published messages and that loop turn's other work). */
      sendCpu: pct(floorSendCpu, 0.5),
      publishCpu: pct(floorPublishCpu, 0.5),
      probes: floorSend.length + floorPublish.length,
      /** Sockets probed: those whose connection id is a multiple of this (WT_NET_PROBE_EVERY; default about 500 sockets). */
      probeEvery: every,
      frameBytes: frame?.byteLength ?? 0,
    }),
  };
};
