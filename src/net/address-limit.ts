/**
 * Open sockets per remote address (`net.maxConnectionsPerAddress`, docs/PROTOCOL.md "Connection
 * limits"): the game server counts each socket under its peer's key when it opens and uncounts it
 * when it closes; an upgrade whose key is at the limit is refused. Keys: an IPv4 address as is (an
 * IPv4-mapped IPv6 address counts as its IPv4 address); an IPv6 address by its /64 prefix (one host
 * usually holds a whole /64, so counting single IPv6 addresses would not limit it). Loopback
 * addresses are not counted while `exemptLoopback` holds. An entry is removed when its count
 * reaches 0, so the map holds at most one entry per address with an open socket.
 */

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The eight 16-bit groups of an IPv6 address in text (full or `::`-shortened, a dotted IPv4 tail allowed), or null. */
export const ipv6Groups = (text: string): number[] | null => {
  let s = text.toLowerCase();
  const tail = /:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(s);
  if (tail) {
    const m = IPV4.exec(tail[1] ?? '');
    if (!m) return null;
    const b = m.slice(1, 5).map(Number);
    s = `${s.slice(0, s.length - (tail[1] ?? '').length)}${(((b[0] ?? 0) << 8) | (b[1] ?? 0)).toString(16)}:${(((b[2] ?? 0) << 8) | (b[3] ?? 0)).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string | undefined): number[] | null => {
    if (!part) return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-f]{1,4}$/.test(g)) return null;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  if (head === null || rest === null) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const fill = 8 - head.length - rest.length;
  return fill >= 1 ? [...head, ...new Array<number>(fill).fill(0), ...rest] : null;
};

/**
 * The counting key of a peer address as uWebSockets.js gives it (`getRemoteAddressAsText`:
 * dotted IPv4, or IPv6 in full or shortened hex) and whether it is a loopback address.
 * An unparsable address is its own key.
 */
export const addressKey = (address: string): { key: string; loopback: boolean } => {
  const v4 = IPV4.exec(address);
  if (v4) return { key: address, loopback: v4[1] === '127' };
  const g = ipv6Groups(address);
  if (g === null) return { key: address, loopback: false };
  const zeros = (n: number): boolean => g.slice(0, n).every((x) => x === 0);
  if (zeros(5) && g[5] === 0xffff) {
    const hi = g[6] ?? 0;
    const lo = g[7] ?? 0;
    return { key: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, loopback: hi >> 8 === 127 };
  }
  if (zeros(7) && g[7] === 1) return { key: '::1', loopback: true };
  return {
    key: `${g
      .slice(0, 4)
      .map((x) => x.toString(16))
      .join(':')}::/64`,
    loopback: false,
  };
};

/** Open sockets per address key; one per game server. */
export class AddressLimiter {
  readonly #open = new Map<string, number>();
  readonly #max: number;
  readonly #exemptLoopback: boolean;

  /** `max` 0 = no limit (nothing is counted). */
  constructor(max: number, exemptLoopback: boolean) {
    this.#max = max;
    this.#exemptLoopback = exemptLoopback;
  }

  /** The key to count a socket from `address` under, or '' when it is not limited (limit 0, or an exempt loopback address). */
  keyOf(address: string): string {
    if (this.#max === 0) return '';
    const { key, loopback } = addressKey(address);
    return loopback && this.#exemptLoopback ? '' : key;
  }

  /** True when `key` already has the most open sockets allowed ('' never is). */
  full(key: string): boolean {
    return key !== '' && (this.#open.get(key) ?? 0) >= this.#max;
  }

  /** A socket under `key` opened. */
  add(key: string): void {
    if (key !== '') this.#open.set(key, (this.#open.get(key) ?? 0) + 1);
  }

  /** A socket under `key` closed; the entry goes at 0. */
  remove(key: string): void {
    const n = this.#open.get(key);
    if (n === undefined) return;
    if (n <= 1) this.#open.delete(key);
    else this.#open.set(key, n - 1);
  }

  /** Open sockets counted under `key`. */
  count(key: string): number {
    return this.#open.get(key) ?? 0;
  }

  /** Addresses with at least one counted socket (the map's size). */
  get addresses(): number {
    return this.#open.size;
  }
}
