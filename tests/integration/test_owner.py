#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Who owns and who controls a job: the caller recorded with its executable,
only the owner or the user's hfhub pausing, resuming, reprioritising or
cancelling it, owner names of an earlier daemon never matching a caller of
today, and a job its caller waits for going before background work. TAP on
stdout; see harness.py."""

import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import MiB, check, eq, wait_for  # noqa: E402

DEBIAN_PYTHON = "/usr/bin/python3"  # the one with Debian's python3-dbus
IFACE_JOB = harness.BUS_NAME + ".Job"
ACCESS_DENIED = harness.ERR + "AccessDenied"

# An app on the session bus: it queues a download and then does what it is
# told on stdin, one command a line, answering "ok" or the D-Bus error name.
APP = r"""
import sys, time, dbus
bus = dbus.SessionBus()
hub = bus.get_object("io.github.hfhub.Hub1", "/io/github/hfhub/Hub1")
manager = dbus.Interface(hub, "io.github.hfhub.Hub1.Manager")
options = {"start-at": dbus.Int64(int(time.time()) + 86400)}
if sys.argv[2] == "detach":
    options["detach"] = True
path = manager.Download(sys.argv[1], "model", "main", dbus.Array([], signature="s"),
                        dbus.Dictionary(options, signature="sv"))
job = dbus.Interface(bus.get_object("io.github.hfhub.Hub1", path), "io.github.hfhub.Hub1.Job")
print(path, bus.get_unique_name(), flush=True)
for line in sys.stdin:
    words = line.split()
    try:
        if words[0] == "prio":
            job.SetPriority(dbus.Int32(int(words[1])))
        else:
            getattr(job, words[0].capitalize())()
        print("ok", flush=True)
    except dbus.DBusException as e:
        print(e.get_dbus_name(), flush=True)
