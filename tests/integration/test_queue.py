#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration tests of the queue's resilience: the stall watchdog, two jobs
wanting the same file (one transfer), cancelling one of them, and Ctrl-C in
the CLI cancelling its job. TAP on stdout; see harness.py."""

import csv
import io
import json
import os
import re
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

    def b_waits_and_shows_a_progress():
        j = t.job_not_final(b)
        return j if "waiting for another transfer of big.safetensors" in j["state_reason"] \
            and j["bytes_done"] >= 4 * MiB else None
    # A had written 4 MiB before B was asked for: B shows them while it waits
    wait_for(b_waits_and_shows_a_progress, 10, "job B to wait for A's transfer, showing it")
    ja = t.wait_job(a, timeout=60)
    jb = t.wait_job(b, timeout=60)
    eq(ja["state"], "succeeded", "job A")
    eq(jb["state"], "succeeded", "job B")
    eq(jb["bytes_done"], jb["bytes_total"], "job B's progress at the end")
    eq(cdn_gets(t), 1, "GETs of the file's bytes at the CDN (one transfer for two jobs)")
    eq(harness.sha256_file(jb["result"]["path"]), sha, "sha256 of B's file")
    eq(incomplete(t, rid), [], ".incomplete files left")


def test_network_loss_waits_then_goes_on(t):
    """When its own retries are spent on a network that is gone, a job does
    not fail: it waits, says until when, and goes on from where it was."""
    rid = "org/netloss"
    sha = seed_big(t, rid, 4 * MiB, 41)
    # the first 1 MiB arrives, then every connection to the CDN is cut
    # (faults apply in the order they were added)
    t.emu.add_fault({"kind": "truncate", "host": "cdn", "method": "GET", "path": "/repos/*",
                     "after_bytes": MiB, "times": 1})
    t.emu.add_fault({"kind": "reset", "host": "cdn", "method": "GET", "path": "/repos/*",
                     "times": "forever"})
    t.start_daemon()
    job = harness.require_job(t.cli("download", rid, "big.safetensors", "--detach"))

    def waiting():
        j = t.job_not_final(job["id"])
        return j if j["state_reason"].startswith("waiting for the network") else None
    j = wait_for(waiting, 60, "the job to wait for the network")
    eq(j["state"], "queued", "a job waiting for the network")
    check(re.search(r"; next try at \d\d:\d\d:\d\d$", j["state_reason"]),
          f"says until when: {j['state_reason']!r}")
    eq(j["error"], None, "no error: it has not failed")
    t.emu.clear_faults()
    t.emu.reset_counters()
    final = t.wait_job(job["id"], timeout=60)
    eq(final["state"], "succeeded", f"state (error {final.get('error')})")
    eq(harness.sha256_file(final["result"]["path"]), sha, "sha256 of the file")
    ranges = [rg for st in harness.cdn_paths(t.emu.counters()).values()
              for rg in st.get("ranges", [])]
    eq(len(ranges), 1, f"one request once the network is back, ranged: {ranges}")
    check(int(ranges[0].split("=")[1].split("-")[0]) >= MiB,
          f"from where it stopped: {ranges}")


def test_hub_outage_waits_then_goes_on(t):
    """A Hub that answers 503 for longer than the API retries last: the job
    waits for the Hub, says so, and goes on when it is back."""
    rid = "org/outage"
    sha = seed_big(t, rid, MiB, 42)
    t.emu.add_fault({"kind": "status", "status": 503, "host": "main",
                     "path": f"/api/models/{rid}/revision/*", "times": "forever"})
    t.start_daemon()
    job = harness.require_job(t.cli("download", rid, "big.safetensors", "--detach"))
    j = wait_for(lambda: (lambda x: x if x["state_reason"].startswith("waiting for the Hub")
                          else None)(t.job_not_final(job["id"])),
                 60, "the job to wait for the Hub")
    check("503" in j["state_reason"] and "next try at" in j["state_reason"],
          f"says why and until when: {j['state_reason']!r}")
    t.emu.clear_faults()
    final = t.wait_job(job["id"], timeout=60)
    eq(final["state"], "succeeded", f"state (error {final.get('error')})")
    eq(harness.sha256_file(final["result"]["path"]), sha, "sha256 of the file")


def test_cancel_one_of_two(t):
    rid = "org/shared-cancel"
    size = 16 * MiB
    sha = seed_big(t, rid, size, 33)
    t.start_daemon()
    a, b = start_two(t, rid, size, stall_s=5)
    # B's progress, from now to its end, as JSON Lines
    follow = subprocess.Popen([harness.HFHUB_CLI, "--json", "jobs", "follow", str(b)],
                              env=t.cli_env(None), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: t.job_not_final(b)["bytes_done"] >= 4 * MiB, 10,
             "job B to show A's 4 MiB")
    r = t.cli("jobs", "cancel", a)
    eq(r.rc, 0, f"hfhub jobs cancel {a}")
    ja = t.wait_job(a, timeout=30)
    eq(ja["state"], "cancelled", "job A")
    jb = t.wait_job(b, timeout=60)
    eq(jb["state"], "succeeded", f"job B (error {jb.get('error')})")
    eq(harness.sha256_file(jb["result"]["path"]), sha, "sha256 of B's file")
    eq(incomplete(t, rid), [], ".incomplete files left")
    # B took the transfer over where A stopped: no byte fetched twice
    stats = harness.cdn_paths(t.emu.counters()).values()
    ranges = [rg for st in stats for rg in st.get("ranges", [])]
    eq((cdn_gets(t), len(ranges)), (2, 1), f"GETs, of them ranged ({ranges})")
    check(int(ranges[0].split("=")[1].split("-")[0]) >= 4 * MiB,
          f"B continued from {ranges[0]}, A had written 4 MiB or more")
    served = sum(st["bytes_served"] for st in stats)
    check(served <= size + MiB, f"bytes served {served} for a file of {size}")
    out, err = follow.communicate(timeout=30)
    eq(follow.returncode, 0, f"jobs follow {b}: {err}")
    done = [json.loads(line)["bytes_done"] for line in out.splitlines()]
    eq(done, sorted(done), "B's progress never went back, across the hand-over")
    eq(done[-1], size, "B's progress at the end")


def test_pause_one_of_two(t):
    """Pausing the job that makes a transfer another job waits for hands it
    over: the other continues from the bytes on disk (one Range request, no
    byte fetched twice) and finishes; resumed, the paused one finds the file
    done."""
    rid = "org/shared-pause"
    size = 16 * MiB
    sha = seed_big(t, rid, size, 34)
    t.start_daemon()
    a, b = start_two(t, rid, size, stall_s=5)
    eq(t.cli("jobs", "pause", a).rc, 0, f"hfhub jobs pause {a}")
    eq(t.job(a)["state"], "paused", "job A after the pause")
    jb = t.wait_job(b, timeout=60)
    eq(jb["state"], "succeeded", f"job B (error {jb.get('error')})")
    eq(t.job(a)["state"], "paused", "job A once B finished")
    eq(t.cli("jobs", "resume", a).rc, 0, f"hfhub jobs resume {a}")
    ja = t.wait_job(a, timeout=30)
    eq(ja["state"], "succeeded", f"job A after the resume (error {ja.get('error')})")
    eq(harness.sha256_file(ja["result"]["path"]), sha, "sha256 of A's file")
    stats = harness.cdn_paths(t.emu.counters()).values()
    eq(cdn_gets(t), 2, "GETs of the file's bytes: A's, then B's from where A stopped")
    ranges = [rg for st in stats for rg in st.get("ranges", [])]
    eq(len(ranges), 1, f"Range requests ({ranges})")
    start = int(ranges[0].split("=")[1].split("-")[0])
    check(start >= 4 * MiB, f"B continued from byte {start}, A had written 4 MiB or more")
    served = sum(st["bytes_served"] for st in stats)
    check(served <= size + MiB, f"bytes served {served} for a file of {size}")
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


def hms(offset_s):
    """Local time of day offset_s seconds from now, as HH:MM:SS."""
    return time.strftime("%H:%M:%S", time.localtime(time.time() + offset_s))


def config_set(t, key, value):
    r = t.cli("daemon", "config", "set", key, str(value))
    eq(r.rc, 0, f"hfhub daemon config set {key} {value}: {r.stdout} {r.stderr}")


def test_config_get_set_and_bad_input(t):
    t.start_daemon()
    r = t.cli("daemon", "config", "get")
    eq(r.rc, 0, "config get")
    eq(r.json.get("download.bandwidth-limit"), 0, "default download.bandwidth-limit")
    eq(r.json.get("daemon.max-running-jobs"), 2, "default daemon.max-running-jobs")
    # as text: every key, every value in one column past the longest key
    text = t.cli("daemon", "config", "get", json_out=False)
    lines = text.stdout.rstrip("\n").split("\n")
    eq([line.split(":", 1)[0] for line in lines], list(r.json), "the keys, in order")
    starts = {len(line) - len(line.split(":", 1)[1].lstrip()) for line in lines
              if line.split(":", 1)[1].strip()}  # an empty value (no window) shows nothing
    eq(starts, {max(len(k) for k in r.json) + 2}, f"values aligned: {lines}")
    r = t.cli("daemon", "config", "set", "policy.window", "", json_out=False)
    eq((r.rc, r.stdout), (0, "policy.window is now unset.\n"), "an empty value, said so")
    config_set(t, "download.bandwidth-limit", 1234567)
    r = t.cli("daemon", "config", "get", "download.bandwidth-limit")
    eq(r.json, {"download.bandwidth-limit": 1234567}, "the value read back")
    with open(os.path.join(t.xdg_config, "hfhub", "hfhubd.conf")) as f:
        check("bandwidth-limit=1234567" in f.read(), "the setting was saved in hfhubd.conf")
    for key, value, what in (("download.nope", "1", "unknown key"),
                             ("daemon.max-running-jobs", "0", "out of range"),
                             ("daemon.max-running-jobs", "many", "not a number"),
                             ("policy.window", "25:00-26:00", "bad window"),
                             ("download.stall-timeout", "5", "restart-only key")):
        r = t.cli("daemon", "config", "set", key, value)
        eq(r.error_name, harness.ERR + "InvalidArgument", f"{what}: error name")
    eq(t.cli("daemon", "config", "get", "daemon.max-running-jobs").json,
       {"daemon.max-running-jobs": 2}, "nothing changed after bad input")


def test_bandwidth_limit(t):
    rid = "org/throttled"
    size = 24 * MiB
    sha = seed_big(t, rid, size, 36)
    t.start_daemon()
    rate = 4_000_000
    config_set(t, "download.bandwidth-limit", rate)
    job = harness.require_job(t.cli("download", rid, "big.safetensors", "--detach"))

    # the rate in the middle of the transfer, from the job's own progress:
    # start-up and the final verification do not count
    def done_at_least(n):
        def probe():
            # the daemon read bytes_done somewhere between the two clock
            # readings: the middle halves the error of a slow poll
            before = time.monotonic()
            j = t.job_not_final(job["id"])
            when = (before + time.monotonic()) / 2
            return (when, j["bytes_done"]) if j["bytes_done"] >= n else None
        return probe
    t1, b1 = wait_for(done_at_least(4 * MiB), 30, "4 MiB transferred")
    t2, b2 = wait_for(done_at_least(16 * MiB), 30, "16 MiB transferred")
    measured = (b2 - b1) / (t2 - t1)
    t.note(f"{b2 - b1} bytes in {t2 - t1:.2f} s: {measured / 1e6:.2f} MB/s at a limit of "
           f"{rate / 1e6:.2f} MB/s")
    check(abs(measured - rate) <= 0.15 * rate,
          f"measured {measured / 1e6:.2f} MB/s, not within 15 % of {rate / 1e6:.2f} MB/s")
    # changeable while the job runs: lifting it lets the rest go at once
    config_set(t, "download.bandwidth-limit", 0)
    final = t.wait_job(job["id"], timeout=30)
    eq(final["state"], "succeeded", "state")
    eq(harness.sha256_file(final["result"]["path"]), sha, "sha256 of the file")


def test_window_waits_stops_and_continues(t):
    rid = "org/windowed"
    size = 8 * MiB
    sha = seed_big(t, rid, size, 37)
    t.start_daemon()
    # 1 MB/s: the 8 MiB need about 8 s, the window lasts 3
    config_set(t, "download.bandwidth-limit", 1_000_000)
    config_set(t, "policy.window", f"{hms(2)}-{hms(5)}")
    job = harness.require_job(t.cli("download", rid, "big.safetensors", "--detach"))
    j = t.job(job["id"])
    eq(j["state"], "queued", "before the window")
    check(j["state_reason"].startswith("waiting for the window"), f"reason {j['state_reason']!r}")
    wait_for(lambda: t.job(job["id"])["state"] == "running", 10, "the window to open")
    # the window closes: back to the queue, bytes kept
    j = wait_for(lambda: (lambda x: x if x["state"] == "queued" else None)(t.job(job["id"])),
                 15, "the job to stop when the window closes")
    check(j["state_reason"].startswith("waiting for the window"), f"reason {j['state_reason']!r}")
    parts = incomplete(t, rid)
    check(parts and os.path.getsize(parts[0]) > MiB, f"the partial file is kept: {parts}")
    done_before = os.path.getsize(parts[0])
    t.emu.reset_counters()
    config_set(t, "download.bandwidth-limit", 0)
    config_set(t, "policy.window", "")
    final = t.wait_job(job["id"], timeout=30)
    eq(final["state"], "succeeded", f"state (error {final.get('error')})")
    eq(harness.sha256_file(final["result"]["path"]), sha, "sha256 of the file")
    served = t.emu.counters()["hosts"]["cdn"]["bytes_served"]
    check(served <= size - done_before + MiB,
          f"continued where it stopped: {served} bytes served after, {done_before} kept")


def test_unmetered_only(t):
    rid = "org/metered"
    sha = seed_big(t, rid, MiB, 38)
    t.start_daemon()
    config_set(t, "policy.network-metered", "yes")
    job = harness.require_job(t.cli("download", rid, "big.safetensors", "--detach",
                                    "--unmetered-only"))
    j = wait_for(lambda: (lambda x: x if "unmetered" in x["state_reason"] else None)(
        t.job(job["id"])), 10, "the job to wait for an unmetered network")
    eq(j["state"], "queued", "state on a metered network")
    # another job without the policy is not held up
    harness.expect_succeeded(t.download(rid, "big.safetensors"))
    eq(t.job(job["id"])["state"], "queued", "still waiting")
    config_set(t, "policy.network-metered", "no")
    final = t.wait_job(job["id"], timeout=30)
    eq(final["state"], "succeeded", "state once unmetered")
    eq(harness.sha256_file(final["result"]["path"]), sha, "sha256 of the file")


def test_start_at(t):
    rid = "org/at"
    seed_big(t, rid, MiB, 39)
    t.start_daemon()
    job = harness.require_job(t.cli("download", rid, "big.safetensors", "--detach",
                                    "--at", hms(3)))
    j = t.job(job["id"])
    eq(j["state"], "queued", "before its time")
    check(j["state_reason"].startswith("scheduled to start at"), f"reason {j['state_reason']!r}")
    t0 = time.monotonic()
    final = t.wait_job(job["id"], timeout=20)
    eq(final["state"], "succeeded", "state after its time")
    check(time.monotonic() - t0 >= 1.0, "it started before its time")


def test_priority_reorders_the_queue(t):
    t.write_config({"daemon": {"max-running-jobs": 1}})
    for n in ("a", "b", "c"):
        seed_big(t, f"org/prio-{n}", 2 * MiB, 40 + ord(n))
    # A holds the only slot until it is cancelled
    t.emu.add_fault({"kind": "stall", "host": "cdn", "method": "GET", "path": "/repos/*",
                     "after_bytes": MiB, "seconds": 30, "times": 1})
    t.start_daemon()
    a = harness.require_job(t.cli("download", "org/prio-a", "--detach"))["id"]
    wait_for(lambda: t.job_not_final(a)["state"] == "running", 10, "job A to run")
    b = harness.require_job(t.cli("download", "org/prio-b", "--detach"))["id"]
    c = harness.require_job(t.cli("download", "org/prio-c", "--detach"))["id"]
    eq(t.job(b)["state"], "queued", "B waits for the slot")
    # slow enough that the first of B and C is still running when polled
    config_set(t, "download.bandwidth-limit", 1_000_000)
    r = t.cli("jobs", "prio", c, "5")
    eq(r.rc, 0, "jobs prio")
    eq(r.json["priority"], 5, "the new priority")
    eq(t.cli("jobs", "cancel", a).rc, 0, "jobs cancel A")
    # the free slot goes to C (priority 5) before B (queued earlier)
    nxt = wait_for(lambda: next((x for x in (b, c) if t.job(x)["state"] != "queued"), None),
                   30, "the next job to start")
    eq(nxt, c, "the job that started after A")
    eq(t.job(b)["state"], "queued", "B still waits while C runs")
    config_set(t, "download.bandwidth-limit", 0)
    for x in (b, c):
        eq(t.wait_job(x, timeout=30)["state"], "succeeded", f"job {x}")


def test_sigkill_chaos(t):
    """The daemon SIGKILLed at 5 random moments during a 10-file queue and
    restarted each time: every job finishes, every blob verifies, no
    partial file is left, and the bytes served total at most the files'
    size plus 5%. The emulator paces each transfer as a real link would
    (the daemon is not the bottleneck), so little is in flight at a kill;
    what a kill costs is what the daemon had read but not yet written (at
    most its 1 MiB read buffer) for each of the 2 running transfers, and
    nothing that reached the partial file is fetched again."""
    import random
    rng = random.Random(20261126)
    size = 24 * MiB
    files = {}
    for i in range(10):
        rid = f"org/chaos-{i}"
        files[rid] = seed_big(t, rid, size, 60 + i)
    # the link is the bottleneck, not the daemon: 20 MB/s per transfer
    t.emu.add_fault({"kind": "throttle", "host": "cdn", "method": "GET", "path": "/repos/*",
                     "rate": 20_000_000, "times": "forever"})
    t.start_daemon()
    jobs = {}
    for rid in files:
        jobs[rid] = harness.require_job(t.cli("download", rid, "big.safetensors",
                                              "--detach"))["id"]
    for k in range(5):
        time.sleep(rng.uniform(0.3, 1.2))  # a random moment to crash at, not a wait
        t.daemons[-1].kill()
        t.start_daemon()
    for rid, job_id in jobs.items():
        final = t.wait_job(job_id, timeout=120)
        eq(final["state"], "succeeded", f"{rid} (error {final.get('error')})")
        eq(harness.sha256_file(final["result"]["path"]), files[rid], f"sha256 of {rid}")
        eq(incomplete(t, rid), [], f".incomplete files of {rid}")
    served = t.emu.counters()["hosts"]["cdn"]["bytes_served"]
    total = size * len(files)
    t.note(f"served {served} bytes for {total} bytes of files ({served / total:.4f}x)")
    check(served <= total * 1.05,
          f"served {served} bytes: more than the files ({total}) plus 5% "
          f"({served / total:.4f}x)")


def test_attached_job_ends_with_its_caller(t):
    rid = "org/orphan"
    seed_big(t, rid, 8 * MiB, 70)
    t.emu.add_fault({"kind": "stall", "host": "cdn", "method": "GET", "path": "/repos/*",
                     "after_bytes": MiB, "seconds": 30, "times": "forever"})
    t.start_daemon()
    detached = harness.require_job(t.cli("download", rid, "--detach"))["id"]
    p = subprocess.Popen([harness.HFHUB_CLI, "download", rid, "big.safetensors"],
                         env=t.cli_env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, cwd=t.tmp)
    try:
        attached = wait_for(lambda: next((j["id"] for j in t.jobs() if j["id"] != detached),
                                         None), 20, "the CLI's job to appear")
        wait_for(lambda: t.job_not_final(attached)["state"] == "running", 20,
                 "the CLI's job to run")
    finally:
        p.kill()  # the caller dies without a word
        p.wait()
    final = t.wait_job(attached, timeout=20)
    eq(final["state"], "cancelled", "the attached job of a caller that went away")
    eq(t.job(detached)["state"] in ("queued", "running"), True,
       "the detached job outlives its caller")


def test_jobs_ls_fits_the_terminal_and_exports(t):
    rid = "org/listed"
    seed_big(t, rid, MiB, 40)
    t.start_daemon()
    done = harness.expect_succeeded(t.download(rid, "big.safetensors"))
    config_set(t, "policy.window", f"{hms(3 * 3600)}-{hms(4 * 3600)}")
    waiting = harness.require_job(t.cli("download", rid, "big.safetensors", "--detach",
                                        "--force-download"))
    reason = t.job(waiting["id"])["state_reason"]
    check(reason.startswith("waiting for the window"), f"reason {reason!r}")
    headers = ["ID", "KIND", "STATE", "REASON", "REPO", "REVISION", "PROGRESS", "UPDATED"]

    wide = t.cli("jobs", "ls", env={"COLUMNS": 300}, json_out=False)
    lines = wide.stdout.rstrip("\n").split("\n")
    eq((wide.rc, lines[0].split()), (0, headers), "every column at 300 columns")
    eq(len(lines), 3, f"one line per job: {lines}")
    check(reason in lines[2], f"the reason in full: {lines[2]!r}")
    eq(wide.stderr, "", "nothing hidden, nothing said")

    # narrow: whole columns go, by priority, and the command says which
    narrow = t.cli("jobs", "ls", env={"COLUMNS": 60}, json_out=False)
    lines = narrow.stdout.rstrip("\n").split("\n")
    eq(lines[0].split(), ["ID", "STATE", "REPO", "PROGRESS"], "the columns kept at 60")
    eq(len(lines), 3, f"no cell wrapped: {lines}")
    check(all(len(line) <= 60 for line in lines), f"fits 60 columns: {lines}")
    m = re.search(r"Not shown for lack of width: ([^.]*)\.", narrow.stderr)
    check(m, f"says what it left out: {narrow.stderr!r}")
    eq(sorted(h.strip() for h in m.group(1).split(",")),
       ["KIND", "REASON", "REVISION", "UPDATED"], "the columns it names")

    # --no-truncate: every column, no wrapping, whatever the width
    full = t.cli("jobs", "ls", "--no-truncate", env={"COLUMNS": 40}, json_out=False)
    lines = full.stdout.rstrip("\n").split("\n")
    eq((lines[0].split(), len(lines)), (headers, 3), f"--no-truncate at 40: {lines}")

    # CSV: exact values
    r = t.cli("jobs", "ls", "--format", "csv", json_out=False)
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    eq([row["id"] for row in rows], [str(done["id"]), str(waiting["id"])], "CSV ids")
    eq(rows[0]["bytes_done"], str(MiB), "CSV bytes as a number")
    eq((rows[1]["state"], rows[1]["state_reason"]), ("queued", reason), "CSV state and why")
    check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", rows[0]["updated"]),
          f"CSV time in ISO 8601: {rows[0]['updated']!r}")
    # a locale that is not UTF-8: plain spaces in sizes, not "?"
    r = t.cli("jobs", "ls", env={"LC_ALL": "C", "LANG": None}, json_out=False)
    check("1.0 MB / 1.0 MB (100%)" in r.stdout and "?" not in r.stdout,
          f"sizes in the C locale: {r.stdout!r}")
    bad = t.cli("jobs", "ls", "--format", "xml", json_out=False)
    eq(bad.rc, 2, "an unknown format is a usage error")
    config_set(t, "policy.window", "")


def test_jobs_follow_json_lines(t):
    rid = "org/follow"
    seed_big(t, rid, 8 * MiB, 71)
    t.start_daemon()
    config_set(t, "download.bandwidth-limit", 8_000_000)
    job = harness.require_job(t.cli("download", rid, "--detach"))
    r = t.cli("jobs", "follow", job["id"], timeout=60)
    eq(r.rc, 0, f"jobs follow exit status: {r.stderr}")
    objs = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    check(len(objs) >= 3, f"expected several progress lines, got {len(objs)}")
    done = [o["bytes_done"] for o in objs]
    eq(done, sorted(done), "bytes_done never goes back")
    eq(objs[-1]["state"], "succeeded", "the last line's state")
    eq(objs[-1]["bytes_done"], objs[-1]["bytes_total"], "the last line is complete")
    check(objs[-1]["bytes_total"] >= 8 * MiB, "the total covers the 8 MiB file")
    eq(sum(1 for o in objs if o["state"] == "succeeded"), 1, "one final line")
    # text to a pipe: exact numbers, one line per change
    r = t.cli("jobs", "follow", job["id"], json_out=False)
    total, files = objs[-1]["bytes_total"], objs[-1]["files_total"]
    eq((r.rc, r.stdout), (0, f"succeeded {total}/{total} {files}/{files} \n"),
       "text to a pipe")


def test_jobs_follow_on_a_terminal(t):
    """On a terminal a state's line is redrawn in place as its progress
    moves; each new state starts a line of its own."""
    rid = "org/follow-tty"
    seed_big(t, rid, 8 * MiB, 73)
    t.start_daemon()
    config_set(t, "download.bandwidth-limit", 4_000_000)  # about 2 s of progress
    job = harness.require_job(t.cli("download", rid, "--detach"))
    wait_for(lambda: t.job_not_final(job["id"])["state"] == "running", 10, "the job to run")
    rc, drawn, err = t.cli_on_terminal(["jobs", "follow", job["id"]], "stdout",
                                       {"COLUMNS": "100"})
    eq(rc, 0, f"exit status ({err!r})")
    text = drawn.replace("\r\n", "\n")
    lines = text.split("\n")
    eq(lines[-1], "", "ends with a newline")
    shown = [line.split("\r\x1b[K")[-1] for line in lines[:-1]]
    eq([line.split()[0] for line in shown], ["running", "succeeded"],
       f"one line per state: {shown}")
    check(lines[0].count("\r\x1b[K") >= 3, f"the running line is redrawn: {lines[0]!r}")
    check(shown[1].endswith("(100%)"), f"the last line, complete: {shown[1]!r}")


def small_filesystem(t, size_mib):
    """A tmpfs of its own (root only; CI runs as root), unmounted at the end."""
    d = t._mkdir("smallfs")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mib}M", "tmpfs", d],
                       capture_output=True, text=True)
    check(r.returncode == 0, f"this test needs to mount a small tmpfs (as root): {r.stderr}")
    t.cleanups.append(lambda: subprocess.run(["umount", "-l", d], capture_output=True))
    return d


def test_disk_full_fails_up_front_or_waits(t):
    rid = "org/too-big"
    sha = seed_big(t, rid, 6 * MiB, 72)
    fs = small_filesystem(t, 8)
    cache = os.path.join(fs, "hub")
    filler = os.path.join(fs, "filler")
    with open(filler, "wb") as f:
        f.write(b"\0" * (4 * MiB))
    t.start_daemon()
    env = {"HF_HUB_CACHE": cache}
    # fails before any byte is fetched, naming what it needs
    r = t.cli("download", rid, "big.safetensors", env=env)
    job = harness.expect_failed(r, harness.ERR + "DiskFull")
    check("needs" in job["error"]["message"], f"message: {job['error']['message']}")
    eq(cdn_gets(t), 0, "file GETs for a download that cannot fit")
    # with --wait-for-space it waits, says why, and goes on once space is freed
    job = harness.require_job(t.cli("download", rid, "big.safetensors", "--detach",
                                    "--wait-for-space", env=env))
    wait_for(lambda: "waiting for disk space" in t.job_not_final(job["id"])["state_reason"],
             10, "the job to wait for disk space")
    os.unlink(filler)
    final = t.wait_job(job["id"], timeout=30)
    eq(final["state"], "succeeded", f"state after space was freed (error {final.get('error')})")
    eq(harness.sha256_file(final["result"]["path"]), sha, "sha256 of the file")


if __name__ == "__main__":
    harness.main(globals(), emulator=True)
