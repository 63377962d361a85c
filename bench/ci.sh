#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A small version of bench/run.sh for CI: 256 MiB and 64 MiB files, a
# 500-file snapshot, 3 runs each. It reports (table, ratios, targets) and
# ALWAYS exits 0: a slow or broken benchmark must never fail the build.
cd "$(dirname "$0")/.." || exit 0
export BENCH_LABEL="${BENCH_LABEL:-ci}"
export BENCH_BIG_SIZE="${BENCH_BIG_SIZE:-268435456}"
export BENCH_MID_SIZE="${BENCH_MID_SIZE:-67108864}"
export BENCH_FILES="${BENCH_FILES:-500}"
export BENCH_RUNS="${BENCH_RUNS:-3}"
export BENCH_STATE="${BENCH_STATE:-/tmp/hfhub-bench-ci-state}"
export BENCH_RESULTS="${BENCH_RESULTS-}"
echo "== bench (reports only, never fails)"
if [ ! -x _build/daemon/hfhubd ] || [ ! -x _build/client/hfhub ]; then
  echo "bench: skipped, _build/daemon/hfhubd or _build/client/hfhub is missing"
  exit 0
fi
timeout -k 10 900 python3 bench/bench.py
rc=$?
if [ "$rc" -ne 0 ]; then
  echo "bench: finished with status $rc (reported, not failed)"
fi
exit 0
