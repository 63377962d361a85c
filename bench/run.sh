#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The download benchmark, full size (see bench/README.md): a 2 GiB LFS file
# (hfhub vs curl vs the JS client), a 2,000-file snapshot (hfhub vs JS), and
# hfhubd's peak RSS. Sizes and runs come from BENCH_* (see bench/bench.py).
# Needs the build (ninja -C _build), curl, python3, and for the JS client
# node + `npm ci --prefix tests/peers`. Takes a few minutes; the first run
# also hashes the generated 2.5 GiB once into bench/.state.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 bench/bench.py "$@"