"""


class App:
    """A client of hfhubd that is not hfhub, with its own bus connection."""

    def __init__(self, t, repo_id, mode="attached"):
        self.proc = subprocess.Popen([DEBIAN_PYTHON, "-c", APP, repo_id, mode],
                                     env=t.bus_env(), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().split()
        if len(line) != 2:
            self.proc.kill()
            raise harness.Failure(f"the app could not queue a job: {self.proc.stderr.read()}")
        self.path, self.name = line
        self.job_id = int(self.path.rsplit("/", 1)[1])

    def do(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def quit(self):
        self.proc.stdin.close()
        self.proc.wait(10)


def have_python_dbus():
    return subprocess.run([DEBIAN_PYTHON, "-c", "import dbus"],
                          capture_output=True).returncode == 0


def gdbus_job(t, job_id, method, *args):
    """Another app (gdbus) calling a method of the job → (rc, stderr)."""
    rc, _, err = t.gdbus_call(f"{harness.JOBS_PATH}/{job_id}", f"{IFACE_JOB}.{method}", *args)
    return rc, err


def test_owner_and_hfhub_control_others_do_not(t):
    if not have_python_dbus():
        raise harness.Failure("python3-dbus is not installed (tools/install-deps.sh installs it)")
    t.start_daemon()
    app = App(t, "org/owned")
    try:
        job = t.job(app.job_id)
        eq(job["owner"], app.name, "Owner is the app's unique name")
        # recorded right after the call; the app asks nothing more meanwhile
        job = wait_for(lambda: (lambda j: j if j["owner_executable"] else None)(
            t.job(app.job_id)), 10, "the owner's executable to be recorded")
        eq(job["owner_executable"], os.path.realpath(DEBIAN_PYTHON), "OwnerExecutable")
        check(isinstance(job["owner_app"], str), f"owner_app: {job['owner_app']!r}")
        eq(job["state"], "queued", "state of a job waiting for its start time")

        # another app may read the job but not control it, and nothing changes
        for method, args in (("Cancel", ()), ("Pause", ()), ("SetPriority", ("7",))):
            rc, err = gdbus_job(t, app.job_id, method, *args)
            check(rc != 0 and ACCESS_DENIED in err,
                  f"{method} by another app: expected {ACCESS_DENIED}, got rc {rc}: {err!r}")
            check("hfhub jobs" in err, f"the error says what to do: {err!r}")
        job = t.job(app.job_id)
        eq((job["state"], job["priority"]), ("queued", 0), "the job after the refused calls")

        # the owner controls its job
        eq(app.do("pause"), "ok", "Pause by the owner")
        eq(t.job(app.job_id)["state"], "paused", "state after the owner paused it")
        eq(app.do("resume"), "ok", "Resume by the owner")
        eq(app.do("prio 3"), "ok", "SetPriority by the owner")
        job = t.job(app.job_id)
        eq((job["state"], job["priority"]), ("queued", 3), "the job after the owner's calls")

        # and so does the user's hfhub
        r = t.cli("jobs", "prio", app.job_id, "9")
        eq(r.rc, 0, f"hfhub jobs prio on another app's job: {r.stdout.strip()}")
        eq(t.job(app.job_id)["priority"], 9, "priority set by hfhub")
        r = t.cli("jobs", "cancel", app.job_id)
        eq(r.rc, 0, f"hfhub jobs cancel on another app's job: {r.stdout.strip()}")
        eq(t.job(app.job_id)["state"], "cancelled", "state after hfhub cancelled it")
    finally:
        app.quit()


def test_detached_job_outlives_its_owner_and_nobody_inherits_it(t):
    if not have_python_dbus():
        raise harness.Failure("python3-dbus is not installed (tools/install-deps.sh installs it)")
    t.start_daemon()
    app = App(t, "org/left-behind", mode="detach")
    job_id = app.job_id
    app.quit()
    # with its owner gone, the job is nobody else's: another app still may
    # not control it
    rc, err = gdbus_job(t, job_id, "Pause")
    check(rc != 0 and ACCESS_DENIED in err, f"Pause by another app: rc {rc}: {err!r}")
    eq(t.job(job_id)["state"], "queued", "the detached job after its owner left")
    r = t.cli("jobs", "pause", job_id)
    eq(r.rc, 0, f"hfhub jobs pause: {r.stdout.strip()}")
    eq(t.job(job_id)["state"], "paused", "state after hfhub paused it")


def test_peer_names_of_an_earlier_daemon_own_nothing(t):
    """Peer connections are named peer-1, peer-2… afresh by each daemon. An
    attached job of a killed daemon keeps its owner name; the first client
    of the next daemon gets the same name, and its leaving must not cancel
    that job."""
    rid = "org/peer-owned"
    desc = t.emu.seed({"id": rid, "files": {"big.safetensors": {"size": 8 * MiB, "seed": 81}}})
    sha = desc["files"]["big.safetensors"]["sha256"]
    t.write_config({"daemon": {"idle-timeout": 60},
                    "download": {"bandwidth-limit": 2_000_000}})
    env = {"DBUS_SESSION_BUS_ADDRESS": None, "HFHUB_NO_AUTOSTART": None}
    cli_env = t.cli_env(env, bus=False)
    # one client starts the daemon first: two starting it at once is fine
    # (one of the two daemons gives way) but would blur the count below
    r = t.cli("daemon", "status", env=env, bus=False, timeout=30)
    eq(r.rc, 0, f"daemon status (autostart): {r.stdout.strip()} {r.stderr.strip()}")
    attached = subprocess.Popen([harness.HFHUB_CLI, "download", rid, "big.safetensors"],
                                env=cli_env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, cwd=t.tmp)
    try:
        def running_job():
            r = t.cli("jobs", "ls", env=env, bus=False, timeout=30)
            jobs = r.json.get("jobs", []) if isinstance(r.json, dict) else []
            return next((j for j in jobs if j["state"] == "running"), None)
        job = wait_for(running_job, 30, "the attached download to run")
        check(job["owner"].startswith("peer-"), f"owner of a peer's job: {job['owner']!r}")
        number = int(job["owner"].split("-", 1)[1])
        daemons = t.find_our_daemons()
        eq(len(daemons), 1, f"autostarted daemons ({daemons})")
        for pid in daemons:
            t.adopt_pid(pid)
        os.kill(daemons[0], 9)
        attached.wait(30)  # its connection is gone with the daemon
    finally:
        if attached.poll() is None:
            attached.kill()
            attached.wait()
    # the next daemon names its peers from peer-1 again: as many clients as
    # that number come and go, so one of them had the job's owner name
    for _ in range(number):
        r = t.cli("jobs", "show", job["id"], env=env, bus=False, timeout=30)
        for pid in t.find_our_daemons():
            t.adopt_pid(pid)
        eq(r.rc, 0, f"jobs show after the restart: {r.stdout.strip()}")
        check(r.json["state"] in ("queued", "running"), f"state after the restart: {r.json}")
    final = wait_for(lambda: (lambda j: j if j["state"] in harness.FINAL_STATES else None)(
        t.cli("jobs", "show", job["id"], env=env, bus=False, timeout=30).json), 60,
        "the job of the earlier daemon to finish")
    eq(final["state"], "succeeded", f"the earlier daemon's job (error {final.get('error')})")
    eq(harness.sha256_file(final["result"]["path"]), sha, "sha256 of the file")


def test_interactive_job_goes_before_background_work(t):
    """With every slot taken by a detached download, an attached request
    takes the slot at once; the detached one steps back and then continues
    where it stopped (a Range request, not the file again)."""
    big = t.emu.seed({"id": "org/background",
                      "files": {"big.safetensors": {"size": 16 * MiB, "seed": 83}}})
    small = t.emu.seed({"id": "org/foreground",
                        "files": {"small.safetensors": {"size": MiB, "seed": 84}}})
    big_sha = big["files"]["big.safetensors"]["sha256"]
    t.write_config({"daemon": {"max-running-jobs": 1},
                    "download": {"bandwidth-limit": 4_000_000}})
    t.start_daemon()
    background = harness.require_job(t.cli("download", "org/background", "--detach"))["id"]
    wait_for(lambda: t.job_not_final(background)["bytes_done"] >= MiB, 20,
             "the background download to be under way")
    # attached: hfhub waits for it, as an app would
    r = t.cli("download", "org/foreground", "small.safetensors", timeout=60)
    eq(r.rc, 0, f"the interactive download: {r.stdout.strip()} {r.stderr.strip()}")
    eq(harness.sha256_file(r.json["result"]["path"]), small["files"]["small.safetensors"]["sha256"],
       "sha256 of the interactive download")
    state = t.job(background)["state"]
    check(state in ("queued", "running"),
          f"the background job is {state}: the interactive one waited for it to finish")
    final = t.wait_job(background, timeout=60)
    eq(final["state"], "succeeded", f"the background job (error {final.get('error')})")
    eq(harness.sha256_file(os.path.join(final["result"]["path"], "big.safetensors")), big_sha,
       "sha256 of the background download")
    stats = [st for p, st in harness.cdn_paths(t.emu.counters()).items() if big_sha in p]
    eq(sum(harness.gets(st) for st in stats), 2, "GETs of the background file")
    eq(sum(len(st["ranges"]) for st in stats), 1, "Range requests of the background file")


# A client on hfhubd's private socket that keeps its connection and reads a
# job's State each time it is told to.
PEER_READER = r"""
import sys, dbus
conn = dbus.connection.Connection(sys.argv[1])
job = conn.get_object(None, sys.argv[2])
for line in sys.stdin:
    try:
        print(job.Get("io.github.hfhub.Hub1.Job", "State",
                      dbus_interface="org.freedesktop.DBus.Properties"), flush=True)
    except dbus.DBusException as e:
        print(e.get_dbus_name(), flush=True)
