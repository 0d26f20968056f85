/**
 * The client address of a WebSocket upgrade behind trusted proxies (`net.trustedProxies`,
 * docs/PROTOCOL.md "Connection limits"). When the TCP peer is a trusted proxy, the client is the
 * rightmost entry of `X-Forwarded-For` that is not itself a trusted proxy: each proxy appends the
 * address it saw, so entries right of the first untrusted one were written by proxies we trust,
 * and everything left of it is whatever the client sent (never believed). A peer that is not
 * trusted is the client, whatever headers it sends. The header falls back to the peer when it is
 * missing or empty, when the entry reached is not an address (`unknown`, garbage), or when every
 * entry looked at is a trusted proxy.
 *
 * Bounded: only the last {@link FORWARDED_MAX_CHARS} characters of the header (all its lines, in
 * order) and at most {@link FORWARDED_MAX_ENTRIES} entries from the right are looked at, so a
 * hostile header costs at most one pass over 1 KiB. `Forwarded:` (RFC 7239) is not read.
 *
 * Addresses are compared as eight 16-bit groups, IPv4 as IPv4-mapped IPv6 (`::ffff:a.b.c.d`), so
 * `10.0.0.0/8` also matches a peer that uWebSockets.js reports as `::ffff:10.1.2.3`.
 */
import type { HttpRequest } from '../uws.js';
import { ipv6Groups } from './address-limit.js';

/** Characters of `X-Forwarded-For` looked at (its tail: the entries proxies appended). */
export const FORWARDED_MAX_CHARS = 1024;
/** Entries of `X-Forwarded-For` looked at, from the right. */
export const FORWARDED_MAX_ENTRIES = 32;
/** Most entries `net.trustedProxies` may have. */
export const TRUSTED_PROXIES_MAX = 1024;

/** An address or prefix: eight 16-bit groups and the prefix length in bits (0..128). */
export interface AddressRange {
  readonly groups: readonly number[];
  readonly bits: number;
}

const V4 = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

/** The groups of a dotted IPv4 address as IPv4-mapped IPv6, or null (no leading zeros, octets 0..255). */
const v4Groups = (text: string): number[] | null => {
  const m = V4.exec(text);
  if (!m) return null;
  const b = m.slice(1, 5).map(Number);
  if (b.some((x) => x > 255)) return null;
  return [0, 0, 0, 0, 0, 0xffff, ((b[0] ?? 0) << 8) | (b[1] ?? 0), ((b[2] ?? 0) << 8) | (b[3] ?? 0)];
};

/** Eight 16-bit groups of an IPv4 (dotted) or IPv6 address in text, or null when it is neither. */
export const addressGroups = (text: string): number[] | null => {
  if (text.length > 64) return null;
  return v4Groups(text) ?? (text.includes(':') ? ipv6Groups(text) : null);
};

/** True when `g` is an IPv4-mapped IPv6 address. */
const mapped = (g: readonly number[]): boolean => g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff;

