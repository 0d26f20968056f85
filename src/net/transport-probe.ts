/**
 * The transport-floor probe of the game server (`GameServer.probeTransport`, bench `net`,
 * docs/NET-SCALE.md "Transport-floor probe"): one frame to every joined session's socket, by a
 * `ws.send` loop or by one uWS `publish`, timed on the wall clock. Touches no session's state.
 */
import type { TemplatedApp } from '../uws.js';
import type { Conn } from './session.js';

/** uWS topic every probed socket is subscribed to (publish mode). */
const PROBE_TOPIC = 'wt-probe';

/** The probe. A class: it remembers whether the joined sockets were subscribed to the probe topic. */
export class TransportProbe {
  #subscribed = false;

  /**
   * Send `bytes` to every joined session's socket in `conns` (only those whose connection id is a
   * multiple of `every` when `every` > 1), by a send loop or one `publish` on `app` (subscribing the
   * sockets on first use). Returns the sockets reached and the wall ms the fan-out took.
   */
  run(
    conns: Iterable<Conn>,
    app: TemplatedApp | null,
    bytes: Uint8Array,
    mode: 'send' | 'publish',
    every = 1,
  ): { sockets: number; ms: number } {
    const probed: Conn[] = [];
    for (const c of conns)
      if (c.session && c.session.player >= 0 && !c.closed && c.ws && (every <= 1 || c.id % every === 0)) probed.push(c);
    if (mode === 'publish') {
      if (!this.#subscribed) for (const c of probed) c.ws!.subscribe(PROBE_TOPIC);
      this.#subscribed = true;
      const t0 = performance.now();
      app?.publish(PROBE_TOPIC, bytes, true, false);
      return { sockets: probed.length, ms: performance.now() - t0 };
    }
    const t0 = performance.now();
    for (const c of probed) c.ws!.send(bytes, true, false);
    return { sockets: probed.length, ms: performance.now() - t0 };
  }
}
