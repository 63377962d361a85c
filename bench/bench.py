#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""hfhub download benchmark against the Hub emulator on loopback.

Side by side in one run (see bench/README.md):
  (a) one big LFS file: `hfhub download` (through hfhubd) vs `curl -L -o FILE`
      vs the JS client's downloadFileToCacheDir, all writing to the same disk;
  (b) a snapshot of many small regular files: hfhub vs JS snapshotDownload;
  (c) hfhubd's peak RSS (VmHWM) while downloading the big file, and a
      medium one, to show it does not grow with the file's size;
and this machine's single-core SHA-256 rate, which bounds (a) for hfhub
since it verifies the SHA-256 of LFS files while downloading.

Environment (defaults in brackets):
  BENCH_BIG_SIZE [2147483648]  (a) file size in bytes
  BENCH_MID_SIZE [536870912]   (c) second file size
  BENCH_FILES [2000]           (b) number of files
  BENCH_FILE_SIZE [4096]       (b) size of each file
  BENCH_RUNS [3]               runs of each measurement (median reported)
  BENCH_STATE [bench/.state]   emulator blob store (generated content is hashed once)
  BENCH_RESULTS [bench/results]  where results-<UTC time>.{json,md} go ("" = nowhere)
  BENCH_LABEL [full]           a name for this run in the output
  BENCH_NO_JS=1                skip the JS client

