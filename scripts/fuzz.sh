#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60) each on its committed corpus; new inputs
# libFuzzer finds go to a scratch copy, so the committed corpus only changes on purpose.
# usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
seconds="${1:-60}"
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: SECONDS must be a whole number, got $seconds" >&2; exit 2; }
cd "$(dirname "$0")/../fuzz"
command -v cargo-fuzz >/dev/null || { echo "fuzz.sh: cargo-fuzz is missing (cargo install cargo-fuzz)" >&2; exit 1; }
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for target in $(cargo +nightly fuzz list); do
  mkdir -p "$scratch/$target"
  echo "fuzz: $target for ${seconds}s" >&2
  if ! cargo +nightly fuzz run "$target" "$scratch/$target" "corpus/$target" -- -max_total_time="$seconds" -print_final_stats=1 >"$scratch/$target.log" 2>&1; then
    tail -n 40 "$scratch/$target.log" >&2
    echo "fuzz: $target failed (the crashing input is in fuzz/artifacts/$target/)" >&2
    exit 1
  fi
  grep -E "^stat::(number_of_executed_units|peak_rss_mb)" "$scratch/$target.log" | sed "s/^/  $target /" >&2
done
