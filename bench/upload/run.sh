#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The upload benchmark (see the "Uploads" section of bench/README.md): a
# 1 GiB LFS file and a 5,000-file folder, hfhub vs the JS client, against
# the Hub emulator, with this machine's single-core SHA-256 rate. Sizes and
# runs come from BENCH_UP_* (see bench_upload.py). Needs the build, python3,
# cc + pkg-config (gnutls), and for the JS client node + `npm ci --prefix
# tests/peers`. Takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec python3 bench/upload/bench_upload.py "$@"
