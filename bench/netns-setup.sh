#!/usr/bin/env bash
# Put the net benches' load generator behind a veth pair (bench/net-netns.ts explains why).
# Usage (root, needs CAP_NET_ADMIN and CAP_SYS_ADMIN): bash bench/netns-setup.sh [name=wtb]
#   bash bench/netns-setup.sh --remove [name]
# Then: WT_NET_NETNS=wtb npm run bench -- net   (or WT_NET_NETNS=wtb npx tsx bench/net-floor-split.ts)
set -euo pipefail
if [[ "${1:-}" == "--remove" ]]; then
  ns="${2:-wtb}"
  ip link del wtv0 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  echo "removed netns $ns"
  exit 0
fi
ns="${1:-wtb}"
command -v ethtool >/dev/null || { echo "netns-setup: ethtool is missing (apt-get install ethtool)" >&2; exit 2; }
ip netns add "$ns" 2>/dev/null || true
if ! ip link show wtv0 >/dev/null 2>&1; then
  ip link add wtv0 type veth peer name wtv1
  ip link set wtv1 netns "$ns"
  ip addr add 10.77.0.1/24 dev wtv0
  ip netns exec "$ns" ip addr add 10.77.0.2/24 dev wtv1
fi
ip link set wtv0 up
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" ip link set wtv1 up
# The server's frames to the bots: GRO on the bots' end (wtv1) makes veth deliver them through NAPI,
# and threaded NAPI runs that in a kernel thread we pin to CPU 1, the bots' core. TSO off on the
# server's end (wtv0): veth hands a TCP packet to NAPI only when its sender cannot do TSO
# (veth_skb_is_eligible_for_gro); with TSO on, the bots' receive path runs inside the server's
# send, on CPU 0, as on loopback. Our frames are far below one segment: nothing is segmented in
# software instead.
# The bots' packets to the server (ACKs, inputs): GRO off on wtv0, so they are processed inside
# the bots' send, on CPU 1, exactly as on loopback. (A NAPI thread on CPU 0 for them cost the
# server's core ≈ 10 µs per snapshot: a thread switch per ACK, which a NIC's interrupt
# coalescing would not cost. Both placements leave that path on the bots' core alike.)
ethtool -K wtv0 gro off tso off
ip netns exec "$ns" ethtool -K wtv1 gro on
ip netns exec "$ns" sh -c 'echo 1 > /sys/class/net/wtv1/threaded'
for t in $(pgrep '^napi/wtv1-'); do taskset -cp 1 "$t" >/dev/null; done
pgrep '^napi/wtv1-' >/dev/null || { echo "netns-setup: no NAPI thread for wtv1 (threaded NAPI unsupported?)" >&2; exit 1; }
echo "netns $ns ready: server 10.77.0.1 (wtv0), bots 10.77.0.2 (wtv1 in $ns)"
