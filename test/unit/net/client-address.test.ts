/**
 * `net.trustedProxies` (src/net/client-address.ts): address and CIDR parsing (IPv4, IPv6,
 * IPv4-mapped), the rightmost-untrusted rule over `X-Forwarded-For`, its fallbacks to the peer,
 * its bounds, and the config validation.
 */
import { describe, expect, it } from 'vitest';
import {
  addressGroups,
  createProxyTrust,
  FORWARDED_MAX_CHARS,
  FORWARDED_MAX_ENTRIES,
  formatAddress,
  inRange,
  parseRange,
  TRUSTED_PROXIES_MAX,
} from '../../../src/net/client-address.js';
import { NET_DEFAULTS, type NetConfig, resolveNetConfig } from '../../../src/net/net-config.js';
import { optionProblems } from '../../helpers/option-problems.js';

const problemsOf = (patch: unknown): string[] => optionProblems(() => resolveNetConfig(patch as Partial<NetConfig>));

const inside = (addr: string, range: string): boolean => {
  const g = addressGroups(addr);
  const r = parseRange(range);
  if (g === null || r === null) throw new Error(`bad test input ${addr} ${range}`);
  return inRange(g, r);
};

describe('addresses and prefixes', () => {
  it('parses IPv4, IPv6 (full, shortened, dotted tail) and formats them canonically', () => {
    expect(formatAddress(addressGroups('203.0.113.7') ?? [])).toBe('203.0.113.7');
    expect(formatAddress(addressGroups('::ffff:203.0.113.7') ?? [])).toBe('203.0.113.7');
    expect(formatAddress(addressGroups('0000:0000:0000:0000:0000:ffff:cb00:7107') ?? [])).toBe('203.0.113.7');
    expect(formatAddress(addressGroups('2001:0DB8:0000:0000:0001:0000:0000:0001') ?? [])).toBe('2001:db8::1:0:0:1');
    expect(formatAddress(addressGroups('2001:db8:0:1:1:1:1:1') ?? [])).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatAddress(addressGroups('::1') ?? [])).toBe('::1');
    expect(formatAddress(addressGroups('::') ?? [])).toBe('::');
    expect(formatAddress(addressGroups('fe80::') ?? [])).toBe('fe80::');
    for (const bad of [
      '',
      'unknown',
      '256.1.1.1',
      '1.2.3',
      '01.2.3.4',
      '1.2.3.4.5',
      '1:2:3',
      'fe80::1%eth0',
      '1::2::3',
      ' 1.2.3.4',
      'x'.repeat(100),
    ])
      expect(addressGroups(bad), bad).toBeNull();
  });

  it('matches CIDR prefixes; an IPv4 prefix also matches IPv4-mapped IPv6; host bits past the prefix are ignored', () => {
    expect(inside('10.1.2.3', '10.0.0.0/8')).toBe(true);
    expect(inside('11.0.0.1', '10.0.0.0/8')).toBe(false);
    expect(inside('::ffff:10.1.2.3', '10.0.0.0/8')).toBe(true);
    expect(inside('10.1.2.3', '10.1.2.3')).toBe(true);
    expect(inside('10.1.2.4', '10.1.2.3')).toBe(false);
    expect(inside('10.1.2.4', '10.1.2.3/31')).toBe(false);
    expect(inside('10.1.2.2', '10.1.2.3/31')).toBe(true);
    expect(inside('192.168.77.1', '192.168.64.0/18')).toBe(true);
    expect(inside('192.168.128.1', '192.168.64.0/18')).toBe(false);
    expect(inside('8.8.8.8', '0.0.0.0/0')).toBe(true);
    expect(inside('2001:db8::1', '0.0.0.0/0')).toBe(false); // an IPv4 prefix never matches IPv6
    expect(inside('fd12:3456::9', 'fd00::/8')).toBe(true);
    expect(inside('fe80::1', 'fd00::/8')).toBe(false);
    expect(inside('2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64')).toBe(true);
    expect(inside('2001:db8:1:3::', '2001:db8:1:2::/64')).toBe(false);
    expect(inside('2001:db8::1', '::/0')).toBe(true);
    expect(inside('::1', '::1')).toBe(true);
    for (const bad of ['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/08', '10.0.0.0/8/8', '/8', 'localhost', '10.0.0.0/-1'])
      expect(parseRange(bad), bad).toBeNull();
  });
});

