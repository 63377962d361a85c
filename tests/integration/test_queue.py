#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration tests of the queue's resilience: the stall watchdog, two jobs
wanting the same file (one transfer), cancelling one of them, and Ctrl-C in
the CLI cancelling its job. TAP on stdout; see harness.py."""

import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import MiB, check, eq, wait_for  # noqa: E402


def seed_big(t, rid, size, seed_no):
    desc = t.emu.seed({"id": rid, "files": {"big.safetensors": {"size": size, "seed": seed_no}}})
    return desc["files"]["big.safetensors"]["sha256"]


def incomplete(t, rid):
    blobs = os.path.join(t.repo_dir(rid), "blobs")
    if not os.path.isdir(blobs):
        return []
    return [os.path.join(blobs, n) for n in os.listdir(blobs) if n.endswith(".incomplete")]


def cdn_gets(t):
    return sum(harness.gets(st) for st in harness.cdn_paths(t.emu.counters()).values())


def test_stall_watchdog_resumes(t):
    rid = "org/stall"
    size = 8 * MiB
    sha = seed_big(t, rid, size, 31)
    # the body goes silent after 2 MiB for far longer than the watchdog allows
    fid = t.emu.add_fault({"kind": "stall", "host": "cdn", "method": "GET", "path": "/repos/*",
                           "after_bytes": 2 * MiB, "seconds": 60, "times": 1})[0]
    t.write_config({"download": {"stall-timeout": 2}})
    t.start_daemon()
    t0 = time.monotonic()
    job = harness.expect_succeeded(t.download(rid, "big.safetensors", timeout=40))
    elapsed = time.monotonic() - t0
    eq((t.emu.fault(fid) or {}).get("fired"), 1, "the stall fault fired")
    check(elapsed < 30, f"the watchdog should have resumed within seconds, took {elapsed:.1f} s")
    eq(harness.sha256_file(job["result"]["path"]), sha, "sha256 of the file")
    ranges = [rg for st in harness.cdn_paths(t.emu.counters()).values()
              for rg in st.get("ranges", [])]
    check(any(rg.startswith("bytes=") and not rg.startswith("bytes=0-") for rg in ranges),
          f"the resumed GET should start past 0, ranges seen: {ranges}")


def start_two(t, rid, size, stall_s):
    """Job A transfers (held up by a stall), job B asks for the same file."""
    t.emu.add_fault({"kind": "stall", "host": "cdn", "method": "GET", "path": "/repos/*",
                     "after_bytes": 4 * MiB, "seconds": stall_s, "times": 1})
    a = harness.require_job(t.cli("download", rid, "big.safetensors", "--detach"))
    wait_for(lambda: t.job_not_final(a["id"]) and
             any(os.path.getsize(p) >= 4 * MiB for p in incomplete(t, rid)),
             30, "job A's partial file to reach 4 MiB")
    b = harness.require_job(t.cli("download", rid, "big.safetensors", "--detach"))
    return a["id"], b["id"]


def test_two_jobs_one_transfer(t):
    rid = "org/shared"
    size = 16 * MiB
    sha = seed_big(t, rid, size, 32)
    t.start_daemon()
    a, b = start_two(t, rid, size, stall_s=3)
    wait_for(lambda: "waiting for another transfer of big.safetensors"
             in t.job_not_final(b)["state_reason"], 10, "job B to say it waits for A's transfer")
    ja = t.wait_job(a, timeout=60)
    jb = t.wait_job(b, timeout=60)
    eq(ja["state"], "succeeded", "job A")
    eq(jb["state"], "succeeded", "job B")
    eq(cdn_gets(t), 1, "GETs of the file's bytes at the CDN (one transfer for two jobs)")
    eq(harness.sha256_file(jb["result"]["path"]), sha, "sha256 of B's file")
    eq(incomplete(t, rid), [], ".incomplete files left")


def test_cancel_one_of_two(t):
    rid = "org/shared-cancel"
    size = 16 * MiB
    sha = seed_big(t, rid, size, 33)
    t.start_daemon()
    a, b = start_two(t, rid, size, stall_s=5)
    r = t.cli("jobs", "cancel", a)
    eq(r.rc, 0, f"hfhub jobs cancel {a}")
    ja = t.wait_job(a, timeout=30)
    eq(ja["state"], "cancelled", "job A")
    jb = t.wait_job(b, timeout=60)
    eq(jb["state"], "succeeded", f"job B (error {jb.get('error')})")
    eq(harness.sha256_file(jb["result"]["path"]), sha, "sha256 of B's file")
    eq(incomplete(t, rid), [], ".incomplete files left")


def test_ctrl_c_cancels_the_job(t):
    rid = "org/ctrl-c"
    seed_big(t, rid, 16 * MiB, 34)
    t.emu.add_fault({"kind": "stall", "host": "cdn", "method": "GET", "path": "/repos/*",
                     "after_bytes": 2 * MiB, "seconds": 30, "times": 1})
    t.start_daemon()
    p = subprocess.Popen([harness.HFHUB_CLI, "download", rid, "big.safetensors"],
                         env=t.cli_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, cwd=t.tmp)
    try:
        jobs = wait_for(lambda: t.jobs() or None, 20, "the CLI's job to appear")
        job_id = jobs[0]["id"]
        wait_for(lambda: t.job_not_final(job_id) and
                 any(os.path.getsize(f) >= 2 * MiB for f in incomplete(t, rid)),
                 30, "the partial file to reach 2 MiB")
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    eq(p.returncode, 130, f"exit status after Ctrl-C (stderr: {err.decode()[-300:]})")
    eq(t.job(job_id)["state"], "cancelled", "the job's state")
    eq(incomplete(t, rid), [], ".incomplete files left after the cancel")


def test_rate_limit_waits_exactly_and_says_so(t):
    rid = "org/ratelimit-t2"
    sha = seed_big(t, rid, 2 * MiB, 35)
    # the Hub's IETF headers: nothing left in the "api" window for 2 s
    fid = t.emu.add_fault({"kind": "ratelimit", "retry_after": 2, "host": "main",
                           "path": "/api/models/" + rid + "/revision/*", "times": 1})[0]
    t.start_daemon()
    t0 = time.monotonic()
    job = harness.require_job(t.cli("download", rid, "big.safetensors", "--detach"))
    seen = wait_for(lambda: (lambda j: j if "rate-limited until" in j["state_reason"]
                             or j["state"] in harness.FINAL_STATES else None)(t.job(job["id"])),
                    10, "the job to say it is rate-limited")
    check("rate-limited until" in seen["state_reason"],
          f"the job finished without ever saying it was rate-limited: {seen}")
    final = t.wait_job(job["id"], timeout=30)
    elapsed = time.monotonic() - t0
    eq(final["state"], "succeeded", f"state (error {final.get('error')})")
    eq((t.emu.fault(fid) or {}).get("fired"), 1, "the 429 fault fired")
    check(1.8 <= elapsed <= 6, f"waited {elapsed:.1f} s for a 2 s rate limit")
    revs = [st for p, st in harness.main_paths(t.emu.counters()).items() if "/revision/" in p]
    eq(sum(harness.gets(st) for st in revs), 2, "revision requests (one 429, one retry)")
    eq(harness.sha256_file(final["result"]["path"]), sha, "sha256 of the file")


if __name__ == "__main__":
    harness.main(globals(), emulator=True)
