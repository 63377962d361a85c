#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The queue benchmark: 1,000 queued jobs listed over D-Bus, then 20 clients
calling hfhubd at the same time for 30 s, optionally against a sanitizer
build too (no errors, no leaks).

For each daemon build measured:

1. A private bus, the Hub emulator (one tiny repo) and hfhubd, started the
   way the integration tests start them (tests/integration/harness.py).
   JOBS download jobs (default 1,000) are created with `gdbus call …
   Manager.Download` (8 at a time) with start-at = now + 1 day and detach,
   so they stay queued and nothing is transferred.
2. Listing, REPS times each (default 20), interleaved; medians reported:
   - `gdbus call` of Properties.Get(Manager, Version): the floor, i.e. a
     gdbus process's start-up, connection and one trivial round trip;
   - `gdbus call` of Manager.ListJobs and of ObjectManager.GetManagedObjects
     (every job with all its properties; gdbus also prints them as text);
   - `hfhub --json jobs ls` end to end (ListJobs, then every job's
     properties, then JSON);
   - the same three calls in this process over one bus connection
     (bench/queue/dbuswire.py): the round trip without any process start-up.
3. CLIENTS client threads (default 20) for DURATION s (default 30; --quick:
   5), each looping over a mix of calls, each call a new process:
   gdbus ListJobs, gdbus GetJob(id), gdbus Properties.GetAll of a job,
   gdbus GetConfig, `hfhub --json daemon status`. Every call's exit status
   and output are checked; calls and errors are counted per client.
   Afterwards the daemon must still answer, with every job still listed.
4. hfhubd is stopped with SIGTERM; its exit status must be 0. For a
   sanitizer build (libasan linked), it runs with
   ASAN_OPTIONS=fast_unwind_on_malloc=0 and
   LSAN_OPTIONS=suppressions=tests/lsan.supp, and its stderr must hold no
   AddressSanitizer, LeakSanitizer or UBSan ("runtime error:") report.

Builds: HFHUBD (default _build/daemon/hfhubd), then a sanitizer build when
one is found: --san PATH, else $HFHUBD_SAN, else _build-san/daemon/hfhubd in
the source tree, else /tmp/ci-clone/_build-san/daemon/hfhubd (--no-san
skips it; an HFHUBD that is itself a sanitizer build is checked as one).
The CLI is HFHUB_CLI (default _build/client/hfhub).

    run.py [--quick] [--duration S] [--clients N] [--jobs N] [--reps N]
           [--san PATH | --no-san] [--baseline PATH] [--no-load] [--json FILE]

--baseline PATH (or $HFHUBD_BASE) measures another hfhubd first, the same
way, and ends the report with the listing medians of both side by side.