/** Canonical text of an address: dotted IPv4 (also for IPv4-mapped IPv6), else RFC 5952 IPv6 (lowercase, longest zero run as `::`). */
export const formatAddress = (g: readonly number[]): string => {
  if (mapped(g)) {
    const hi = g[6] ?? 0;
    const lo = g[7] ?? 0;
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  let best = -1;
  let bestLen = 1; // a single zero group is not shortened
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = (a: number, b: number): string =>
    g
      .slice(a, b)
      .map((x) => x.toString(16))
      .join(':');
  return best < 0 ? hex(0, 8) : `${hex(0, best)}::${hex(best + bestLen, 8)}`;
};

/**
 * An entry of `net.trustedProxies`: an address (IPv4 or IPv6) or a CIDR prefix (`10.0.0.0/8`,
 * `fd00::/8`; an IPv4 prefix is 0..32, an IPv6 one 0..128; bits past the prefix are ignored), or
 * null when it is neither.
 */
export const parseRange = (text: string): AddressRange | null => {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const groups = addressGroups(addr);
  if (groups === null) return null;
  const v4 = V4.test(addr);
  if (slash < 0) return { groups, bits: 128 };
  const len = text.slice(slash + 1);
  if (!/^(0|[1-9]\d{0,2})$/.test(len)) return null;
  const n = Number(len);
  if (n > (v4 ? 32 : 128)) return null;
  return { groups, bits: v4 ? 96 + n : n };
};

/** True when address `g` lies in `r`. */
export const inRange = (g: readonly number[], r: AddressRange): boolean => {
  for (let i = 0; i < 8; i++) {
    const bits = Math.min(16, r.bits - 16 * i);
    if (bits <= 0) return true;
    const mask = (0xffff << (16 - bits)) & 0xffff;
    if ((((g[i] ?? 0) ^ (r.groups[i] ?? 0)) & mask) !== 0) return false;
  }
  return true;
};

/**
 * Problems of a `net.trustedProxies` value (empty when valid): it must be an array of at most
 * {@link TRUSTED_PROXIES_MAX} strings, each an address or CIDR prefix; one problem per bad entry.
 */
export const trustedProxiesProblems = (value: unknown, path = 'net.trustedProxies'): string[] => {
  if (!Array.isArray(value)) {
    const got = value === null ? 'null' : typeof value === 'object' ? 'an object' : typeof value === 'string' ? 'a string' : typeof value;
    return [`${path} must be an array of IPv4/IPv6 addresses or CIDR prefixes (got ${got})`];
  }
  if (value.length > TRUSTED_PROXIES_MAX) return [`${path} must have at most ${TRUSTED_PROXIES_MAX} entries (got ${value.length})`];
  const problems: string[] = [];
  value.forEach((v, i) => {
    if (typeof v === 'string' && parseRange(v) !== null) return;
    const shown = typeof v === 'string' ? JSON.stringify(v.length > 64 ? `${v.slice(0, 64)}…` : v) : `a ${v === null ? 'null' : typeof v}`;
    problems.push(`${path}[${i}] must be an IPv4/IPv6 address or CIDR prefix such as 10.0.0.0/8 (got ${shown})`);
  });
  return problems;
};

/**
 * One `X-Forwarded-For` entry as an address: `a.b.c.d`, an IPv6 address, `[v6]`, `[v6]:port` or
 * `a.b.c.d:port` (some proxies add the client's port); null for anything else (`unknown`, an
 * obfuscated identifier, garbage).
 */
const entryGroups = (entry: string): number[] | null => {
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']');
    if (close < 0) return null;
    const rest = entry.slice(close + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return null;
    const inner = entry.slice(1, close);
    return inner.includes(':') ? ipv6Groups(inner) : null;
  }
  const port = /^([\d.]+):\d{1,5}$/.exec(entry);
  return addressGroups(port ? (port[1] ?? '') : entry);
};

/** The trusted proxies of a game server: decides the client address of each upgrade. */
export interface ProxyTrust {
  /** No proxies are trusted: the client address is always the peer's (no header is read). */
  readonly none: boolean;
  /**
   * The client address of an upgrade from `peer` (uWebSockets.js `getRemoteAddressAsText`):
   * `peer` itself unless it is trusted and `forwardedFor()` (the joined header lines) names a
   * client, in canonical text ({@link formatAddress}).
   */
  clientAddress(peer: string, forwardedFor: () => string): string;
}

/** The trust of a validated `net.trustedProxies` list. */
export const createProxyTrust = (list: readonly string[]): ProxyTrust => {
  const ranges: AddressRange[] = [];
  for (const text of list) {
    const r = parseRange(text);
    if (r) ranges.push(r);
  }
  const trusted = (g: readonly number[]): boolean => ranges.some((r) => inRange(g, r));
  return {
    none: ranges.length === 0,
    clientAddress(peer, forwardedFor) {
      if (ranges.length === 0) return peer;
      const pg = addressGroups(peer);
      if (pg === null || !trusted(pg)) return peer;
      const client = forwardedClient(forwardedFor(), trusted);
      return client === null ? peer : formatAddress(client);
    },
  };
};

/**
 * The rightmost entry of an `X-Forwarded-For` value that is not trusted, or null (fall back to the
 * peer): the header is empty, the entry reached is not an address, or every entry looked at is
 * trusted. Looks at the last {@link FORWARDED_MAX_CHARS} characters (a cut-off first entry is
 * dropped) and at most {@link FORWARDED_MAX_ENTRIES} entries.
 */
export const forwardedClient = (header: string, trusted: (g: readonly number[]) => boolean): number[] | null => {
  let h = header;
  if (h.length > FORWARDED_MAX_CHARS) {
    h = h.slice(h.length - FORWARDED_MAX_CHARS);
    const comma = h.indexOf(',');
    h = comma < 0 ? '' : h.slice(comma + 1);
  }
  const parts = h.split(',');
  const stop = Math.max(0, parts.length - FORWARDED_MAX_ENTRIES);
  for (let i = parts.length - 1; i >= stop; i--) {
    const entry = (parts[i] ?? '').trim();
    const g = entry === '' ? null : entryGroups(entry);
    if (g === null) return null;
    if (!trusted(g)) return g;
  }
  return null;
};

/**
 * Every `X-Forwarded-For` line of an upgrade request, joined with `,` in order (a proxy may add its
 * own line after the client's rather than append to it). Only valid synchronously in the upgrade
 * handler (uWebSockets.js's request is gone after it returns).
 */
export const forwardedForOf = (req: HttpRequest): string => {
  let out = '';
  req.forEach((key, value) => {
    if (key === 'x-forwarded-for') out = out === '' ? value : `${out},${value}`;
  });
  return out;
};
