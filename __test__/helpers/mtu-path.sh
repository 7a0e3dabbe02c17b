#!/usr/bin/env bash
# usage: mtu-path.sh NEAR_MTU FAR_MTU
# Two network namespaces joined by a veth pair with the given MTUs at the sender's (near) and the
# receiver's (far) end. A narrow far end drops what is too large silently, as a narrower link
# further along a path does; a narrow near end refuses it at the sender (EMSGSIZE), which shows
# the datagrams leave with don't-fragment set (else the kernel would fragment them and they
# would arrive). Prints the sender's result. Needs root, or runs itself under `unshare -rnm`.
set -euo pipefail
near_mtu="${1:-1500}" far_mtu="${2:-1400}"
here="$(cd "$(dirname "$0")" && pwd)"
if [ "$(id -u)" -ne 0 ] && [ -z "${MTU_PATH_UNSHARED:-}" ]; then
  exec env MTU_PATH_UNSHARED=1 unshare -rnm --propagation private "$0" "$@"
fi
if [ -n "${MTU_PATH_UNSHARED:-}" ]; then
  mkdir -p /run/netns && mount -t tmpfs netns /run/netns
fi
near="mtu$$n" far="mtu$$f"
cleanup() { ip netns del "$near" 2>/dev/null || true; ip netns del "$far" 2>/dev/null || true; kill "${receiver:-0}" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$near"
ip netns add "$far"
ip -n "$near" link set lo up
ip -n "$far" link set lo up
ip -n "$near" link add v0 type veth peer name v1 netns "$far"
ip -n "$near" addr add 10.9.0.1/24 dev v0
ip -n "$far" addr add 10.9.0.2/24 dev v1
# gso_max_segs 1: a veth hands a segmentation-offload packet to its peer whole, skipping the MTU
# check a real link applies to each segment, so a probe that went out batched with another
# datagram of its size would cross a link it could not (seen: 1302 bytes over MTU 1300, 2 runs in
# 6). Segmenting before the veth makes each datagram meet the MTU, as on a real path.
ip -n "$near" link set v0 mtu "$near_mtu" gso_max_segs 1 up
ip -n "$far" link set v1 mtu "$far_mtu" up
node=(node --import tsx "$here/mtu-peer.ts")
ip netns exec "$far" "${node[@]}" receive 10.9.0.2 5405 > /dev/null &
receiver=$!
sleep 1.5
ip netns exec "$near" "${node[@]}" send 10.9.0.2 5405
