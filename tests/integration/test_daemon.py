#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration tests of the foundation (issue 2): the built hfhubd on a
private session bus (or a private socket), driven by the built hfhub CLI.
TAP on stdout; see harness.py."""

import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import (ERR, HFHUBD, IFACE_JOB, IFACE_MANAGER, JOBS_PATH, MiB, OBJ_PATH,  # noqa: E402
                     STATES, check, eq, wait_for)


def test_daemon_status(t):
    version = harness.project_version()
    out = subprocess.run([HFHUBD, "--version"], capture_output=True, text=True, timeout=10)
    eq(out.stdout.strip(), f"hfhubd {version}", "hfhubd --version")
    t.start_daemon()
    r = t.cli("daemon", "status")
    eq(r.rc, 0, "exit status of daemon status")
    j = r.json
    check(isinstance(j, dict), f"daemon status --json is not an object: {r.stdout!r}")
    eq(j.get("daemon_version"), version, "daemon_version (the meson project version)")
    check(isinstance(j.get("api_version"), int) and j["api_version"] >= 1,
          f"api_version should be a positive integer, got {j.get('api_version')!r}")
    eq(j.get("state"), "idle", "state")
    counts = j.get("job_counts")
    check(isinstance(counts, dict), f"job_counts should be an object, got {counts!r}")
    eq(sorted(counts), sorted(STATES), "job_counts keys")
    eq(set(counts.values()), {0}, "job counts of a new daemon")
    eq(j.get("connection"), "session-bus", "connection")


def test_jobs_ls_and_version(t):
    version = harness.project_version()
    t.start_daemon()
    r = t.cli("jobs", "ls")
    eq(r.rc, 0, "exit status of jobs ls")
    eq(r.json, {"jobs": []}, "jobs ls --json of a new daemon")
    r = t.cli("version")
    eq(r.rc, 0, "exit status of version")
    eq(r.json.get("client_version"), version, "client_version")
    eq(r.json.get("daemon_version"), version, "daemon_version")
    check(isinstance(r.json.get("api_version"), int), f"api_version: {r.json!r}")
    # without --json, still fine
    r = t.cli("jobs", "ls", json_out=False)
    eq(r.rc, 0, "exit status of jobs ls (text)")


def test_bad_input_named_errors(t):
    t.start_daemon()
    r = t.cli("jobs", "show", "999")
    eq(r.rc, 4, "exit status of jobs show 999")
    eq(r.error_name, ERR + "JobNotFound", "error name of jobs show 999")
    # several IDs: each error names its job, once
    r = t.cli("jobs", "cancel", "999", "1000", json_out=False)
    eq((r.rc, r.stderr), (4, "hfhub: there is no job 999\nhfhub: there is no job 1000\n"),
       "jobs cancel 999 1000 (text)")

    r = t.cli("jobs", "show", "abc")
    eq(r.rc, 2, "exit status of jobs show abc (usage)")
    check(r.error_name is not None, f"jobs show abc --json should print an error: {r.stdout!r}")

    rc, out, err = t.gdbus_call(OBJ_PATH, IFACE_MANAGER + ".ListJobs", "{'bogus': <1>}")
    check(rc != 0, f"ListJobs with an unknown option key should fail, got {out!r}")
    check(ERR + "InvalidArgument" in err,
          f"ListJobs {{'bogus'}}: expected {ERR}InvalidArgument, got {err.strip()!r}")

    rc, out, err = t.gdbus_call(OBJ_PATH, IFACE_MANAGER + ".ListJobs", "{'limit': <'x'>}")
    check(rc != 0, f"ListJobs with a mistyped option should fail, got {out!r}")
    check(ERR + "InvalidArgument" in err,
          f"ListJobs {{'limit': 'x'}}: expected {ERR}InvalidArgument, got {err.strip()!r}")

    rc, out, err = t.gdbus_call(OBJ_PATH, IFACE_MANAGER + ".ListJobs",
                                "{'states': <['nonsense']>}")
    check(rc != 0 and ERR + "InvalidArgument" in err,
          f"ListJobs with an unknown state: expected InvalidArgument, got {rc} {err.strip()!r}")

    rc, out, err = t.gdbus_call(JOBS_PATH + "/xyz", IFACE_JOB + ".Cancel")
    check(rc != 0, f"Cancel on a malformed job path should fail, got {out!r}")
    check("org.freedesktop.DBus.Error.UnknownMethod" in err or
          "org.freedesktop.DBus.Error.UnknownObject" in err,
          f"Cancel on {JOBS_PATH}/xyz: expected UnknownMethod/UnknownObject, got {err.strip()!r}")

    rc, out, err = t.gdbus_call(JOBS_PATH + "/424242", IFACE_JOB + ".Cancel")
    check(rc != 0, f"Cancel on a job that does not exist should fail, got {out!r}")

    # a Download with an unknown option is refused before any job exists
    rc, out, err = t.gdbus_call(OBJ_PATH, IFACE_MANAGER + ".Download", "org/none", "", "", "[]",
                                "{'bogus': <1>}")
    check(rc != 0 and ERR + "InvalidArgument" in err,
          f"Download with an unknown option: expected InvalidArgument, got {rc} {err.strip()!r}")

    eq(t.jobs(), [], "jobs after bad input")
    r = t.cli("daemon", "status")
    eq(r.json.get("state"), "idle", "state after bad input")


def test_no_daemon_without_autostart(t):
    # HFHUB_NO_AUTOSTART=1 and nobody on the bus: a clear failure, no daemon
    r = t.cli("daemon", "status")
    check(r.rc not in (0, None), f"daemon status with no daemon should fail: {r.stdout!r}")
    check(r.error_name, f"--json should print a named error: {r.stdout!r}")
    eq(t.find_our_daemons(), [], "daemons started despite HFHUB_NO_AUTOSTART")


def test_autostart_peer(t):
    t.write_config({"daemon": {"idle-timeout": 5}})
    env = {"DBUS_SESSION_BUS_ADDRESS": None, "HFHUB_NO_AUTOSTART": None}
    try:
        r = t.cli("daemon", "status", env=env, bus=False, timeout=30)
    finally:
        for pid in t.find_our_daemons():
            t.adopt_pid(pid)
    eq(r.rc, 0, f"daemon status with autostart (stderr: {r.stderr.strip()!r})")
    eq(r.json.get("connection"), "peer", "connection")
    eq(r.json.get("daemon_version"), harness.project_version(), "daemon_version")
    sock = os.path.join(t.runtime, "hfhub", "hfhubd.sock")
    check(os.path.exists(sock), f"no socket at {sock}")
    pids = t.find_our_daemons()
    eq(len(pids), 1, f"hfhubd processes with our XDG_RUNTIME_DIR ({pids})")
    first = pids[0]
    with open(f"/proc/{first}/cmdline", "rb") as f:
        cmdline = f.read().split(b"\0")
    check(b"--peer" in cmdline, f"the autostarted daemon runs without --peer: {cmdline!r}")

    r = t.cli("daemon", "status", env=env, bus=False, timeout=30)
    for pid in t.find_our_daemons():
        t.adopt_pid(pid)
    eq(r.rc, 0, "second daemon status")
    eq(r.json.get("connection"), "peer", "connection of the second call")
    eq(t.find_our_daemons(), [first], "the second call should reuse the same daemon")
    r = t.cli("jobs", "ls", env=env, bus=False, timeout=30)
    eq(r.json, {"jobs": []}, "jobs ls over the peer socket")
    eq(t.find_our_daemons(), [first], "still the same daemon")


def test_replace(t):
    first = t.start_daemon()
    owner1 = t.name_owner()
    second = t.spawn_daemon(args=["--replace"])
    t.wait_daemon_ready(second)
    check(t.name_owner() != owner1, "the name did not change hands")
    status = first.wait_exit(15, "the replaced hfhubd to exit")
    eq(status, 0, "exit status of the replaced daemon")
    check(second.alive(), "the replacing daemon died")
    r = t.cli("daemon", "status")
    eq(r.rc, 0, "daemon status after --replace")
    # without --replace, a second daemon cannot take the name and says so
    third = t.spawn_daemon()
    status = third.wait_exit(15, "a second hfhubd without --replace to give up")
    check(status != 0, "a daemon that could not own the name should exit non-zero")
    check(second.alive(), "the owner died when a third daemon tried")


def test_sigterm_exits_zero(t):
    d = t.start_daemon()
    eq(t.cli("daemon", "status").rc, 0, "daemon status")
    eq(d.terminate(), 0, "exit status after SIGTERM")


def test_sigint_exits_zero(t):
    d = t.start_daemon()
    d.signal(signal.SIGINT)
    eq(d.wait_exit(15, "hfhubd to exit after SIGINT"), 0, "exit status after SIGINT")


def test_idle_exit(t):
    t.write_config({"daemon": {"idle-timeout": 1}})
    t0 = time.monotonic()
    d = t.spawn_daemon()
    status = d.wait_exit(20, "hfhubd to exit by itself after idle-timeout=1")
    lived = time.monotonic() - t0
    eq(status, 0, "exit status after the idle timeout")
    check(lived >= 0.9, f"hfhubd exited after {lived:.2f} s, before its idle timeout of 1 s")


def test_idle_timeout_zero_keeps_running(t):
    t.write_config({"daemon": {"idle-timeout": 0}})
    d = t.start_daemon()
    # it must still answer after longer than a short idle timeout would be;
    # the CLI calls themselves are the clock here
    for _ in range(3):
        eq(t.cli("daemon", "status").rc, 0, "daemon status")
    check(d.alive(), "hfhubd exited with idle-timeout=0")


def test_bad_config_refused(t):
    t.write_config({"daemon": {"no-such-key": 1}})
    d = t.spawn_daemon()
    status = d.wait_exit(15, "hfhubd to refuse an unknown config key")
    check(status != 0, "an unknown key in hfhubd.conf should make hfhubd exit non-zero")


def test_job_survives_sigkill(t):
    emu = t.emu
    rid = "org/survivor"
    size = 8 * MiB
    desc = emu.seed({"id": rid, "files": {"weights.bin": {"size": size, "seed": 11,
                                                           "lfs": True}}})
    sha = desc["files"]["weights.bin"]["sha256"]
    # the CDN sends 1 MiB, then waits 30 s: the job is mid-file for sure
    emu.add_fault({"kind": "stall", "host": "cdn", "method": "GET", "path": "/repos/*",
                   "after_bytes": MiB, "seconds": 30, "times": "forever"})
    d = t.start_daemon()
    r = t.cli("download", rid, "--detach")
    job = harness.require_job(r)
    job_id = job["id"]
    wait_for(lambda: t.job_not_final(job_id) and
             emu.counters()["hosts"]["cdn"]["bytes_served"] >= MiB, 20,
             "the CDN to have sent the first MiB")
    eq(t.job(job_id)["state"], "running", "state while the CDN stalls")
    d.kill()

    # after the restart the first request for this repo waits 3 s, so the
    # job is seen unfinished; then everything flows
    emu.clear_faults()
    emu.add_fault({"kind": "stall", "host": "any", "path": "(org/survivor|^/repos/)",
                   "match": "regex", "seconds": 3, "times": 1})
    t.start_daemon()
    jobs = t.jobs()
    ids = [j["id"] for j in jobs]
    eq(ids, [job_id], "jobs after the restart")
    check(jobs[0]["state"] in ("queued", "running"),
          f"the job should come back queued or running, got {jobs[0]['state']!r}")
    final = t.wait_job(job_id, timeout=40)
    eq(final["state"], "succeeded", f"final state (error {final.get('error')})")
    blob = os.path.join(t.repo_dir(rid), "blobs", sha)
    check(os.path.isfile(blob), f"no blob {blob}")
    eq(harness.sha256_file(blob), harness.gen_sha256(size, 11), "sha256 of the blob")


def test_every_state_survives_sigkill(t):
    """After a SIGKILL each unfinished job comes back as it was: the running
    one resumes, the paused one stays paused (and fetches nothing), the
    scheduled one waits for its time, with their priorities."""
    emu = t.emu
    files = {}
    for i, rid in enumerate(("org/was-running", "org/was-paused", "org/was-scheduled")):
        desc = emu.seed({"id": rid, "files": {"w.bin": {"size": 4 * MiB, "seed": 90 + i,
                                                         "lfs": True}}})
        files[rid] = desc["files"]["w.bin"]["sha256"]
    emu.add_fault({"kind": "stall", "host": "cdn", "method": "GET", "path": "/repos/*",
                   "after_bytes": MiB, "seconds": 30, "times": 1})
    later = time.strftime("%H:%M", time.localtime(time.time() + 7200))
    d = t.start_daemon()
    running = harness.require_job(t.cli("download", "org/was-running", "--detach",
                                        "--priority", "4"))["id"]
    wait_for(lambda: emu.counters()["hosts"]["cdn"]["bytes_served"] >= MiB, 20,
             "the running job's first MiB")
    paused = harness.require_job(t.cli("download", "org/was-paused", "--detach",
                                       "--at", later))["id"]
    eq(t.cli("jobs", "pause", paused).rc, 0, "jobs pause")
    scheduled = harness.require_job(t.cli("download", "org/was-scheduled", "--detach",
                                          "--at", later, "--priority", "-2"))["id"]
    before = {j["id"]: j for j in t.jobs()}
    eq(before[running]["state"], "running", "the first job before the kill")
    eq(before[paused]["state"], "paused", "the second job before the kill")
    eq(before[scheduled]["state"], "queued", "the third job before the kill")
    d.kill()

    t.start_daemon()
    final = t.wait_job(running, timeout=60)
    eq(final["state"], "succeeded", f"the running job (error {final.get('error')})")
    eq(final["priority"], 4, "its priority")
    eq(harness.sha256_file(os.path.join(final["result"]["path"], "w.bin")),
       files["org/was-running"], "its sha256")
    after = {j["id"]: j for j in t.jobs()}
    eq(after[paused]["state"], "paused", "the paused job after the restart")
    eq(after[scheduled]["state"], "queued", "the scheduled job after the restart")
    check(after[scheduled]["state_reason"].startswith("scheduled to start at"),
          f"the scheduled job's reason: {after[scheduled]['state_reason']!r}")
    eq(after[scheduled]["priority"], -2, "the scheduled job's priority")
    for rid in ("org/was-paused", "org/was-scheduled"):
        paths = [p for p in harness.cdn_paths(emu.counters())
                 if files[rid] in p]
        eq(paths, [], f"CDN requests for {rid}")


if __name__ == "__main__":
    sys.exit(harness.main(globals(), emulator=True))
