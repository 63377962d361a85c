#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Where the time of one GetManagedObjects goes: hfhubd, dbus-daemon or the client.

Starts a private bus, the Hub emulator and hfhubd (tests/integration/harness.py),
queues JOBS download jobs (start-at tomorrow, detached) over one connection,
then times REPS in-process ObjectManager.GetManagedObjects calls
(bench/queue/dbuswire.py), each after a trivial call that waits until hfhubd's
main loop is free. For each call: the wall time, the time until the first
byte of the reply arrived (dbus-daemon forwards a message only once it has
all of it), the CPU time hfhubd, dbus-daemon and this client used, and how
long the next trivial call waited (hfhubd releasing the reply). hfhubd's
VmRSS at the end is printed too.

    gmo_split.py [--hfhubd PATH] [--jobs N] [--reps N] [--perf FILE]

--perf FILE records hfhubd with `perf record --call-graph dwarf` during the
timed calls (perf must be installed and allowed). Every process started is
stopped by its PID; nothing leaves loopback and the private bus.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import shutil
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "integration"))
sys.path.insert(0, HERE)

import harness  # noqa: E402
import dbuswire  # noqa: E402
# the queue benchmark's names and /proc readers (run.py does nothing on import)
from run import BUS, MANAGER, REPO, ROOT, proc_cpu  # noqa: E402


def cpu(pid):
    return proc_cpu(pid) or 0.0


def vm(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return " ".join(" ".join(line.split()) for line in f
                            if line.startswith(("VmRSS", "VmHWM")))
    except OSError:
        return "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hfhubd", default=harness.HFHUBD)
    ap.add_argument("--jobs", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--perf", default=None, help="perf.data to write")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="hfhub-bench-gmo-")
    emu = case = perf = None
    # a copy, so that a rebuild during the run is harmless
    daemon_path = os.path.join(tmp, "hfhubd")
    shutil.copy2(args.hfhubd, daemon_path)
    try:
        emu = harness.Emulator(tmp)
        emu.seed({"id": REPO, "files": {"README.md": {"size": 64, "seed": 7}}})
        case = harness.Case("gmo_split", emu)
        case.start_bus()
        env = case.bus_env()
        err_path = case.path("hfhubd.err")
        with open(err_path, "wb") as err:
            proc = subprocess.Popen([daemon_path], stdout=err, stderr=err,
                                    stdin=subprocess.DEVNULL, env=case.daemon_env({}),
                                    start_new_session=True)
        d = harness.Daemon(case, proc, err_path, "hfhubd")
        case.daemons.append(d)
        case.wait_daemon_ready(d, timeout=60)
        bus_pid = case._bus_proc.pid

        conn = dbuswire.Connection(env["DBUS_SESSION_BUS_ADDRESS"], timeout=120)
        download = (BUS, ROOT, MANAGER, "Download", "sssasa{sv}",
                    [(dbuswire.arg_string, REPO), (dbuswire.arg_string, "model"),
                     (dbuswire.arg_string, "main"), (dbuswire.arg_strv, []),
                     (dbuswire.arg_vardict, [("start-at", "x", int(time.time()) + 86400),
                                             ("detach", "b", True)])])
        conn.call_pipelined([download] * args.jobs, window=16)
        get_version = (ROOT, "org.freedesktop.DBus.Properties", "Get", "ss",
                       [(dbuswire.arg_string, MANAGER), (dbuswire.arg_string, "Version")])
        gmo = (ROOT, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects")
        for _ in range(3):      # warm-up
            conn.call_raw(BUS, *gmo)
            conn.call_raw(BUS, *get_version)
        if args.perf:
            perf = subprocess.Popen(["perf", "record", "-F", "2000", "--call-graph",
                                     "dwarf,16384", "-o", args.perf, "-p", str(d.pid)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    start_new_session=True)
            time.sleep(1.0)

        wall, first, after, h_cpu, b_cpu, c_cpu = [], [], [], [], [], []
        size = 0
        for _ in range(args.reps):
            conn.call_raw(BUS, *get_version)
            h0, b0, c0 = cpu(d.pid), cpu(bus_pid), time.process_time()
            t0 = time.perf_counter()
            conn.sock.sendall(conn._message(BUS, *gmo))
            serial = conn.serial
            chunk = conn.sock.recv(65536)       # nothing else is pending on this connection
            if not chunk:
                raise SystemExit("the bus closed the connection")
            t_first = time.perf_counter()
            conn.buf += chunk
            _, body, _ = conn._reply(serial)
            t1 = time.perf_counter()
            h1, b1, c1 = cpu(d.pid), cpu(bus_pid), time.process_time()
            conn.call_raw(BUS, *get_version)
            t2 = time.perf_counter()
            wall.append(t1 - t0)
            first.append(t_first - t0)
            after.append(t2 - t1)
            h_cpu.append(h1 - h0)
            b_cpu.append(b1 - b0)
            c_cpu.append(c1 - c0)
            size = len(body)
            time.sleep(0.05)
        if perf is not None:
            perf.send_signal(signal.SIGINT)
            perf.wait(60)
            perf = None
        conn.close()

        med, mean = statistics.median, statistics.mean
        print(f"{args.hfhubd}: {args.reps} GetManagedObjects of {args.jobs} jobs "
              f"({size / 1e6:.2f} MB), load average {os.getloadavg()[0]:.1f}")
        print(f"  wall             median {med(wall) * 1e3:6.1f} ms "
              f"(min {min(wall) * 1e3:.1f}, max {max(wall) * 1e3:.1f})")
        print(f"  first byte after median {med(first) * 1e3:6.1f} ms; the rest of the reply "
              f"{(med(wall) - med(first)) * 1e3:.1f} ms")
        print(f"  next call waited median {med(after) * 1e3:6.1f} ms")
        print(f"  CPU per call: hfhubd {mean(h_cpu) * 1e3:.1f} ms, dbus-daemon "
              f"{mean(b_cpu) * 1e3:.1f} ms, this client {mean(c_cpu) * 1e3:.1f} ms "
              "(10 ms ticks, averaged)")
        print(f"  hfhubd at the end: {vm(d.pid)}")
    finally:
        if perf is not None:
            perf.send_signal(signal.SIGINT)
            perf.wait(60)
        if case is not None:
            case.close()
        if emu is not None:
            emu.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