"""


def test_a_peer_leaving_hides_nothing_from_the_others(t):
    """On the private socket every client has its own connection; one of
    them closing must leave the jobs exported to the others."""
    if not have_python_dbus():
        raise harness.Failure("python3-dbus is not installed (tools/install-deps.sh installs it)")
    env = {"DBUS_SESSION_BUS_ADDRESS": None, "HFHUB_NO_AUTOSTART": None}
    later = time.strftime("%H:%M", time.localtime(time.time() + 7200))
    try:
        r = t.cli("download", "org/peer-visible", "--detach", "--at", later, env=env,
                  bus=False, timeout=30)
    finally:
        for pid in t.find_our_daemons():
            t.adopt_pid(pid)
    job = harness.require_job(r)
    sock = os.path.join(t.runtime, "hfhub", "hfhubd.sock")
    reader = subprocess.Popen([DEBIAN_PYTHON, "-c", PEER_READER, f"unix:path={sock}",
                               job["path"]], env=t.cli_env(env, bus=False),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        def read_state():
            reader.stdin.write("\n")
            reader.stdin.flush()
            return reader.stdout.readline().strip()
        eq(read_state(), "queued", "State read by a peer")
        for _ in range(3):  # other clients come and go
            eq(t.cli("jobs", "ls", env=env, bus=False, timeout=30).rc, 0, "jobs ls")
        eq(read_state(), "queued", "State read by the same peer after others left")
    finally:
        reader.stdin.close()
        reader.wait(10)
    with open(os.path.join(t.xdg_state, "hfhub", "hfhubd.log"), errors="replace") as f:
        complaints = [line for line in f if " critical: " in line or " warning: " in line]
    eq(complaints, [], "GLib warnings and criticals in hfhubd's log")


if __name__ == "__main__":
    harness.main(globals(), emulator=True)
