#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The cache scan benchmark: a synthetic cache (gen.py, default 1,000 repos ×
100 files) scanned by hfhubd and by the official JS client's scanCacheDir,
side by side, on a warm page cache.

- hfhub scan: the time hfhubd's Cache.Scan reports for the scan itself
  ("scan-seconds": the walk and every stat, in the daemon's worker thread).
- hfhub end to end: wall clock of `hfhub --json cache ls`, a new process that
  connects, calls Scan, receives every repo over D-Bus and prints JSON.
- JS: scanCacheDir() in one node process, timed around the call (node's
  start-up is not counted).

Each is run RUNS times (default 5) after one warm-up (the two hfhub
measurements alternate; the JS runs follow, in one node process); the median
is reported with every run. The daemon runs on a private bus, started the way
the integration tests start it (tests/integration/harness.py).

    run.py [--dir DIR] [--repos N] [--files N] [--runs N] [--json FILE]
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))

import harness  # noqa: E402


def scan_dbus(case, cache):
    rc, out, err = case.gdbus_call(harness.OBJ_PATH, "io.github.hfhub.Hub1.Cache.Scan",
                                   "{'cache-dir': <'%s'>}" % cache, timeout=300, log=False)
    if rc != 0:
        raise SystemExit(f"Cache.Scan failed: {err.strip()}")
    seconds = float(re.search(r"'scan-seconds': <([0-9.e+-]+)>", out).group(1))
    size = int(re.search(r"'size-on-disk': <uint64 (\d+)>", out).group(1))
    files = int(re.search(r"'files': <uint32 (\d+)>", out).group(1))
    repos = int(re.search(r"'repos': <uint32 (\d+)>", out).group(1))
    return seconds, {"size": size, "files": files, "repos": repos}


def cli_ls(case, cache):
    t0 = time.monotonic()
    r = case.cli("cache", "ls", env={"HF_HUB_CACHE": cache}, timeout=300)
    dt = time.monotonic() - t0
    if r.rc != 0:
        raise SystemExit(f"hfhub cache ls failed: {r.stderr.strip()}")
    case.cli_log.clear()
    return dt, len(r.json["entries"])


def js_scan(cache, runs):
    node = shutil.which("node")
    if node is None:
        return None
    p = subprocess.run([node, os.path.join(HERE, "scan.mjs"), cache, str(runs)],
                       capture_output=True, text=True, timeout=1800)
    if p.returncode != 0:
        raise SystemExit(f"scan.mjs failed (npm ci --prefix tests/peers?): {p.stderr[-800:]}")
    return json.loads(p.stdout)


def fmt(xs):
    return ", ".join(f"{x:.3f}" for x in xs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", default=os.path.join("/tmp", "hfhub-bench-cache-scan"))
    ap.add_argument("--repos", type=int, default=1000)
    ap.add_argument("--files", type=int, default=100)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", help="write the results here too")
    a = ap.parse_args()

    t0 = time.monotonic()
    subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), a.dir, "--repos",
                    str(a.repos), "--files", str(a.files)], check=True, stdout=subprocess.DEVNULL)
    print(f"# cache {a.dir}: {a.repos} repos x {a.files} files "
          f"(ready in {time.monotonic() - t0:.1f} s)")
    cache = os.path.realpath(a.dir)

    case = harness.Case("test_bench_cache_scan")
    try:
        case.start_daemon()
        scan_dbus(case, cache)  # warm-up
        cli_ls(case, cache)
        daemon_s, cli_s, js_s = [], [], []
        counts = None
        for _ in range(a.runs):
            s, counts = scan_dbus(case, cache)
            daemon_s.append(s)
            cli_s.append(cli_ls(case, cache)[0])
        js = js_scan(cache, a.runs)
    finally:
        case.close()

    res = {
        "repos": a.repos, "files_per_repo": a.files, "runs": a.runs,
        "cpus": os.cpu_count(),
        "hfhub_scan_s": daemon_s, "hfhub_cli_s": cli_s,
        "hfhub_counts": counts,
    }
    med_d, med_c = statistics.median(daemon_s), statistics.median(cli_s)
    print(f"hfhubd Cache.Scan (scan only):   median {med_d:.3f} s  [{fmt(daemon_s)}]")
    print(f"hfhub --json cache ls (end to end): median {med_c:.3f} s  [{fmt(cli_s)}]")
    print(f"hfhub counts: {counts}")
    if js is not None:
        med_j = statistics.median(js["seconds"])
        res.update(js_s=js["seconds"], js_counts={k: js[k] for k in ("repos", "files", "size")},
                   js_version=js["version"], ratio_scan=med_j / med_d, ratio_cli=med_j / med_c)
        print(f"JS scanCacheDir {js['version']} (in process): median {med_j:.3f} s  "
              f"[{fmt(js['seconds'])}]")
        print(f"JS counts: repos {js['repos']}, files {js['files']}, size {js['size']}")
        print(f"ratio JS / hfhub: {med_j / med_d:.1f}x (scan), {med_j / med_c:.1f}x (end to end)")
        if (js["repos"], js["files"], js["size"]) != (counts["repos"], counts["files"],
                                                      counts["size"]):
            print("WARNING: the two scanners disagree on the counts")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