Exit status: 0 when every measurement ran (targets missed are reported, not
failed); 1 when something could not run (the table says what).
Reuses tests/integration/harness.py for the emulator and a private D-Bus.
"""

import datetime
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.normpath(os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "integration"))

import harness  # noqa: E402

MiB = 1 << 20
GiB = 1 << 30
MB = 1e6

TARGET_A = 1.2    # hfhub rate ≥ 1.2 × curl's
TARGET_B = 2.0    # hfhub files/s ≥ 2 × the JS client's
TARGET_C = 40 * MiB

NODE = shutil.which("node")
CURL = shutil.which("curl")
HELPER = os.path.join(SRCDIR, "tests", "peers", "interop-helper.mjs")
JS_HUB = os.path.join(SRCDIR, "tests", "peers", "node_modules", "@huggingface", "hub",
                      "package.json")
NO_PROXY = {"http_proxy": None, "https_proxy": None, "HTTP_PROXY": None, "HTTPS_PROXY": None,
            "all_proxy": None, "ALL_PROXY": None,
            "no_proxy": "127.0.0.0/8,localhost", "NO_PROXY": "127.0.0.0/8,localhost"}


def env_int(name, default):
    v = os.environ.get(name, "").strip()
    return int(v) if v else default


def log(msg):
    print(f"# {msg}", file=sys.stderr, flush=True)


def fmt_size(n):
    if n >= GiB and n % GiB == 0:
        return f"{n // GiB} GiB"
    if n >= MiB and n % MiB == 0:
        return f"{n // MiB} MiB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n} B"


def median(xs):
    return statistics.median(xs) if xs else None


class BenchError(Exception):
    pass


# --------------------------------------------------------------------------- machine


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
    except OSError:
        return platform.processor() or "unknown"
    m = re.search(r"^model name\s*:\s*(.*)$", text, re.M)
    flags = re.search(r"^flags\s*:\s*(.*)$", text, re.M)
    model = m.group(1).strip() if m else "unknown"
    sha_ni = bool(flags and "sha_ni" in flags.group(1).split())
    return f"{model}, {os.cpu_count()} CPUs, {'with' if sha_ni else 'no'} SHA-NI"


def sha256_rates(workdir):
    """{name: bytes/s} of single-core SHA-256, by whatever is available."""
    out = {}
    # GnuTLS (what hfhubd uses) and GChecksum, through a tiny C program
    cc = shutil.which("cc") or shutil.which("gcc")
    pkg = shutil.which("pkg-config")
    if cc and pkg:
        exe = os.path.join(workdir, "sha256rate")
        try:
            flags = subprocess.run([pkg, "--cflags", "--libs", "gnutls", "glib-2.0"],
                                   capture_output=True, text=True, check=True).stdout.split()
            subprocess.run([cc, "-O2", os.path.join(HERE, "sha256rate.c"), "-o", exe, *flags],
                           capture_output=True, text=True, check=True)
            p = subprocess.run([exe, "2"], capture_output=True, text=True, timeout=60,
                               check=True)
            for line in p.stdout.splitlines():
                k, v = line.split()
                out[k] = float(v)
        except (subprocess.SubprocessError, ValueError, OSError) as e:
            log(f"sha256rate (GnuTLS/GChecksum) not measured: {e}")
    # OpenSSL's own speed test
    openssl = shutil.which("openssl")
    if openssl:
        try:
            p = subprocess.run([openssl, "speed", "-evp", "sha256", "-bytes", "1048576",
                                "-seconds", "2"], capture_output=True, text=True, timeout=60)
            m = re.search(r"^sha256\s+([\d.]+)k\s*$", p.stdout, re.M)
            if m:
                out["openssl-sha256"] = float(m.group(1)) * 1000
        except subprocess.SubprocessError as e:
            log(f"openssl speed failed: {e}")
    # Python's hashlib (OpenSSL underneath, through Python)
    import hashlib
    buf = bytes(MiB)
    h = hashlib.sha256()
    n = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 2.0:
        for _ in range(8):
            h.update(buf)
        n += 8
    out["python-hashlib-sha256"] = n * MiB / (time.perf_counter() - t0)
    return out


def provenance():
    """What was measured: the binaries and the source tree they came from."""
    def git(*args):
        try:
            return subprocess.run(["git", "-C", SRCDIR, *args], capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    out = {"source": git("describe", "--always", "--dirty", "--exclude", "*") or "unknown"}
    for name, path in (("hfhubd", harness.HFHUBD), ("hfhub", harness.HFHUB_CLI)):
        try:
            mtime = datetime.datetime.fromtimestamp(os.path.getmtime(path)).strftime(
                "%Y-%m-%d %H:%M")
        except OSError:
            mtime = "missing"
        out[name] = f"{path} (built {mtime})"
    out["note"] = os.environ.get("BENCH_BUILD_NOTE", "")
    return out


# --------------------------------------------------------------------------- processes


class RssSampler:
    """Samples VmRSS of a pid every interval s and reads VmHWM at the end;
    resets the peak first (clear_refs 5) when the kernel allows it."""

    def __init__(self, pid, interval=0.02):
        self.pid = pid
        self.interval = interval
        self.peak_sampled = 0
        self.reset_ok = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def status(self, key):
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith(key + ":"):
                        return int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            return None
        return None

    def _run(self):
        while not self._stop.is_set():
            v = self.status("VmRSS")
            if v is not None:
                self.peak_sampled = max(self.peak_sampled, v)
            self._stop.wait(self.interval)

    def __enter__(self):
        try:
            with open(f"/proc/{self.pid}/clear_refs", "w") as f:
                f.write("5")
            self.reset_ok = True
        except OSError:
            self.reset_ok = False
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)
        self.hwm = self.status("VmHWM")
        return False


def cpu_times(pid):
    """(user, system) CPU seconds of a process so far, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        return int(fields[11]) / tick, int(fields[12]) / tick
    except (OSError, ValueError, IndexError):
        return None


def cpu_delta(before, after):
    if before is None or after is None:
        return None
    return after[0] - before[0], after[1] - before[1]


def run_timed(argv, env, timeout, cwd=None):
    """Runs argv; returns (seconds from spawn to exit, CompletedProcess-like)."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, cwd=cwd, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        raise BenchError(f"{os.path.basename(argv[0])} did not finish within {timeout} s") \
            from None
    except BaseException:
        # interrupted (SIGTERM/SIGINT): do not leave the child running
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        p.wait()
        raise
    dt = time.monotonic() - t0
    return dt, p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def last_json(text):
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    try:
        return json.loads(text)
    except ValueError:
        return None


def settle(*paths):
    """Removes what a run wrote and flushes dirty pages, so the next run
    does not pay for this one's writeback (the page cache is not dropped)."""
    for p in paths:
        shutil.rmtree(p, ignore_errors=True)
    os.sync()
    time.sleep(0.3)


