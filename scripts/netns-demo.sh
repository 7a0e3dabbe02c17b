#!/usr/bin/env bash
# Seed 000's chain on three network namespaces joined by veth pairs, the lossy proxy the only
# path between them (compose.yaml's topology, without Docker):
#
#   ps-client 10.77.1.1 --veth-- 10.77.1.2 ps-proxy 10.77.2.2 --veth-- 10.77.2.1 ps-server
#
#   client:  ffmpeg test pattern -> udp://127.0.0.1:12345 -> relay -> psock://10.77.1.2:5405
#   proxy:   --loss/--delay each way -> 10.77.2.1:5405
#   server:  psock://0.0.0.0:5405 -> relay -> udp://127.0.0.1:23456 -> a recorder writes FILE
#
# usage: scripts/netns-demo.sh [--duration SECONDS] [--loss PERCENT] [--delay MS] [--out FILE]
# Needs root, or an unprivileged user namespace (it re-runs itself under `unshare -rnm`), plus
# ffmpeg and a build (npm run build). Ends with the relays' counters and a decode check of FILE.
set -euo pipefail

duration=10 loss=5 delay=20 out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --loss) loss="${2%\%}"; shift 2 ;;
    --delay) delay="${2%ms}"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "netns-demo: unknown argument $1; accepted: --duration S, --loss P, --delay MS, --out FILE" >&2; exit 2 ;;
  esac
done
for value in "$duration" "$loss" "$delay"; do
  [[ "$value" =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "netns-demo: $value is not a number; accepted: --duration S, --loss P, --delay MS" >&2; exit 2; }
done

root="$(cd "$(dirname "$0")/.." && pwd)"
cli=("$(command -v node)" "$root/dist/cli/main.js")
[ -f "${cli[1]}" ] || { echo "netns-demo: ${cli[1]} is missing; run npm run build first" >&2; exit 1; }
command -v ffmpeg >/dev/null || { echo "netns-demo: ffmpeg is required" >&2; exit 1; }

# Without root, `ip netns` works inside a user namespace that also has its own mount namespace
# (it mounts /run/netns); everything then disappears with the process.
if [ "$(id -u)" -ne 0 ] && [ -z "${NETNS_DEMO_UNSHARED:-}" ]; then
  exec env NETNS_DEMO_UNSHARED=1 unshare -rnm --propagation private "$0" --duration "$duration" --loss "$loss" --delay "$delay" ${out:+--out "$out"}
fi
if [ -n "${NETNS_DEMO_UNSHARED:-}" ]; then
  mkdir -p /run/netns && mount -t tmpfs netns /run/netns
fi

tag="ps$$"
work="$(mktemp -d)"
out="${out:-$work/received.ts}"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for ns in client proxy server; do ip netns del "$tag-$ns" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

for ns in client proxy server; do
  ip netns add "$tag-$ns"
  ip -n "$tag-$ns" link set lo up
done
link() { # link NS_A ADDR_A NS_B ADDR_B: a veth pair, created inside A with its peer put in B
  ip -n "$tag-$1" link add "to-$3" type veth peer name "to-$1" netns "$tag-$3"
  ip -n "$tag-$1" addr add "$2/24" dev "to-$3"
  ip -n "$tag-$3" addr add "$4/24" dev "to-$1"
  ip -n "$tag-$1" link set "to-$3" up
  ip -n "$tag-$3" link set "to-$1" up
}
link client 10.77.1.1 proxy 10.77.1.2
link server 10.77.2.1 proxy 10.77.2.2

# `ip netns exec` execs its command, so $! below is the program's own pid and signals reach it.
in_client=(ip netns exec "$tag-client") in_proxy=(ip netns exec "$tag-proxy") in_server=(ip netns exec "$tag-server")

# The recorder: every datagram to the file as it arrives (ffmpeg as a recorder would spend the
# first seconds probing and lose what is in flight when stopped).
"${in_server[@]}" "${cli[0]}" -e '
  const file = require("fs").createWriteStream(process.argv[1]);
  const socket = require("dgram").createSocket("udp4").on("message", (m) => file.write(m)).bind(23456, "127.0.0.1");
  process.on("SIGINT", () => { socket.close(); file.end(() => process.exit(0)); });' "$out" &
pids+=($!)
"${in_server[@]}" "${cli[@]}" relay --from psock://0.0.0.0:5405 --to udp://127.0.0.1:23456 --quiet --stats-json "$work/server.json" 2>"$work/server.log" &
pids+=($!)
"${in_proxy[@]}" "${cli[@]}" proxy --listen 10.77.1.2:5405 --to 10.77.2.1:5405 --loss "$loss" --delay "$delay" --loss-back "$loss" --delay-back "$delay" 2>"$work/proxy.log" &
pids+=($!)
"${in_client[@]}" "${cli[@]}" relay --from udp://127.0.0.1:12345 --to psock://10.77.1.2:5405 --quiet 2>"$work/client.log" &
pids+=($!)
sleep 1
echo "netns-demo: ${duration}s of testsrc2 720p25 through a proxy with ${loss}% loss and ${delay} ms delay each way" >&2
"${in_client[@]}" ffmpeg -nostdin -v error -re -f lavfi -i "testsrc2=size=1280x720:rate=25" -f lavfi -i "sine=frequency=440" \
  -t "$duration" -c:v libx264 -preset veryfast -tune zerolatency -b:v 4M -c:a aac \
  -f mpegts "udp://127.0.0.1:12345?pkt_size=1316"
sleep 1
for pid in "${pids[@]:1}"; do kill -INT "$pid" 2>/dev/null || true; done
sleep 1
kill -INT "${pids[0]}" 2>/dev/null || true
wait 2>/dev/null || true
pids=()

echo "--- server relay (protected -> udp):" >&2
grep -v "^{" "$work/server.log" | tail -n 1 >&2
echo "--- proxy:" >&2
tail -n 3 "$work/proxy.log" >&2
errors="$(ffmpeg -nostdin -v error -i "$out" -f null - 2>&1 | wc -l)"
echo "--- received $(stat -c %s "$out") bytes of MPEG-TS; ffmpeg decode errors: $errors" >&2
[ "$errors" -eq 0 ]
