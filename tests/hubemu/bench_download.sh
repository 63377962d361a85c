#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Measure how fast the emulator feeds a large LFS download on loopback.
#   tests/hubemu/bench_download.sh [SIZE_BYTES] [RUNS]
# Defaults: 2 GiB, 5 runs. The blob store is kept in $HUBEMU_BENCH_STATE
# (default /tmp/hubemu-bench-state) so only the first run pays for generating
# and hashing the content. Prints one line per curl run and the median.
set -euo pipefail

SIZE=${1:-2147483648}
RUNS=${2:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
STATE=${HUBEMU_BENCH_STATE:-/tmp/hubemu-bench-state}
PY=${HUBEMU_PYTHON:-python3}
OUT=$(mktemp)

"$PY" "$HERE/hubemu.py" --port 0 --state "$STATE" >"$OUT" &
PID=$!
trap 'kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; rm -f "$OUT"' EXIT
for _ in $(seq 1 100); do
	grep -q '^hubemu cdn on ' "$OUT" && break
	sleep 0.1
done
URL=$(sed -n 's/^hubemu listening on //p' "$OUT")
[ -n "$URL" ] || { echo "hubemu did not start" >&2; exit 1; }

t0=$(date +%s.%N)
curl -sf -X POST "$URL/_emu/seed" -H 'Content-Type: application/json' \
	-d "{\"id\":\"bench/big\",\"files\":{\"big.safetensors\":{\"size\":$SIZE,\"seed\":1}}}" >/dev/null
t1=$(date +%s.%N)
echo "seed of $SIZE bytes: $(echo "$t1 - $t0" | bc) s (cached after the first time in $STATE)"

speeds=()
for i in $(seq 1 "$RUNS"); do
	line=$(curl -s -L -o /dev/null -w '%{http_code} %{size_download} %{time_total} %{speed_download}' \
		"$URL/bench/big/resolve/main/big.safetensors")
	read -r code bytes secs speed <<<"$line"
	[ "$code" = 200 ] && [ "$bytes" = "$SIZE" ] || { echo "bad download: $line" >&2; exit 1; }
	mbs=$(echo "$speed / 1000000" | bc)
	speeds+=("$mbs")
	echo "run $i: $bytes bytes in $secs s = $mbs MB/s (resolve 302 -> CDN, curl -L -o /dev/null)"
done
median=$(printf '%s\n' "${speeds[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "median: $median MB/s over $RUNS runs"