# --------------------------------------------------------------------------- bench


class Bench:
    def __init__(self):
        self.big = env_int("BENCH_BIG_SIZE", 2 * GiB)
        self.mid = env_int("BENCH_MID_SIZE", 512 * MiB)
        self.nfiles = env_int("BENCH_FILES", 2000)
        self.fsize = env_int("BENCH_FILE_SIZE", 4096)
        self.runs = max(1, env_int("BENCH_RUNS", 3))
        self.label = os.environ.get("BENCH_LABEL", "full")
        self.state = os.path.abspath(os.environ.get("BENCH_STATE") or
                                     os.path.join(HERE, ".state"))
        self.js = (os.environ.get("BENCH_NO_JS") != "1" and NODE is not None
                   and os.path.exists(JS_HUB))
        self.res = {"label": self.label, "runs": self.runs, "errors": [], "notes": []}
        self.emu = None
        self.case = None
        self.daemon = None
        self.last_cpu = (None, None)
        self.work = None

    # ---- setup

    def start(self):
        os.makedirs(self.state, exist_ok=True)
        self.work = tempfile.mkdtemp(prefix="hfhub-bench-")   # /tmp: the downloads' disk
        for path in (harness.HFHUBD, harness.HFHUB_CLI):
            if not os.path.exists(path):
                raise BenchError(f"missing {path}: build first (ninja -C _build)")
        log(f"starting the emulator (state {self.state})")
        self.emu = harness.Emulator(self.state)
        t0 = time.monotonic()
        log(f"seeding {fmt_size(self.big)} + {fmt_size(self.mid)} LFS files "
            f"(hashed once per state dir) and {self.nfiles} x {fmt_size(self.fsize)}")
        files = {f"shard-{i // 100:03d}/file-{i:05d}.txt": {"size": self.fsize, "seed": 1000 + i}
                 for i in range(self.nfiles)}
        self.repos = self.emu.request("POST", "/_emu/seed", [
            {"id": "bench/big", "files": {"big.safetensors":
                                          {"size": self.big, "seed": 1, "lfs": True}}},
            {"id": "bench/mid", "files": {"mid.safetensors":
                                          {"size": self.mid, "seed": 2, "lfs": True}}},
            {"id": "bench/many", "files": files},
        ], timeout=1800)
        self.res["seed_seconds"] = time.monotonic() - t0
        self.case = harness.Case("bench_run", self.emu)
        self.case.start_bus()
        self.start_daemon()

    def start_daemon(self):
        """hfhubd without --verbose (its HTTP debug log would cost time)."""
        c = self.case
        log_path = c.path("hfhubd.log")
        with open(log_path, "wb") as lf:
            proc = subprocess.Popen([harness.HFHUBD], stdout=lf, stderr=lf,
                                    stdin=subprocess.DEVNULL, env=c.daemon_env(NO_PROXY),
                                    start_new_session=True)
        d = harness.Daemon(c, proc, log_path, "hfhubd")
        c.daemons.append(d)
        c.wait_daemon_ready(d, timeout=20)
        self.daemon = d

    def stop(self):
        if self.case is not None:
            self.case.close()
        if self.emu is not None:
            self.emu.stop()
        if self.work:
            shutil.rmtree(self.work, ignore_errors=True)

    # ---- one run of each tool

    def hfhub(self, repo, files=(), cache=None, timeout=1800, rss=False):
        """hfhub --json download REPO FILES into cache; → (seconds, job, hwm)."""
        env = self.case.cli_env({**NO_PROXY, "HF_HUB_CACHE": cache})
        argv = [harness.HFHUB_CLI, "--json", "download", repo, *files]
        sampler = RssSampler(self.daemon.pid) if rss else None
        if sampler:
            sampler.__enter__()
        cpu0 = cpu_times(self.daemon.pid), cpu_times(self.emu.proc.pid)
        try:
            dt, rc, out, err = run_timed(argv, env, timeout, cwd=self.work)
        finally:
            if sampler:
                sampler.__exit__(None, None, None)
        self.last_cpu = (cpu_delta(cpu0[0], cpu_times(self.daemon.pid)),
                         cpu_delta(cpu0[1], cpu_times(self.emu.proc.pid)))
        job = last_json(out)
        if rc != 0 or not isinstance(job, dict) or job.get("state") != "succeeded":
            raise BenchError(f"hfhub download {repo} failed: exit {rc} {out.strip()[-500:]} "
                             f"{err.strip()[-500:]}")
        hwm = None
        if sampler:
            hwm = sampler.hwm if sampler.reset_ok and sampler.hwm else \
                max(sampler.peak_sampled, 0)
        return dt, job, hwm

    def curl(self, repo, path, dest, timeout=1800):
        url = f"{self.emu.url}/{repo}/resolve/main/{path}"
        env = self.case.base_env()
        env.update({k: v for k, v in NO_PROXY.items() if v is not None})
        argv = [CURL, "-sS", "-L", "--noproxy", "*", "-o", dest, "-w",
                "%{http_code} %{size_download}", url]
        dt, rc, out, err = run_timed(argv, env, timeout, cwd=self.work)
        if rc != 0 or not out.startswith("200 "):
            raise BenchError(f"curl {url} failed: exit {rc} {out} {err.strip()[-300:]}")
        return dt, int(out.split()[1])

    def node(self, request, timeout=1800):
        env = self.case.base_env()
        dt, rc, out, err = run_timed([NODE, HELPER, json.dumps(request)], env, timeout,
                                     cwd=self.work)
        res = last_json(out)
        if rc != 0 or not isinstance(res, dict) or "error" in res:
            msg = res.get("error") if isinstance(res, dict) else out.strip()[-500:]
            raise BenchError(f"JS {request['op']} failed: exit {rc} {msg} {err.strip()[-300:]}")
        return dt, res

    # ---- measurements

    def bench_big(self):
        """(a) and (c) for the big file: interleaved runs hfhub, curl, JS."""
        info = self.repos[0]["files"]["big.safetensors"]
        size = info["size"]
        r = {"size": size, "hfhub": [], "curl": [], "curl_devnull": [], "js": [], "hwm": [],
             "cpu": []}
        for i in range(self.runs):
            cache = os.path.join(self.work, f"hf-cache-big-{i}")
            dt, job, hwm = self.hfhub("bench/big", ["big.safetensors"], cache, rss=True)
            res = job.get("result") or {}
            path = res.get("path", "")
            got = os.path.getsize(path) if os.path.exists(path) else -1
            if got != size or res.get("downloaded-files") != 1:
                raise BenchError(f"hfhub result {res}: size {got}, expected {size}")
            r["hfhub"].append(dt)
            r["hwm"].append(hwm)
            r["cpu"].append(self.last_cpu)
            log(f"(a) run {i + 1}: hfhub {size / dt / MB:.0f} MB/s, hfhubd VmHWM "
                f"{hwm / MiB:.1f} MiB")
            settle(cache)

            dest = os.path.join(self.work, f"curl-big-{i}.bin")
            dt, n = self.curl("bench/big", "big.safetensors", dest)
            if n != size or os.path.getsize(dest) != size:
                raise BenchError(f"curl wrote {n} bytes, expected {size}")
            r["curl"].append(dt)
            log(f"(a) run {i + 1}: curl -o FILE {size / dt / MB:.0f} MB/s")
            os.unlink(dest)
            settle()

            dt, n = self.curl("bench/big", "big.safetensors", "/dev/null")
            r["curl_devnull"].append(dt)

            if self.js:
                jcache = os.path.join(self.work, f"js-cache-big-{i}")
                dt, res = self.node({"op": "downloadFileToCacheDir", "hubUrl": self.emu.url,
                                     "repo": "bench/big", "path": "big.safetensors",
                                     "cacheDir": jcache})
                if os.path.getsize(res["path"]) != size:
                    raise BenchError("the JS client wrote the wrong size")
                r["js"].append(dt)
                log(f"(a) run {i + 1}: JS downloadFileToCacheDir {size / dt / MB:.0f} MB/s")
                settle(jcache)
        self.res["big"] = r

    def bench_mid(self):
        """(c): the same daemon's peak RSS with the medium file."""
        size = self.repos[1]["files"]["mid.safetensors"]["size"]
        r = {"size": size, "hfhub": [], "hwm": []}
        for i in range(self.runs):
            cache = os.path.join(self.work, f"hf-cache-mid-{i}")
            dt, job, hwm = self.hfhub("bench/mid", ["mid.safetensors"], cache, rss=True)
            r["hfhub"].append(dt)
            r["hwm"].append(hwm)
            log(f"(c) run {i + 1}: {fmt_size(size)}: hfhub {size / dt / MB:.0f} MB/s, "
                f"VmHWM {hwm / MiB:.1f} MiB")
            settle(cache)
        self.res["mid"] = r

    def bench_many(self):
        """(b) interleaved: hfhub snapshot, hfhub no-op re-run, JS snapshotDownload.
        The caches are removed only at the end: on ext4 without a journal,
        creating inodes right after thousands were deleted is slow
        (ialloc skips recently deleted inodes), which would tax the next run."""
        keep = []
        n = len(self.repos[2]["files"])   # the files and the emulator's .gitattributes
        r = {"files": n, "file_size": self.fsize, "hfhub": [], "hfhub_rerun": [], "js": [],
             "hfhub_requests": [], "js_requests": [], "hwm": [], "cpu": []}
        for i in range(self.runs):
            cache = os.path.join(self.work, f"hf-cache-many-{i}")
            self.emu.reset_counters()
            dt, job, hwm = self.hfhub("bench/many", (), cache, rss=True)
            res = job.get("result") or {}
            if res.get("downloaded-files") != n:
                raise BenchError(f"hfhub downloaded {res.get('downloaded-files')} of {n} files")
            r["hfhub"].append(dt)
            r["hwm"].append(hwm)
            r["cpu"].append(self.last_cpu)
            r["hfhub_requests"].append(self.emu.counters().get("requests_total"))
            dt2, job2, _ = self.hfhub("bench/many", (), cache)
            r["hfhub_rerun"].append(dt2)
            log(f"(b) run {i + 1}: hfhub {n / dt:.0f} files/s ({dt:.2f} s), warm re-run "
                f"{dt2:.2f} s")
            keep.append(cache)
            settle()
            if self.js:
                jcache = os.path.join(self.work, f"js-cache-many-{i}")
                self.emu.reset_counters()
                dt, res = self.node({"op": "snapshotDownload", "hubUrl": self.emu.url,
                                     "repo": "bench/many", "cacheDir": jcache})
                r["js"].append(dt)
                r["js_requests"].append(self.emu.counters().get("requests_total"))
                log(f"(b) run {i + 1}: JS snapshotDownload {n / dt:.0f} files/s ({dt:.2f} s)")
                keep.append(jcache)
                settle()
        settle(*keep)
        self.res["many"] = r

    # ---- report

    def report(self):
        res = self.res
        lines = []
        add = lines.append
        sha = res.get("sha256", {})
        add(f"hfhub download benchmark ({res['label']}), {res['date']}")
        add(f"machine: {res['cpu']}; kernel {platform.release()}")
        prov = res.get("provenance", {})
        add(f"hfhubd: {prov.get('hfhubd')}; source tree {prov.get('source')}"
            + (f" ({prov['note']})" if prov.get("note") else ""))
        add(f"median of {res['runs']} runs; MB = 10^6 bytes; times are wall clock from "
            "the command's start to its exit")
        add("")
        add("single-core SHA-256: " + ", ".join(
            f"{k} {v / MB:.0f} MB/s" for k, v in sorted(sha.items())))
        add("")
        rows = [("measurement", "median", "runs")]
        verdicts = []
        big = res.get("big")
        if big:
            size = big["size"]

            def rate(key):
                return size / median(big[key]) / MB if big[key] else None
            hf, cu, dn, js = rate("hfhub"), rate("curl"), rate("curl_devnull"), rate("js")
            runs = lambda k: " ".join(f"{size / x / MB:.0f}" for x in big[k])  # noqa: E731
            rows.append((f"(a) {fmt_size(size)} LFS: hfhub download (verifies SHA-256)",
                         f"{hf:.0f} MB/s", runs("hfhub")))
            rows.append((f"(a) {fmt_size(size)} LFS: curl -L -o FILE", f"{cu:.0f} MB/s",
                         runs("curl")))
            rows.append((f"(a) {fmt_size(size)} LFS: curl -L -o /dev/null (reference)",
                         f"{dn:.0f} MB/s", runs("curl_devnull")))
            if js:
                rows.append((f"(a) {fmt_size(size)} LFS: JS downloadFileToCacheDir",
                             f"{js:.0f} MB/s", runs("js")))
            res["ratio_a_curl"] = hf / cu
            res["ratio_a_js"] = hf / js if js else None
            gn = sha.get("gnutls-sha256")
            verdicts.append(
                f"(a) hfhub/curl = {hf / cu:.2f}x (target >= {TARGET_A}x: "
                f"{'MET' if hf / cu >= TARGET_A else 'NOT MET'})"
                + (f"; hfhub/js = {hf / js:.2f}x" if js else "")
                + (f"; hfhub at {hf * MB / gn * 100:.0f}% of GnuTLS SHA-256 "
                   f"({gn / MB:.0f} MB/s)" if gn else ""))
        many = res.get("many")
        if many:
            n = many["files"]
            hf = n / median(many["hfhub"])
            rows.append((f"(b) {n} files snapshot ({fmt_size(many['file_size'])} each): hfhub",
                         f"{hf:.0f} files/s",
                         " ".join(f"{n / x:.0f}" for x in many["hfhub"])))
            rows.append((f"(b) same, hfhub re-run on the warm cache (nothing to fetch)",
                         f"{median(many['hfhub_rerun']):.2f} s",
                         " ".join(f"{x:.2f}" for x in many["hfhub_rerun"])))
            js = n / median(many["js"]) if many["js"] else None
            if js:
                rows.append((f"(b) {n} files snapshot: JS snapshotDownload", f"{js:.0f} files/s",
                             " ".join(f"{n / x:.0f}" for x in many["js"])))
            req = lambda k: median(many[k]) / n if many[k] else None  # noqa: E731
            res["ratio_b_js"] = hf / js if js else None
            verdicts.append(
                (f"(b) hfhub/js = {hf / js:.2f}x (target >= {TARGET_B}x: "
                 f"{'MET' if hf / js >= TARGET_B else 'NOT MET'})" if js else
                 "(b) JS client not run")
                + f"; HTTP requests per file: hfhub {req('hfhub_requests'):.2f}"
                + (f", JS {req('js_requests'):.2f}" if js else ""))
        for key, what in (("big", "(a)"), ("many", "(b)")):
            m = res.get(key)
            cpus = [c for c in (m or {}).get("cpu", []) if c and c[0] and c[1]]
            if cpus:
                d = [c[0] for c in cpus]
                e = [c[1] for c in cpus]
                verdicts.append(
                    f"{what} CPU seconds per hfhub run (median): hfhubd user "
                    f"{median([x[0] for x in d]):.2f} + system {median([x[1] for x in d]):.2f}; "
                    f"emulator user {median([x[0] for x in e]):.2f} + system "
                    f"{median([x[1] for x in e]):.2f}")
        mid = res.get("mid")
        if big and mid:
            hb, hm = max(big["hwm"]), max(mid["hwm"])
            hs = max(many["hwm"]) if many else None
            rows.append((f"(c) hfhubd VmHWM, {fmt_size(big['size'])} file (max of runs)",
                         f"{hb / MiB:.1f} MiB", " ".join(f"{x / MiB:.1f}" for x in big["hwm"])))
            rows.append((f"(c) hfhubd VmHWM, {fmt_size(mid['size'])} file (max of runs)",
                         f"{hm / MiB:.1f} MiB", " ".join(f"{x / MiB:.1f}" for x in mid["hwm"])))
            if hs:
                rows.append((f"(c) hfhubd VmHWM, {many['files']}-file snapshot",
                             f"{hs / MiB:.1f} MiB",
                             " ".join(f"{x / MiB:.1f}" for x in many["hwm"])))
            flat = abs(hb - hm) <= 2 * MiB
            ok = max(hb, hm) <= TARGET_C and flat
            res["hwm_big"], res["hwm_mid"] = hb, hm
            verdicts.append(f"(c) peak RSS {hb / MiB:.1f} MiB ({fmt_size(big['size'])}) vs "
                            f"{hm / MiB:.1f} MiB ({fmt_size(mid['size'])}): "
                            f"{'flat' if flat else 'NOT flat'} (within 2 MiB), target <= 40 MiB "
                            f"and flat: {'MET' if ok else 'NOT MET'}")
        w = max(len(r[0]) for r in rows)
        w2 = max(len(r[1]) for r in rows)
        for i, (a, b, c) in enumerate(rows):
            add(f"{a:<{w}}  {b:>{w2}}  {c}")
            if i == 0:
                add("-" * (w + w2 + 12))
        add("")
        lines += verdicts
        for e in res["errors"]:
            add(f"ERROR: {e}")
        for nt in res["notes"]:
            add(f"note: {nt}")
        return "\n".join(lines)

    def run(self):
        self.res["date"] = datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M UTC")
        self.res["cpu"] = cpu_model()
        self.res["provenance"] = provenance()
        if not self.js:
            self.res["notes"].append("the JS client was not run (node or tests/peers/"
                                     "node_modules missing, or BENCH_NO_JS=1)")
        if CURL is None:
            raise BenchError("curl is missing")
        try:
            self.start()
            self.res["sha256"] = sha256_rates(self.work)
            for name, fn in (("(a) big file", self.bench_big), ("(c) medium file", self.bench_mid),
                             ("(b) many files", self.bench_many)):
                try:
                    fn()
                except BenchError as e:
                    self.res["errors"].append(f"{name}: {e}")
                    log(f"{name}: {e}")
        finally:
            self.stop()
        text = self.report()
        print(text, flush=True)
        out_dir = os.environ.get("BENCH_RESULTS", os.path.join(HERE, "results"))
        if out_dir:
            os.makedirs(out_dir, exist_ok=True)
            stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            base = os.path.join(out_dir, f"results-{self.label}-{stamp}")
            with open(base + ".json", "w") as f:
                json.dump(self.res, f, indent=1, default=str)
            with open(base + ".md", "w") as f:
                f.write("```\n" + text + "\n```\n")
            print(f"# results written to {base}.{{json,md}}")
        return 1 if self.res["errors"] else 0


def _interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main():
    # SIGTERM (e.g. from timeout(1)) unwinds like ^C, so every process the
    # bench started is stopped by its cleanup
    signal.signal(signal.SIGTERM, _interrupted)
    b = Bench()
    try:
        return b.run()
    except BenchError as e:
        print(f"bench: {e}", flush=True)
        return 1
    except KeyboardInterrupt as e:
        print(f"bench: interrupted ({e})", flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
