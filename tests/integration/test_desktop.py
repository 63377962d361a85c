#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Desktop integration: a logind sleep inhibitor while transfers run, and a
notification when a detached job finishes, against python-dbusmock's logind
(on a private "system" bus) and notification daemon (on the case's session
bus). TAP on stdout; see harness.py."""

import os
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import MiB, check, eq, wait_for  # noqa: E402

DEBIAN_PYTHON = "/usr/bin/python3"


def have_dbusmock():
    return subprocess.run([DEBIAN_PYTHON, "-c", "import dbusmock"],
                          capture_output=True).returncode == 0


class Mocks:
    """A second dbus-daemon standing in for the system bus, logind on it,
    and a notification daemon on the case's session bus."""

    def __init__(self, t):
        self.t = t
        self.procs = []
        try:
            self._start(t)
        except BaseException:
            self.stop()  # nothing started here outlives a failed start
            raise

    def _start(self, t):
        d = t._mkdir("sysbus")
        conf = os.path.join(d, "system.conf")
        with open(conf, "w") as f:
            f.write(f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:dir={d}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*"/><allow receive_sender="*"/><allow own="*"/></policy></busconfig>
""")
        p = subprocess.Popen(["dbus-daemon", f"--config-file={conf}", "--nofork",
                              "--print-address=1"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                             start_new_session=True)
        self.procs.append(p)
        self.system = p.stdout.readline().decode().strip()
        env = dict(t.bus_env(), DBUS_SYSTEM_BUS_ADDRESS=self.system)
        for args in (["--system", "--template", "logind"],
                     ["--template", "notification_daemon"]):
            self.procs.append(subprocess.Popen([DEBIAN_PYTHON, "-m", "dbusmock", *args], env=env,
                                               stdout=subprocess.DEVNULL,
                                               stderr=subprocess.DEVNULL,
                                               stdin=subprocess.DEVNULL))
        wait_for(lambda: self.call_system("ListInhibitors")[0] == 0, 15, "the logind mock")
        wait_for(lambda: t.name_owner("org.freedesktop.Notifications"), 15,
                 "the notification mock")

    def call_system(self, method):
        p = subprocess.run(["gdbus", "call", "--address", self.system, "--dest",
                            "org.freedesktop.login1", "--object-path", "/org/freedesktop/login1",
                            "--method", "org.freedesktop.login1.Manager." + method],
                           capture_output=True, text=True, timeout=20)
        return p.returncode, p.stdout

    def prepare_for_sleep(self, sleeping):
        """logind's signal around a suspend: True before, False after."""
        p = subprocess.run(["gdbus", "call", "--address", self.system, "--dest",
                            "org.freedesktop.login1", "--object-path", "/org/freedesktop/login1",
                            "--method", "org.freedesktop.DBus.Mock.EmitSignal",
                            "org.freedesktop.login1.Manager", "PrepareForSleep", "b",
                            f"[<{'true' if sleeping else 'false'}>]"],
                           capture_output=True, text=True, timeout=20)
        eq(p.returncode, 0, f"PrepareForSleep({sleeping}) from the logind mock: {p.stderr}")

    def inhibitors(self):
        rc, out = self.call_system("ListInhibitors")
        return out if rc == 0 else ""

    def notifications(self):
        rc, out, _ = self.t.gdbus("call", "--session", "--dest", "org.freedesktop.Notifications",
                                  "--object-path", "/org/freedesktop/Notifications",
                                  "--method", "org.freedesktop.DBus.Mock.GetCalls", log=False)
        return out if rc == 0 else ""

    def stop(self):
        for p in reversed(self.procs):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def with_mocks(test):
    def run(t):
        if not have_dbusmock():
            raise harness.Failure("python3-dbusmock is not installed (tools/install-deps.sh "
                                  "installs it)")
        t.start_bus()
        m = Mocks(t)
        try:
            test(t, m)
        finally:
            m.stop()
    run.__name__ = test.__name__
    return run


@with_mocks
def test_sleep_inhibited_while_transferring(t, m):
    rid = "org/inhibit"
    t.emu.seed({"id": rid, "files": {"big.safetensors": {"size": 4 * MiB, "seed": 51}}})
    t.emu.add_fault({"kind": "stall", "host": "cdn", "method": "GET", "path": "/repos/*",
                     "after_bytes": MiB, "seconds": 3, "times": 1})
    t.start_daemon(env={"DBUS_SYSTEM_BUS_ADDRESS": m.system})
    eq("hfhub" in m.inhibitors(), False, "no inhibitor while idle")
    job = harness.require_job(t.cli("download", rid, "--detach"))
    out = wait_for(lambda: (lambda o: o if "hfhub" in o else None)(m.inhibitors()), 10,
                   "hfhubd to take a sleep inhibitor")
    check("'sleep'" in out and "'block'" in out, f"inhibitor mode: {out.strip()}")
    eq(t.wait_job(job["id"], timeout=30)["state"], "succeeded", "the download")
    wait_for(lambda: "hfhub" not in m.inhibitors(), 10, "the inhibitor to be released")


@with_mocks
def test_suspend_stops_and_wake_resumes(t, m):
    """A forced suspend (the lid) does not wait for the inhibitor: the
    transfer stops at PrepareForSleep(true) and goes on at once, on a new
    connection, at PrepareForSleep(false), instead of waiting for the
    stall watchdog to notice a dead connection."""
    rid = "org/sleepy"
    size = 8 * MiB
    desc = t.emu.seed({"id": rid, "files": {"big.safetensors": {"size": size, "seed": 52}}})
    t.start_daemon(env={"DBUS_SYSTEM_BUS_ADDRESS": m.system})
    eq(t.cli("daemon", "config", "set", "download.bandwidth-limit", "1000000").rc, 0,
       "a bandwidth limit, so that the transfer lasts")
    job = harness.require_job(t.cli("download", rid, "big.safetensors", "--detach"))
    wait_for(lambda: t.job_not_final(job["id"])["bytes_done"] >= MiB, 20, "1 MiB transferred")
    m.prepare_for_sleep(True)
    j = wait_for(lambda: (lambda x: x if x["state"] == "queued" else None)(
        t.job_not_final(job["id"])), 10, "the job to stop before the sleep")
    eq(j["state_reason"], "waiting for the machine to wake up", "why it waits")
    wait_for(lambda: "hfhub" not in m.inhibitors(), 10, "the inhibitor to be released")
    t.emu.reset_counters()
    m.prepare_for_sleep(False)
    eq(t.cli("daemon", "config", "set", "download.bandwidth-limit", "0").rc, 0, "no limit")
    final = t.wait_job(job["id"], timeout=30)
    eq(final["state"], "succeeded", f"after the wake-up (error {final.get('error')})")
    ranges = [rg for st in harness.cdn_paths(t.emu.counters()).values()
              for rg in st.get("ranges", [])]
    eq(len(ranges), 1, f"one request after the wake-up, ranged: {ranges}")
    check(int(ranges[0].split("=")[1].split("-")[0]) >= MiB,
          f"it went on from where it stopped: {ranges}")
    eq(harness.sha256_file(final["result"]["path"]), desc["files"]["big.safetensors"]["sha256"],
       "sha256 of the file")


@with_mocks
def test_notification_when_detached_job_finishes(t, m):
    rid = "org/notify"
    t.emu.seed({"id": rid, "files": {"config.json": "{}\n"}})
    t.start_daemon(env={"DBUS_SYSTEM_BUS_ADDRESS": m.system})
    # attached: the caller sees the end itself, no notification
    harness.expect_succeeded(t.download(rid))
    eq("Notify" in m.notifications(), False, "a notification for an attached job")
    job = harness.require_job(t.cli("download", rid, "--detach"))
    eq(t.wait_job(job["id"], timeout=30)["state"], "succeeded", "the detached download")
    out = wait_for(lambda: (lambda o: o if "Notify" in o else None)(m.notifications()), 10,
                   "a notification")
    check(f"Downloaded {rid}" in out, f"the notification's summary: {out.strip()[:400]}")


@with_mocks
def test_notifications_follow_the_setting_and_the_kind(t, m):
    """desktop.notifications=false sends none; set to true at runtime, the
    next detached job's end is told, in words that fit its kind (an
    upload is not "Downloaded")."""
    rid = "alice/notify-kinds"
    t.emu.seed({"id": rid, "files": {"config.json": "{}\n"}})
    t.write_config({"desktop": {"notifications": "false"}})
    t.start_daemon(env={"DBUS_SYSTEM_BUS_ADDRESS": m.system}, token=harness.ALICE_TOKEN)
    job = harness.require_job(t.cli("download", rid, "--detach"))
    eq(t.wait_job(job["id"], timeout=30)["state"], "succeeded", "the first detached download")
    r = t.cli("daemon", "config", "set", "desktop.notifications", "true")
    eq(r.rc, 0, f"daemon config set desktop.notifications true: {r.stdout} {r.stderr}")
    local = os.path.join(t.tmp, "notes.txt")
    with open(local, "w") as f:
        f.write("hello\n")
    job = harness.require_job(t.cli("upload", rid, local, "--detach"))
    eq(t.wait_job(job["id"], timeout=30)["state"], "succeeded", "the detached upload")
    out = wait_for(lambda: (lambda o: o if "Notify" in o else None)(m.notifications()), 10,
                   "a notification")
    check(f"Uploaded to {rid}" in out, f"the upload's notification: {out.strip()[:400]}")
    check("'document-send'" in out, f"the upload's icon: {out.strip()[:400]}")
    # the calls are in order: had the first job been told, it would be there
    eq(out.count("'Notify'"), 1, f"notifications sent: {out.strip()[:600]}")


if __name__ == "__main__":
    harness.main(globals(), emulator=True)