Exit status: 0 when everything ran with no error and a clean sanitizer
result; 1 otherwise. The 100 ms listing target is reported, not enforced.
Everything stays on loopback and a private bus; every process started is
stopped by its PID.
"""

import argparse
import datetime
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "integration"))
sys.path.insert(0, HERE)

import harness  # noqa: E402
import dbuswire  # noqa: E402

BUS = harness.BUS_NAME
ROOT = harness.OBJ_PATH
JOBS_PREFIX = harness.JOBS_PATH + "/"
MANAGER = harness.IFACE_MANAGER
REPO = "bench/queue"
TARGET_S = 0.100
GMO_KEY = re.compile("'" + re.escape(JOBS_PREFIX) + r"\d+': \{")
SAN_CANDIDATES = (os.path.join(SRCDIR, "_build-san", "daemon", "hfhubd"),
                  "/tmp/ci-clone/_build-san/daemon/hfhubd")
SAN_PATTERNS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                "LeakSanitizer has encountered a fatal error")
NO_PROXY = {"http_proxy": None, "https_proxy": None, "HTTP_PROXY": None, "HTTPS_PROXY": None,
            "all_proxy": None, "ALL_PROXY": None,
            "no_proxy": "127.0.0.0/8,localhost", "NO_PROXY": "127.0.0.0/8,localhost"}


def log(msg):
    print(f"# {msg}", file=sys.stderr, flush=True)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
        m = re.search(r"^model name\s*:\s*(.*)$", text, re.M)
        model = m.group(1).strip() if m else "unknown"
    except OSError:
        model = platform.processor() or "unknown"
    return f"{model}, {os.cpu_count()} CPUs"


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def is_sanitizer_build(path):
    try:
        out = subprocess.run(["ldd", path], capture_output=True, text=True, timeout=30).stdout
        if "libasan" in out:
            return True
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        with open(path, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


def source_of(path):
    """The commit of the git tree the binary sits in (a hint: it may be older)."""
    try:
        out = subprocess.run(["git", "-C", os.path.dirname(path), "describe", "--always",
                              "--dirty", "--exclude", "*"], capture_output=True, text=True,
                             timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = ""
    return out or "unknown"


def built(path):
    try:
        return datetime.datetime.fromtimestamp(os.path.getmtime(path)).strftime(
            "%Y-%m-%d %H:%M")
    except OSError:
        return "missing"


def proc_cpu(pid):
    """user + system CPU seconds of pid so far, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def proc_status(pid, key):
    """A kB field of /proc/PID/status in bytes, or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def sanitizer_findings(stderr):
    """→ (the report patterns found, the report's text from its first line)."""
    found = [p for p in SAN_PATTERNS if p in stderr]
    if not found:
        return [], ""
    i = min(stderr.find(p) for p in found)
    start = stderr.rfind("\n", 0, i)
    start = stderr.rfind("\n=", 0, i) if stderr.rfind("\n=", 0, i) >= 0 else start
    return found, stderr[start + 1 if start >= 0 else 0:][:20000]


def med(xs):
    return statistics.median(xs) if xs else None


def ms(x):
    return "–" if x is None else f"{x * 1000:.1f} ms"


class Fail(Exception):
    pass


def run(argv, env, timeout=30):
    """→ (seconds from spawn to exit, rc, stdout, stderr); rc None on timeout."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        return time.monotonic() - t0, None, out.decode("utf-8", "replace"), \
            f"timed out after {timeout} s"
    except BaseException:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        p.wait()
        raise
    return time.monotonic() - t0, p.returncode, out.decode("utf-8", "replace"), \
        err.decode("utf-8", "replace")


# --------------------------------------------------------------------------- one build


class Variant:
    def __init__(self, label, daemon, copy, cli, emu, args):
        self.label = label
        self.daemon_path = copy      # a copy, so that a rebuild during the run is harmless
        self.cli_path = cli
        self.san = is_sanitizer_build(daemon)
        self.emu = emu
        self.args = args
        self.case = None
        self.daemon = None
        self.stderr_path = None
        self.ids = []
        self.res = {"label": label, "hfhubd": daemon, "built": built(daemon),
                    "tree": source_of(daemon),
                    "sanitizer_build": self.san, "errors": []}

    # ---- processes

    def gdbus_argv(self, path, method, *args):
        return ["gdbus", "call", "--session", "--dest", BUS, "--object-path", path,
                "--method", method, *args]

    def gdbus(self, path, method, *args, timeout=30):
        return run(self.gdbus_argv(path, method, *args), self.bus_env, timeout)

    def cli(self, *args, timeout=60):
        return run([self.cli_path, "--json", *args], self.cli_env, timeout)

    def start(self):
        c = self.case = harness.Case("test_queue_bench", self.emu)
        c.start_bus()
        self.bus_env = c.bus_env()
        self.cli_env = c.cli_env(NO_PROXY)
        extra = dict(NO_PROXY)
        if self.san:
            extra["ASAN_OPTIONS"] = "fast_unwind_on_malloc=0"
            extra["LSAN_OPTIONS"] = "suppressions=" + os.path.join(SRCDIR, "tests",
                                                                   "lsan.supp")
            extra["UBSAN_OPTIONS"] = "print_stacktrace=1"
        out_path = c.path("hfhubd.out")
        self.stderr_path = c.path("hfhubd.err")
        with open(out_path, "wb") as out, open(self.stderr_path, "wb") as err:
            proc = subprocess.Popen([self.daemon_path], stdout=out, stderr=err,
                                    stdin=subprocess.DEVNULL, env=c.daemon_env(extra),
                                    start_new_session=True)
        d = harness.Daemon(c, proc, self.stderr_path, self.label)
        c.daemons.append(d)
        c.wait_daemon_ready(d, timeout=60)
        self.daemon = d
        log(f"[{self.label}] hfhubd pid {d.pid} ({self.res['hfhubd']}"
            f"{', sanitizer build' if self.san else ''})")

    def close(self):
        if self.case is not None:
            self.case.close()
            self.case = None

    # ---- 1. the queue

    def create_jobs(self):
        n = self.args.jobs
        start_at = int(time.time()) + 86400
        pat = re.compile(r"^" + re.escape(JOBS_PREFIX) + r"(\d+)$")
        t0 = time.monotonic()
        if self.args.create == "gdbus":
            log(f"[{self.label}] creating {n} queued download jobs (8 gdbus at a time)")
            opts = "{'start-at': <int64 %d>, 'detach': <true>}" % start_at

            def one(_):
                _, rc, out, err = self.gdbus(ROOT, MANAGER + ".Download", f"'{REPO}'",
                                             "'model'", "'main'", "@as []", opts, timeout=60)
                m = re.search(r"objectpath '(" + re.escape(JOBS_PREFIX) + r"\d+)'", out)
                if rc != 0 or not m:
                    raise Fail(f"Download failed: exit {rc} {out.strip()} {err.strip()}")
                return m.group(1)

            with ThreadPoolExecutor(8) as pool:
                paths = list(pool.map(one, range(n)))
        else:
            log(f"[{self.label}] creating {n} queued download jobs (one connection, "
                "16 calls in flight)")
            call = (BUS, ROOT, MANAGER, "Download", "sssasa{sv}",
                    [(dbuswire.arg_string, REPO), (dbuswire.arg_string, "model"),
                     (dbuswire.arg_string, "main"), (dbuswire.arg_strv, []),
                     (dbuswire.arg_vardict, [("start-at", "x", start_at),
                                             ("detach", "b", True)])])
            conn = dbuswire.Connection(self.bus_env["DBUS_SESSION_BUS_ADDRESS"], timeout=120)
            try:
                paths = conn.call_pipelined([call] * n, window=16)
            finally:
                conn.close()
        dt = time.monotonic() - t0
        ids = []
        for p in paths:
            m = pat.match(p or "")
            if not m:
                raise Fail(f"Download returned {p!r}, not a job path")
            ids.append(int(m.group(1)))
        self.ids = sorted(ids)
        self.res["create_how"] = self.args.create
        self.res["create_seconds"] = dt
        self.res["create_jobs_per_s"] = n / dt
        counts = self.job_counts()
        if counts.get("queued") != n or len(set(self.ids)) != n:
            raise Fail(f"expected {n} queued jobs, JobCounts says {counts}")
        self.res["job_counts_after_create"] = counts
        self.res["daemon_rss_with_jobs"] = proc_status(self.daemon.pid, "VmRSS")
        log(f"[{self.label}] {n} jobs in {dt:.1f} s ({n / dt:.0f}/s); JobCounts {counts}")

    def job_counts(self):
        _, rc, out, err = self.gdbus(ROOT, "org.freedesktop.DBus.Properties.Get", MANAGER,
                                     "JobCounts")
        if rc != 0:
            raise Fail(f"Properties.Get JobCounts failed: {err.strip()}")
        return {k: int(v) for k, v in re.findall(r"'(\w+)': (?:uint32 )?(\d+)", out)}

    # ---- 2. listing

    def measure_listing(self):
        n = self.args.jobs
        reps = self.args.san_reps if self.san else self.args.reps
        keys = ("floor", "list", "gmo", "cli", "wire_floor", "wire_list", "wire_gmo",
                "wire_after_gmo")
        times = {k: [] for k in keys}
        client_cpu = {k: 0.0 for k in keys}     # CPU of the gdbus/hfhub process
        daemon_cpu = {k: 0.0 for k in keys}     # hfhubd's CPU during the measurement
        bus_cpu = {k: 0.0 for k in keys}        # dbus-daemon's, which routes the reply
        conn = dbuswire.Connection(self.bus_env["DBUS_SESSION_BUS_ADDRESS"], timeout=120)
        sizes = {}
        pid = self.daemon.pid
        bus_pid = self.case._bus_proc.pid
        log(f"[{self.label}] listing: {reps} runs of each")

        def check_count(what, got):
            if got != n:
                raise Fail(f"{what} returned {got} jobs, expected {n}")

        get_version = (ROOT, "org.freedesktop.DBus.Properties", "Get", "ss",
                       [(dbuswire.arg_string, MANAGER), (dbuswire.arg_string, "Version")])

        def barrier():
            """Waits until hfhubd's main loop is free (after a big reply it is busy
            for a while releasing it), so that each measurement starts alike."""
            conn.call_raw(BUS, *get_version)

        def proc(key, argv, env, barrier_first=True):
            if barrier_first:
                barrier()
            ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            d0, b0 = proc_cpu(pid), proc_cpu(bus_pid)
            dt, rc, out, err = run(argv, env, timeout=120)
            d1, b1 = proc_cpu(pid), proc_cpu(bus_pid)
            ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            if rc != 0:
                raise Fail(f"{' '.join(argv[-2:])}: exit {rc} {err.strip()[-500:]}")
            times[key].append(dt)
            client_cpu[key] += (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
            if d0 is not None and d1 is not None:
                daemon_cpu[key] += d1 - d0
            if b0 is not None and b1 is not None:
                bus_cpu[key] += b1 - b0
            return out

        def wire(key, member_args, barrier_first=True):
            if barrier_first:
                barrier()
            d0, b0 = proc_cpu(pid), proc_cpu(bus_pid)
            t0 = time.perf_counter()
            body, little = conn.call_raw(BUS, *member_args)
            times[key].append(time.perf_counter() - t0)
            d1, b1 = proc_cpu(pid), proc_cpu(bus_pid)
            if d0 is not None and d1 is not None:
                daemon_cpu[key] += d1 - d0
            if b0 is not None and b1 is not None:
                bus_cpu[key] += b1 - b0
            return body, little

        try:
            for _ in range(reps):
                proc("floor", self.gdbus_argv(ROOT, "org.freedesktop.DBus.Properties.Get",
                                              MANAGER, "Version"), self.bus_env)
                out = proc("list", self.gdbus_argv(ROOT, MANAGER + ".ListJobs", "{}"),
                           self.bus_env)
                check_count("gdbus ListJobs", out.count("'" + JOBS_PREFIX))
                out = proc("gmo", self.gdbus_argv(
                    ROOT, "org.freedesktop.DBus.ObjectManager.GetManagedObjects"), self.bus_env)
                check_count("gdbus GetManagedObjects", len(GMO_KEY.findall(out)))
                sizes["gdbus_gmo_text"] = len(out)
                out = proc("cli", [self.cli_path, "--json", "jobs", "ls"], self.cli_env)
                check_count("hfhub jobs ls", len(json.loads(out)["jobs"]))

                wire("wire_floor", get_version)
                body, little = wire("wire_list", (ROOT, MANAGER, "ListJobs", "a{sv}",
                                                  [(dbuswire.arg_empty_vardict,)]))
                check_count("ListJobs (in process)", dbuswire.count_object_paths(body, little))
                sizes["list_body"] = len(body)
                body, little = wire("wire_gmo", (ROOT, "org.freedesktop.DBus.ObjectManager",
                                                 "GetManagedObjects"))
                check_count("GetManagedObjects (in process)",
                            dbuswire.count_managed_objects(body, little, JOBS_PREFIX))
                sizes["gmo_body"] = len(body)
                # the next call right after it waits until the main loop is free
                wire("wire_after_gmo", get_version, barrier_first=False)
        finally:
            conn.close()
        self.res["listing"] = {
            k: {"median": med(v), "runs": v,
                "client_cpu": client_cpu[k] / len(v) if v and not k.startswith("wire") else None,
                "daemon_cpu": daemon_cpu[k] / len(v) if v else None,
                "bus_cpu": bus_cpu[k] / len(v) if v else None}
            for k, v in times.items()}
        self.res["reply_bytes"] = sizes
        for k, v in times.items():
            log(f"[{self.label}]   {k:14s} median {ms(med(v))}")

    # ---- 3. concurrent clients

    def ops(self):
        n = self.args.jobs
        ids = self.ids

        def list_jobs(rng):
            _, rc, out, err = self.gdbus(ROOT, MANAGER + ".ListJobs", "{}")
            got = out.count("'" + JOBS_PREFIX)
            return rc == 0 and got == n, f"exit {rc}, {got} jobs: {err.strip()[-300:]}"

        def get_job(rng):
            i = rng.choice(ids)
            _, rc, out, err = self.gdbus(ROOT, MANAGER + ".GetJob", str(i))
            ok = rc == 0 and f"'{JOBS_PREFIX}{i}'" in out
            return ok, f"GetJob {i}: exit {rc} {out.strip()[:200]} {err.strip()[-300:]}"

        def get_all(rng):
            i = rng.choice(ids)
            _, rc, out, err = self.gdbus(f"{JOBS_PREFIX}{i}",
                                         "org.freedesktop.DBus.Properties.GetAll",
                                         harness.IFACE_JOB)
            ok = rc == 0 and "'State': <'queued'>" in out and f"'Id': <uint64 {i}>" in out
            return ok, f"GetAll job {i}: exit {rc} {out.strip()[:200]} {err.strip()[-300:]}"

        def get_config(rng):
            _, rc, out, err = self.gdbus(ROOT, MANAGER + ".GetConfig", "{}")
            ok = rc == 0 and "'daemon.max-running-jobs'" in out
            return ok, f"GetConfig: exit {rc} {out.strip()[:200]} {err.strip()[-300:]}"

        def status(rng):
            _, rc, out, err = self.cli("daemon", "status")
            try:
                j = json.loads(out)
            except ValueError:
                j = None
            ok = rc == 0 and isinstance(j, dict) and \
                (j.get("job_counts") or {}).get("queued") == n
            return ok, f"hfhub daemon status: exit {rc} {out.strip()[:200]} {err.strip()[-300:]}"

        return [("ListJobs", list_jobs), ("GetJob", get_job), ("GetAll", get_all),
                ("GetConfig", get_config), ("daemon status", status)]

    def load(self):
        ops = self.ops()
        nclients = self.args.clients
        duration = self.args.duration
        per_client = [{"calls": 0, "errors": 0} for _ in range(nclients)]
        per_op = {name: {"calls": 0, "errors": 0, "times": []} for name, _ in ops}
        messages = []
        lock = threading.Lock()
        stop = threading.Event()
        deadline = time.monotonic() + duration

        def client(k):
            rng = random.Random(k)
            i = k
            while time.monotonic() < deadline and not stop.is_set():
                name, fn = ops[i % len(ops)]
                i += 1
                t0 = time.monotonic()
                try:
                    ok, msg = fn(rng)
                except Exception as e:  # noqa: BLE001 - counted as an error
                    ok, msg = False, f"{name}: {type(e).__name__}: {e}"
                dt = time.monotonic() - t0
                with lock:
                    per_client[k]["calls"] += 1
                    per_op[name]["calls"] += 1
                    per_op[name]["times"].append(dt)
                    if not ok:
                        per_client[k]["errors"] += 1
                        per_op[name]["errors"] += 1
                        if len(messages) < 10:
                            messages.append(msg)

        pid = self.daemon.pid
        rss0 = proc_status(pid, "VmRSS")
        cpu0 = proc_cpu(pid)
        log(f"[{self.label}] {nclients} clients for {duration:g} s")
        t0 = time.monotonic()
        threads = [threading.Thread(target=client, args=(k,), daemon=True)
                   for k in range(nclients)]
        for t in threads:
            t.start()
        try:
            for t in threads:
                t.join(duration + 120)
        finally:
            stop.set()
        wall = time.monotonic() - t0
        cpu1 = proc_cpu(pid)
        rss1 = proc_status(pid, "VmRSS")
        calls = sum(c["calls"] for c in per_client)
        errors = sum(c["errors"] for c in per_client)
        self.res["load"] = {
            "clients": nclients, "duration": duration, "wall": wall,
            "calls": calls, "errors": errors, "calls_per_s": calls / wall,
            "per_client": per_client,
            "per_op": {k: {"calls": v["calls"], "errors": v["errors"],
                           "median": med(v["times"]),
                           "p95": (sorted(v["times"])[int(0.95 * (len(v["times"]) - 1))]
                                   if v["times"] else None)}
                       for k, v in per_op.items()},
            "error_messages": messages,
            "daemon_cpu_s": (cpu1 - cpu0) if cpu0 is not None and cpu1 is not None else None,
            "daemon_rss_before": rss0, "daemon_rss_after": rss1,
        }
        log(f"[{self.label}]   {calls} calls, {errors} errors, {calls / wall:.0f} calls/s; "
            f"hfhubd CPU {self.res['load']['daemon_cpu_s']} s")
        for m in messages:
            log(f"[{self.label}]   error: {m}")
        if errors:
            self.res["errors"].append(f"{errors} of {calls} calls failed during the load")

    def after_load(self):
        """The daemon still answers, and still lists every job."""
        alive = self.daemon.alive()
        counts = self.job_counts() if alive else {}
        _, rc, out, _ = self.gdbus(ROOT, MANAGER + ".ListJobs", "{}")
        listed = out.count("'" + JOBS_PREFIX) if rc == 0 else None
        ok = alive and counts.get("queued") == self.args.jobs and listed == self.args.jobs
        self.res["after_load"] = {"alive": alive, "job_counts": counts, "listed": listed,
                                  "ok": ok}
        if not ok:
            self.res["errors"].append(f"after the load: alive={alive} counts={counts} "
                                      f"listed={listed}")

    # ---- 4. stop

    def stop_daemon(self):
        d = self.daemon
        if d is None:
            return
        t0 = time.monotonic()
        d.signal(signal.SIGTERM)
        try:
            rc = d.proc.wait(180 if self.san else 30)
        except subprocess.TimeoutExpired:
            d.proc.kill()
            d.proc.wait(10)
            rc = "did not exit after SIGTERM (killed)"
        stop_s = time.monotonic() - t0
        try:
            with open(self.stderr_path, "rb") as f:
                stderr = f.read().decode("utf-8", "replace")
        except OSError:
            stderr = ""
        found, report = sanitizer_findings(stderr)
        warnings = [line for line in stderr.splitlines()
                    if "-WARNING **" in line or "-CRITICAL **" in line][:20]
        if any("-CRITICAL **" in w for w in warnings):
            self.res["errors"].append("GLib criticals in hfhubd's log")
        self.res["exit"] = {"status": rc, "stop_seconds": stop_s, "reports": found,
                            "warnings": warnings,
                            "report": report, "stderr_tail": stderr[-2000:]}
        if rc != 0:
            self.res["errors"].append(f"hfhubd exit status {rc} after SIGTERM")
        if found:
            self.res["errors"].append(f"sanitizer report in hfhubd's stderr: {found}")
        log(f"[{self.label}] hfhubd exited with {rc} in {stop_s:.1f} s after SIGTERM"
            f"{'; reports: ' + ', '.join(found) if found else ''}")

    def run(self):
        try:
            self.start()
            self.create_jobs()
            self.measure_listing()
            if not self.args.no_load:
                self.load()
                self.after_load()
        except (Fail, harness.Failure, dbuswire.DBusError, OSError, ValueError) as e:
            self.res["errors"].append(f"{type(e).__name__}: {e}")
            log(f"[{self.label}] FAILED: {e}")
        finally:
            try:
                self.stop_daemon()
            finally:
                self.close()
        return self.res


# --------------------------------------------------------------------------- report


def report(results, meta):
    lines = []
    lines.append(f"Queue benchmark, {meta['date']}; {meta['cpu']}; load average before: "
                 f"{meta['loadavg']}")
    lines.append(f"{meta['jobs']} queued jobs; {meta['reps']} runs per listing measurement "
                 f"({meta['san_reps']} with a sanitizer build); {meta['clients']} clients for "
                 f"{meta['duration']:g} s")
    lines.append("")
    for r in results:
        san = ", sanitizer build" if r["sanitizer_build"] else ""
        lines.append(f"## {r['label']}: {r['hfhubd']} (built {r['built']} in a tree at "
                     f"{r['tree']}{san})")
        lines.append("")
        if "create_seconds" in r:
            how = ("8 gdbus processes at a time" if r["create_how"] == "gdbus" else
                   "Manager.Download over one connection, 16 calls in flight")
            lines.append(f"created {meta['jobs']} jobs in {r['create_seconds']:.1f} s "
                         f"({r['create_jobs_per_s']:.0f} jobs/s; {how}); hfhubd VmRSS with "
                         f"them: {r['daemon_rss_with_jobs'] / 2**20:.1f} MiB")
            lines.append("")
        L = r.get("listing")
        if L:
            floor = L["floor"]["median"]
            wfloor = L["wire_floor"]["median"]
            lines.append(f"| listing {meta['jobs']:,} queued jobs | median | minus the floor | "
                         "< 100 ms? | client CPU | hfhubd CPU | dbus-daemon CPU |")
            lines.append("|---|---|---|---|---|---|---|")
            rows = [
                ("gdbus Properties.Get(Version) (floor: process start-up + 1 call)",
                 "floor", None),
                ("gdbus Manager.ListJobs", "list", floor),
                ("gdbus ObjectManager.GetManagedObjects (all properties, printed)", "gmo",
                 floor),
                ("`hfhub --json jobs ls` (ListJobs + every job's properties + JSON)", "cli",
                 floor),
                ("in process: Properties.Get(Version)", "wire_floor", None),
                ("in process: Manager.ListJobs", "wire_list", wfloor),
                ("in process: ObjectManager.GetManagedObjects", "wire_gmo", wfloor),
                ("in process: Properties.Get(Version) right after GetManagedObjects",
                 "wire_after_gmo", None),
            ]
            for title, key, base in rows:
                m = L[key]["median"]
                net = ms(m - base) if base is not None and m is not None else ""
                meets = "" if key in ("floor", "wire_floor", "wire_after_gmo") else \
                    ("yes" if m is not None and m < TARGET_S else "**no**")
                cc, dc = L[key].get("client_cpu"), L[key].get("daemon_cpu")
                bc = L[key].get("bus_cpu")
                lines.append(f"| {title} | {ms(m)} | {net} | {meets} | "
                             f"{ms(cc) if cc is not None else ''} | {ms(dc)} | {ms(bc)} |")
            sz = r.get("reply_bytes", {})
            if sz:
                lines.append("")
                lines.append(f"reply sizes: ListJobs {sz.get('list_body', 0) / 1000:.0f} kB, "
                             f"GetManagedObjects {sz.get('gmo_body', 0) / 1e6:.2f} MB "
                             f"(gdbus prints it as {sz.get('gdbus_gmo_text', 0) / 1e6:.2f} MB "
                             "of text)")
            lines.append("")
        ld = r.get("load")
        if ld:
            lines.append(f"| {ld['clients']} clients, {ld['wall']:.1f} s | calls | errors | "
                         "median | p95 |")
            lines.append("|---|---|---|---|---|")
            for name, v in ld["per_op"].items():
                lines.append(f"| {name} | {v['calls']} | {v['errors']} | {ms(v['median'])} | "
                             f"{ms(v['p95'])} |")
            lines.append(f"| **total** | **{ld['calls']}** ({ld['calls_per_s']:.0f} calls/s) | "
                         f"**{ld['errors']}** | | |")
            pc = [c["calls"] for c in ld["per_client"]]
            lines.append("")
            lines.append(f"calls per client: min {min(pc)}, max {max(pc)}; errors per client: "
                         f"{[c['errors'] for c in ld['per_client']]}")
            if ld["daemon_cpu_s"] is not None:
                lines.append(f"hfhubd during the load: {ld['daemon_cpu_s']:.2f} s CPU "
                             f"({100 * ld['daemon_cpu_s'] / ld['wall']:.0f}% of one core), "
                             f"VmRSS {ld['daemon_rss_before'] / 2**20:.1f} → "
                             f"{ld['daemon_rss_after'] / 2**20:.1f} MiB")
            al = r.get("after_load", {})
            lines.append(f"after the load: daemon answering: {al.get('alive')}, jobs listed: "
                         f"{al.get('listed')}, JobCounts: {al.get('job_counts')}")
            lines.append("")
        ex = r.get("exit")
        if ex:
            what = "sanitizer reports: " + (", ".join(ex["reports"]) if ex["reports"]
                                             else "none") if r["sanitizer_build"] else ""
            lines.append(f"SIGTERM → exit status {ex['status']} in {ex['stop_seconds']:.1f} s"
                         f"{'; ' + what if what else ''}; GLib warnings/criticals in its log: "
                         f"{len(ex.get('warnings', []))}")
            for w in ex.get("warnings", []):
                lines.append(f"    {w}")
            if ex["report"]:
                lines.append("")
                lines.append("```")
                lines.append(ex["report"].rstrip())
                lines.append("```")
            lines.append("")
        verdict = "PASS" if not r["errors"] else "FAIL: " + "; ".join(r["errors"])
        lines.append(f"result: {verdict}")
        lines.append("")
    return "\n".join(lines)


def compare(results):
    """With --baseline: the listing medians of the baseline next to the build's."""
    by = {r["label"]: r.get("listing") for r in results}
    base, new = by.get("baseline"), by.get("build")
    if not base or not new:
        return ""
    rows = [("gdbus ObjectManager.GetManagedObjects", "gmo"),
            ("`hfhub --json jobs ls`", "cli"),
            ("in process: Manager.ListJobs", "wire_list"),
            ("in process: ObjectManager.GetManagedObjects", "wire_gmo"),
            ("in process: the call right after GetManagedObjects", "wire_after_gmo")]
    lines = ["", "## baseline → build (medians)", "",
             "| | baseline | build | build / baseline | hfhubd CPU, baseline → build |",
             "|---|---|---|---|---|"]
    for title, key in rows:
        a, b = base[key]["median"], new[key]["median"]
        da, db = base[key].get("daemon_cpu"), new[key].get("daemon_cpu")
        ratio = f"{b / a:.2f}" if a and b is not None else "–"
        lines.append(f"| {title} | {ms(a)} | {ms(b)} | {ratio} | {ms(da)} → {ms(db)} |")
    lines.append("")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="5 s of load (for CI)")
    ap.add_argument("--duration", type=float, default=None, help="seconds of load (30)")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=None,
                    help="runs of each listing measurement (20; --quick: 5)")
    ap.add_argument("--san-reps", type=int, default=1,
                    help="the same for a sanitizer build (1: each run takes seconds there)")
    ap.add_argument("--create", choices=("wire", "gdbus"), default="wire",
                    help="create the jobs over one connection of this process (default) or "
                         "with gdbus processes, 8 at a time")
    ap.add_argument("--san", default=None, help="a sanitizer build of hfhubd")
    ap.add_argument("--no-san", action="store_true", help="skip the sanitizer build")
    ap.add_argument("--json", default=None, help="write the results there")
    ap.add_argument("--baseline", default=os.environ.get("HFHUBD_BASE"),
                    help="another hfhubd (e.g. a build of the previous commit), measured "
                         "the same way before HFHUBD and compared with it ($HFHUBD_BASE)")
    ap.add_argument("--no-load", action="store_true",
                    help="only the queue and the listing, no concurrent clients")
    args = ap.parse_args()
    if args.duration is None:
        args.duration = 5.0 if args.quick else 30.0
    if args.reps is None:
        args.reps = 5 if args.quick else 20
    args.duration = max(1.0, min(args.duration, 3600.0))
    args.clients = max(1, min(args.clients, 200))
    args.jobs = max(1, min(args.jobs, 100000))
    args.reps = max(1, min(args.reps, 1000))
    args.san_reps = max(1, min(args.san_reps, 1000))

    for path in (harness.HFHUBD, harness.HFHUB_CLI, harness.HUBEMU):
        if not os.path.exists(path):
            raise SystemExit(f"missing {path}: build first (ninja -C _build)")
    for tool in ("gdbus", "dbus-daemon"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed")

    variants = [("build", harness.HFHUBD)]
    if args.baseline:
        if not os.path.exists(args.baseline):
            raise SystemExit(f"missing {args.baseline}")
        variants.insert(0, ("baseline", args.baseline))
    if not args.no_san and not is_sanitizer_build(harness.HFHUBD):
        san = args.san or os.environ.get("HFHUBD_SAN") or \
            next((p for p in SAN_CANDIDATES if os.path.exists(p)), None)
        if san:
            if not os.path.exists(san):
                raise SystemExit(f"missing {san}")
            if not is_sanitizer_build(san):
                log(f"{san} does not link libasan; measured as an ordinary build")
            variants.append(("sanitizer", san))
        else:
            log("no sanitizer build found (--san PATH or HFHUBD_SAN): skipped")

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_term)

    meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "cpu": cpu_model(), "loadavg": loadavg(), "jobs": args.jobs, "reps": args.reps, "san_reps": args.san_reps,
            "clients": args.clients, "duration": args.duration,
            "hfhub": harness.HFHUB_CLI}
    tmp = tempfile.mkdtemp(prefix="hfhub-bench-queue-")
    results = []
    emu = None
    t_start = time.monotonic()
    try:
        log("starting the Hub emulator")
        emu = harness.Emulator(tmp)
        emu.seed({"id": REPO, "files": {"README.md": {"size": 64, "seed": 7}}})
        # copies of the binaries: a rebuild during the run must not change them
        cli = os.path.join(tmp, "hfhub")
        shutil.copy2(harness.HFHUB_CLI, cli)
        copies = []
        for label, path in variants:
            os.makedirs(os.path.join(tmp, label))
            copies.append(os.path.join(tmp, label, "hfhubd"))
            shutil.copy2(path, copies[-1])
        for (label, path), copy in zip(variants, copies):
            results.append(Variant(label, path, copy, cli, emu, args).run())
    finally:
        if emu is not None:
            emu.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    meta["seconds"] = time.monotonic() - t_start
    text = report(results, meta) + compare(results)
    print(text)
    failed = [r["label"] for r in results if r["errors"]]
    print(f"overall: {'FAIL (' + ', '.join(failed) + ')' if failed else 'PASS'}; "
          f"total {meta['seconds']:.0f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "results": results}, f, indent=1)
    return 1 if any(r["errors"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
