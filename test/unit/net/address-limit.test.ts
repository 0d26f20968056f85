/**
 * The per-address limit's keys and counts (src/net/address-limit.ts) and the validation of
 * `net.maxConnectionsPerAddress` / `net.perAddressExemptLoopback`.
 */
import { describe, expect, it } from 'vitest';
import { AddressLimiter, addressKey } from '../../../src/net/address-limit.js';
import { NET_DEFAULTS, type NetConfig, resolveNetConfig } from '../../../src/net/net-config.js';

describe('addressKey', () => {
  it('keys IPv4 as is, IPv4-mapped IPv6 as its IPv4, IPv6 by /64, and knows loopback', () => {
    expect(addressKey('203.0.113.7')).toEqual({ key: '203.0.113.7', loopback: false });
    expect(addressKey('127.0.0.1')).toEqual({ key: '127.0.0.1', loopback: true });
    expect(addressKey('127.4.5.6').loopback).toBe(true);
    expect(addressKey('0000:0000:0000:0000:0000:ffff:7f00:0001')).toEqual({ key: '127.0.0.1', loopback: true });
    expect(addressKey('::ffff:203.0.113.7')).toEqual({ key: '203.0.113.7', loopback: false });
    expect(addressKey('0000:0000:0000:0000:0000:0000:0000:0001')).toEqual({ key: '::1', loopback: true });
    expect(addressKey('::1')).toEqual({ key: '::1', loopback: true });
    expect(addressKey('2001:0db8:0001:0002:aaaa:bbbb:cccc:dddd')).toEqual({ key: '2001:db8:1:2::/64', loopback: false });
    expect(addressKey('2001:db8:1:2::9').key).toBe('2001:db8:1:2::/64');
    expect(addressKey('garbage')).toEqual({ key: 'garbage', loopback: false });
  });
});

describe('AddressLimiter', () => {
  it('counts per key up to the limit and drops an entry at 0', () => {
    const l = new AddressLimiter(2, false);
    const k = l.keyOf('198.51.100.1');
    expect(l.full(k)).toBe(false);
    l.add(k);
    l.add(k);
    expect(l.full(k)).toBe(true);
    expect(l.full(l.keyOf('198.51.100.2'))).toBe(false);
    l.remove(k);
    expect(l.full(k)).toBe(false);
    l.remove(k);
    l.remove(k);
    expect(l.count(k)).toBe(0);
    expect(l.addresses).toBe(0);
  });

  it('limit 0 and exempt loopback peers are not counted', () => {
    expect(new AddressLimiter(0, false).keyOf('198.51.100.1')).toBe('');
    const l = new AddressLimiter(1, true);
    expect(l.keyOf('127.0.0.1')).toBe('');
    expect(l.keyOf('::1')).toBe('');
    l.add('');
    expect(l.full('')).toBe(false);
    expect(l.addresses).toBe(0);
    expect(new AddressLimiter(1, false).keyOf('127.0.0.1')).toBe('127.0.0.1');
  });
});

describe('net.maxConnectionsPerAddress validation', () => {
  it('defaults to 64 with loopback exempt; accepts 0..1000000 integers', () => {
    expect(NET_DEFAULTS.maxConnectionsPerAddress).toBe(64);
    expect(NET_DEFAULTS.perAddressExemptLoopback).toBe(true);
    expect(resolveNetConfig({ maxConnectionsPerAddress: 0 }).maxConnectionsPerAddress).toBe(0);
    expect(resolveNetConfig({ maxConnectionsPerAddress: 1_000_000 }).maxConnectionsPerAddress).toBe(1_000_000);
  });

  it('refuses bad values with WT_ERR_OPTION_INVALID naming the field', () => {
    for (const bad of [-1, 1.5, 1_000_001, Number.NaN, '3', null]) {
      const patch: unknown = { maxConnectionsPerAddress: bad };
      expect(() => resolveNetConfig(patch as Partial<NetConfig>)).toThrow(/net\.maxConnectionsPerAddress/);
      try {
        resolveNetConfig(patch as Partial<NetConfig>);
      } catch (err) {
        expect((err as { code?: string }).code).toBe('WT_ERR_OPTION_INVALID');
      }
    }
    const patch: unknown = { perAddressExemptLoopback: 'yes' };
    expect(() => resolveNetConfig(patch as Partial<NetConfig>)).toThrow(/net\.perAddressExemptLoopback/);
  });
});
