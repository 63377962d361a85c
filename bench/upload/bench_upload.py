#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""hfhub upload benchmark against the Hub emulator on loopback.

Side by side in one run (see the "Uploads" section of bench/README.md):
  (a) one big LFS file (BENCH_UP_BIG, default 1 GiB, random bytes):
      `hfhub upload` (through hfhubd) vs the JS client's uploadFiles
      (useXet: false), end to end: hash, LFS batch, multipart parts,
      completion, commit. Compared with this machine's single-core SHA-256
      rate (GnuTLS, measured in the same run by bench/sha256rate.c).
  (b) a folder of BENCH_UP_FILES (5000) files of BENCH_UP_FILE_SIZE (4096)
      bytes: hfhub vs uploadFiles of the folder.
Every run goes to a fresh repo, and hfhub's hash cache is defeated (the
files' mtimes are touched), so each run hashes and sends everything. One
extra hfhub run of (a) records how long each stage took.

Environment: BENCH_UP_BIG, BENCH_UP_FILES, BENCH_UP_FILE_SIZE, BENCH_UP_RUNS
(3), BENCH_UP_WORK (a temp dir under /tmp), BENCH_NO_JS=1.
Prints a Markdown table on stdout, progress on stderr; the JSON of the run
goes to bench/upload/results/ (gitignored). Exit 0 when everything ran.
"""

import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "integration"))

import harness  # noqa: E402

MiB = 1 << 20
GiB = 1 << 30
NODE = shutil.which("node")
HELPER = os.path.join(SRCDIR, "tests", "peers", "upload-helper.mjs")
JS_HUB = os.path.join(SRCDIR, "tests", "peers", "node_modules", "@huggingface", "hub",
                      "package.json")
NO_PROXY = {"http_proxy": None, "https_proxy": None, "HTTP_PROXY": None, "HTTPS_PROXY": None,
            "all_proxy": None, "ALL_PROXY": None,
            "no_proxy": "127.0.0.0/8,localhost", "NO_PROXY": "127.0.0.0/8,localhost"}
TARGET_BIG = 0.8     # hfhub end to end ≥ 0.8 × single-core SHA-256
TARGET_FOLDER = 2.0  # hfhub ≥ 2 × the JS client


def env_int(name, default):
    v = os.environ.get(name, "").strip()
    return int(v) if v else default


def log(msg):
    print(f"# {msg}", file=sys.stderr, flush=True)


def cpu_model():
    with open("/proc/cpuinfo") as f:
        text = f.read()
    m = re.search(r"^model name\s*:\s*(.*)$", text, re.M)
    sha_ni = " sha_ni " in (" " + (re.search(r"^flags\s*:\s*(.*)$", text, re.M).group(1)) + " ")
    return f"{m.group(1).strip() if m else '?'}, {os.cpu_count()} CPUs, " \
           f"{'with' if sha_ni else 'no'} SHA-NI"


def gnutls_sha256_rate(work):
    """Single-core SHA-256 of GnuTLS (what hfhubd uses), bytes/s."""
    exe = os.path.join(work, "sha256rate")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "gnutls", "glib-2.0"],
                           capture_output=True, text=True, check=True).stdout.split()
    subprocess.run(["cc", "-O2", os.path.join(SRCDIR, "bench", "sha256rate.c"), "-o", exe,
                    *flags], check=True, capture_output=True)
    out = subprocess.run([exe, "3"], capture_output=True, text=True, check=True).stdout
    rates = dict(line.split() for line in out.splitlines())
    return float(rates["gnutls-sha256"])


def run_timed(argv, env, timeout):
    t0 = time.monotonic()
    p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    return time.monotonic() - t0, p.returncode, p.stdout, p.stderr


def last_json(text):
    try:
        return json.loads(text)
    except ValueError:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        try:
            return json.loads(lines[-1]) if lines else None
        except ValueError:
            return None


def refill(root, nfiles, fsize):
    """New content in every file: the emulator stores each regular file
    as a blob, and a blob it already has costs it nothing, which would
    favour whichever client comes second."""
    for i in range(nfiles):
        sub = os.path.join(root, f"shard-{i // 500:02d}")
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, f"file-{i:05d}.txt"), "wb") as f:
            f.write(os.urandom(fsize // 2 + 1).hex().encode()[:fsize])


def touch_all(root):
    """New mtimes: hfhub hashes the files again, as a first upload does."""
    now = time.time_ns()
    for d, _, files in os.walk(root):
        for name in files:
            os.utime(os.path.join(d, name), ns=(now, now))


class Bench:
    def __init__(self):
        self.big = env_int("BENCH_UP_BIG", GiB)
        self.nfiles = env_int("BENCH_UP_FILES", 5000)
        self.fsize = env_int("BENCH_UP_FILE_SIZE", 4096)
        self.runs = max(1, env_int("BENCH_UP_RUNS", 3))
        self.js = os.environ.get("BENCH_NO_JS") != "1" and NODE and os.path.exists(JS_HUB)
        self.res = {"runs": self.runs, "cpu": cpu_model()}
        self.n = 0

    def start(self):
        self.work = os.environ.get("BENCH_UP_WORK") or tempfile.mkdtemp(prefix="hfhub-upbench-")
        os.makedirs(self.work, exist_ok=True)
        os.makedirs(os.path.join(self.work, "emu"), exist_ok=True)
        self.emu = harness.Emulator(os.path.join(self.work, "emu"))
        self.case = harness.Case("bench_upload", self.emu)
        self.case.start_bus()
        log_path = self.case.path("hfhubd.log")
        with open(log_path, "wb") as lf:
            proc = subprocess.Popen([harness.HFHUBD], stdout=lf, stderr=lf,
                                    stdin=subprocess.DEVNULL,
                                    env=self.case.daemon_env(NO_PROXY,
                                                             token=harness.ALICE_TOKEN),
                                    start_new_session=True)
        d = harness.Daemon(self.case, proc, log_path, "hfhubd")
        self.case.daemons.append(d)
        self.case.wait_daemon_ready(d, timeout=20)

    def stop(self):
        self.case.close()
        self.emu.stop()
        if not os.environ.get("BENCH_UP_WORK"):
            shutil.rmtree(self.work, ignore_errors=True)

    def fresh_repo(self, what):
        self.n += 1
        rid = f"alice/{what}-{self.n}"
        self.emu.seed({"id": rid, "files": {}})
        return rid

    def hfhub(self, rid, local, watch=False):
        env = self.case.cli_env(NO_PROXY)
        argv = [harness.HFHUB_CLI, "--json", "upload", rid, local]
        stages = []
        stop = threading.Event()

        def watcher():
            last = None
            while not stop.is_set():
                try:
                    p = subprocess.run([harness.HFHUB_CLI, "--json", "jobs", "ls"], env=env,
                                       capture_output=True, text=True)
                except OSError:   # the CLI being rebuilt meanwhile
                    time.sleep(0.1)
                    continue
                jobs = (last_json(p.stdout) or {}).get("jobs") or []
                running = [j for j in jobs if j.get("state") == "running"]
                reason = running[-1].get("state_reason") if running else None
                if reason and reason != last:
                    stages.append((time.monotonic(), reason))
                    last = reason
                time.sleep(0.1)
        th = threading.Thread(target=watcher, daemon=True) if watch else None
        if th:
            th.start()
        t0 = time.monotonic()
        dt, rc, out, err = run_timed(argv, env, 3600)
        stop.set()
        if th:
            th.join()
        job = last_json(out)
        if rc != 0 or not isinstance(job, dict) or job.get("state") != "succeeded":
            raise RuntimeError(f"hfhub upload failed: exit {rc} {out[-600:]} {err[-300:]}")
        return dt, job, [(round(t - t0, 2), r) for t, r in stages]

    def node(self, rid, local):
        req = {"op": "uploadFiles", "hubUrl": self.emu.url, "repo": rid,
               "accessToken": harness.ALICE_TOKEN, "local": local}
        dt, rc, out, err = run_timed([NODE, HELPER, json.dumps(req)],
                                     self.case.base_env(), 3600)
        res = last_json(out)
        if rc != 0 or not isinstance(res, dict) or "error" in res:
            raise RuntimeError(f"JS uploadFiles failed: {res} {err[-600:]}")
        return dt

    def make_data(self):
        big = os.path.join(self.work, "big", "model.safetensors")
        if not os.path.exists(big) or os.path.getsize(big) != self.big:
            log(f"writing {self.big >> 20} MiB of random bytes")
            os.makedirs(os.path.dirname(big), exist_ok=True)
            with open(big, "wb") as f:
                left = self.big
                while left > 0:
                    n = min(left, 16 * MiB)
                    f.write(os.urandom(n))
                    left -= n
        self.big_path = big
        self.folder = os.path.join(self.work, "folder")

    def bench_big(self):
        hf, js = [], []
        for r in range(self.runs):
            touch_all(os.path.dirname(self.big_path))
            dt, job, _ = self.hfhub(self.fresh_repo("big"), self.big_path)
            res = job["result"]
            assert res["uploaded-bytes"] == self.big and res["hashed-files"] == 1, res
            hf.append(dt)
            log(f"(a) hfhub run {r + 1}: {dt:.2f} s")
            if self.js:
                dt = self.node(self.fresh_repo("big-js"), self.big_path)
                js.append(dt)
                log(f"(a) JS run {r + 1}: {dt:.2f} s")
        touch_all(os.path.dirname(self.big_path))
        _, _, stages = self.hfhub(self.fresh_repo("big-stages"), self.big_path, watch=True)
        self.res["big"] = {"size": self.big, "hfhub": hf, "js": js, "stages": stages}

    def bench_folder(self):
        hf, js = [], []
        log(f"(b) {self.nfiles} files of {self.fsize} bytes, new content for every run")
        # the emulator's first commit of thousands of blobs is much slower
        # than the next ones (whoever comes first pays): one untimed run
        refill(self.folder, self.nfiles, self.fsize)
        self.hfhub(self.fresh_repo("folder-warmup"), self.folder)
        for r in range(self.runs):
            refill(self.folder, self.nfiles, self.fsize)
            dt, job, _ = self.hfhub(self.fresh_repo("folder"), self.folder)
            res = job["result"]
            assert res["committed-files"] == self.nfiles and res["hashed-files"] == self.nfiles, res
            hf.append(dt)
            log(f"(b) hfhub run {r + 1}: {dt:.2f} s ({len(res['commits'])} commits)")
            if self.js:
                refill(self.folder, self.nfiles, self.fsize)
                dt = self.node(self.fresh_repo("folder-js"), self.folder)
                js.append(dt)
                log(f"(b) JS run {r + 1}: {dt:.2f} s")
        refill(self.folder, self.nfiles, self.fsize)
        _, _, stages = self.hfhub(self.fresh_repo("folder-stages"), self.folder, watch=True)
        self.res["folder"] = {"files": self.nfiles, "file_size": self.fsize, "hfhub": hf,
                              "js": js, "stages": stages}

    def report(self):
        b, f = self.res["big"], self.res["folder"]
        sha = self.res["sha256_rate"]
        hf_big = statistics.median(b["hfhub"])
        rate = b["size"] / hf_big
        lines = [
            f"CPU: {self.res['cpu']}; single-core SHA-256 (GnuTLS): {sha / 1e6:.0f} MB/s",
            "",
            "| measurement | hfhub | JS uploadFiles | ratio | target |",
            "|---|---|---|---|---|",
        ]
        js_big = f"{statistics.median(b['js']):.2f} s" if b["js"] else "–"
        lines.append(f"| (a) {b['size'] >> 20} MiB LFS file, end to end | {hf_big:.2f} s "
                     f"({rate / 1e6:.0f} MB/s) | {js_big} | hfhub / SHA-256 = "
                     f"**{rate / sha:.2f}** | ≥ {TARGET_BIG} |")
        hf_f = statistics.median(f["hfhub"])
        if f["js"]:
            js_f = statistics.median(f["js"])
            lines.append(f"| (b) {f['files']} files × {f['file_size']} B | {hf_f:.2f} s | "
                         f"{js_f:.2f} s | JS / hfhub = **{js_f / hf_f:.2f}** | "
                         f"≥ {TARGET_FOLDER} |")
        else:
            lines.append(f"| (b) {f['files']} files × {f['file_size']} B | {hf_f:.2f} s | – | "
                         f"– | ≥ {TARGET_FOLDER} |")
        lines.append("")
        lines.append("Runs (s): (a) hfhub " + ", ".join(f"{x:.2f}" for x in b["hfhub"]) +
                     "; JS " + ", ".join(f"{x:.2f}" for x in b["js"]) +
                     "; (b) hfhub " + ", ".join(f"{x:.2f}" for x in f["hfhub"]) +
                     "; JS " + ", ".join(f"{x:.2f}" for x in f["js"]))
        lines.append("Stages of one more hfhub run, seconds from the start: (a) " +
                     ", ".join(f"{t} {r}" for t, r in b["stages"]) + "; (b) " +
                     ", ".join(f"{t} {r}" for t, r in f["stages"]))
        return "\n".join(lines)

    def run(self):
        self.start()
        try:
            log("measuring single-core SHA-256")
            self.res["sha256_rate"] = gnutls_sha256_rate(self.work)
            self.make_data()
            self.bench_big()
            self.bench_folder()
        finally:
            self.stop()
        table = self.report()
        print(table)
        out = os.path.join(HERE, "results")
        os.makedirs(out, exist_ok=True)
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        with open(os.path.join(out, f"results-{stamp}.json"), "w") as fh:
            json.dump(self.res, fh, indent=1)
        with open(os.path.join(out, f"results-{stamp}.md"), "w") as fh:
            fh.write(table + "\n")


if __name__ == "__main__":
    Bench().run()