describe('client address behind trusted proxies', () => {
  const trust = createProxyTrust(['10.0.0.0/8', '2001:db8:ffff::/48', '127.0.0.1']);
  const via = (peer: string, xff: string): string => trust.clientAddress(peer, () => xff);

  it('the rightmost entry that is not a trusted proxy is the client', () => {
    expect(via('10.0.0.5', '203.0.113.7')).toBe('203.0.113.7');
    expect(via('10.0.0.5', '198.51.100.1, 203.0.113.7')).toBe('203.0.113.7'); // the left one is the client's own claim
    expect(via('10.0.0.5', '198.51.100.1, 203.0.113.7, 10.9.9.9,10.0.0.2')).toBe('203.0.113.7'); // a chain of trusted proxies
    expect(via('127.0.0.1', ' 203.0.113.7 ')).toBe('203.0.113.7');
    expect(via('::ffff:10.0.0.5', '203.0.113.7')).toBe('203.0.113.7'); // a mapped peer is its IPv4 address
    expect(via('0000:0000:0000:0000:0000:ffff:7f00:0001', '203.0.113.7')).toBe('203.0.113.7');
    expect(via('2001:db8:ffff:1::2', '2001:DB8:0:0:0:0:0:42')).toBe('2001:db8::42');
    expect(via('10.0.0.5', '[2001:db8::42]:51234')).toBe('2001:db8::42');
    expect(via('10.0.0.5', '[2001:db8::42]')).toBe('2001:db8::42');
    expect(via('10.0.0.5', '203.0.113.7:51234')).toBe('203.0.113.7');
    expect(via('10.0.0.5', '::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('falls back to the peer: untrusted peer, empty header, garbage, only trusted entries', () => {
    expect(via('198.51.100.9', '203.0.113.7')).toBe('198.51.100.9'); // the peer is no proxy of ours: its header is ignored
    expect(via('10.0.0.5', '')).toBe('10.0.0.5');
    expect(via('10.0.0.5', '   ')).toBe('10.0.0.5');
    expect(via('10.0.0.5', 'unknown')).toBe('10.0.0.5');
    expect(via('10.0.0.5', '203.0.113.7, garbage')).toBe('10.0.0.5'); // the entry reached is no address
    expect(via('10.0.0.5', '203.0.113.7,')).toBe('10.0.0.5');
    expect(via('10.0.0.5', '10.0.0.9, 127.0.0.1')).toBe('10.0.0.5'); // only trusted proxies
    expect(via('10.0.0.5', '[2001:db8::1')).toBe('10.0.0.5');
    expect(via('10.0.0.5', '[1.2.3.4]')).toBe('10.0.0.5');
    expect(via('10.0.0.5', 'fe80::1%eth0')).toBe('10.0.0.5');
  });

  it('no trusted proxies: the peer, and the header is never read', () => {
    const none = createProxyTrust([]);
    expect(none.none).toBe(true);
    expect(
      none.clientAddress('127.0.0.1', () => {
        throw new Error('read');
      }),
    ).toBe('127.0.0.1');
    expect(
      trust.clientAddress('198.51.100.9', () => {
        throw new Error('read');
      }),
    ).toBe('198.51.100.9');
  });

  it('bounded: only the last 1 KiB and the last 32 entries are looked at', () => {
    expect(FORWARDED_MAX_CHARS).toBe(1024);
    expect(FORWARDED_MAX_ENTRIES).toBe(32);
    // A client padding the header: the proxy's appended entry (rightmost) still decides.
    const pad = Array.from({ length: 5000 }, (_, i) => `198.51.${(i >> 8) & 255}.${i & 255}`).join(', ');
    expect(via('10.0.0.5', `${pad}, 203.0.113.7`)).toBe('203.0.113.7');
    expect(via('10.0.0.5', `${'x'.repeat(100_000)},203.0.113.7`)).toBe('203.0.113.7');
    // At most 32 entries: a client beyond 32 trusted entries is not reached.
    expect(via('10.0.0.5', `203.0.113.7${', 10.0.0.1'.repeat(31)}`)).toBe('203.0.113.7');
    expect(via('10.0.0.5', `203.0.113.7${', 10.0.0.1'.repeat(32)}`)).toBe('10.0.0.5');
    // An entry cut by the 1 KiB window is dropped, never parsed as the shorter address it ends with.
    const trusted25 = ',2001:0db8:ffff:0000:0000:0000:0000:0001'.repeat(25); // 1000 characters, trusted
    const cut = `garbage${' '.repeat(13)}203.0.113.7${trusted25}`; // the window starts at the spaces
    expect(cut.length - FORWARDED_MAX_CHARS).toBe('garbage'.length);
    expect(via('10.0.0.5', cut)).toBe('10.0.0.5');
    expect(via('10.0.0.5', `203.0.113.7${trusted25}`)).toBe('203.0.113.7');
  });
});

describe('net.trustedProxies validation', () => {
  it('defaults to none; valid lists are kept', () => {
    expect(NET_DEFAULTS.trustedProxies).toEqual([]);
    expect(resolveNetConfig().trustedProxies).toEqual([]);
    expect(resolveNetConfig({ trustedProxies: ['10.0.0.0/8', '::1', 'fd00::/8', '192.0.2.1'] }).trustedProxies).toEqual([
      '10.0.0.0/8',
      '::1',
      'fd00::/8',
      '192.0.2.1',
    ]);
  });

  it('every bad entry is a problem, listed with the other net problems (WT_ERR_OPTION_INVALID)', () => {
    expect(problemsOf({ trustedProxies: ['10.0.0.0/8', '10.0.0.0/33', 'proxy.local', 7, '::/129'], maxStrikes: 0 })).toEqual([
      'net.maxStrikes must be an integer between 1 and 1000000 (got number 0)',
      'net.trustedProxies[1] must be an IPv4/IPv6 address or CIDR prefix such as 10.0.0.0/8 (got "10.0.0.0/33")',
      'net.trustedProxies[2] must be an IPv4/IPv6 address or CIDR prefix such as 10.0.0.0/8 (got "proxy.local")',
      'net.trustedProxies[3] must be an IPv4/IPv6 address or CIDR prefix such as 10.0.0.0/8 (got a number)',
      'net.trustedProxies[4] must be an IPv4/IPv6 address or CIDR prefix such as 10.0.0.0/8 (got "::/129")',
    ]);
    expect(problemsOf({ trustedProxies: '10.0.0.0/8' })).toEqual([
      'net.trustedProxies must be an array of IPv4/IPv6 addresses or CIDR prefixes (got a string)',
    ]);
    expect(problemsOf({ trustedProxies: null })).toEqual([
      'net.trustedProxies must be an array of IPv4/IPv6 addresses or CIDR prefixes (got null)',
    ]);
    expect(problemsOf({ trustedProxies: Array.from({ length: TRUSTED_PROXIES_MAX + 1 }, () => '10.0.0.1') })).toEqual([
      `net.trustedProxies must have at most ${TRUSTED_PROXIES_MAX} entries (got ${TRUSTED_PROXIES_MAX + 1})`,
    ]);
  });
});
