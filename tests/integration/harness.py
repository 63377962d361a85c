# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration test harness: the BUILT hfhubd driven by the BUILT hfhub CLI
against the Hub emulator (tests/hubemu), each case on a private session bus
with its own HOME and XDG directories. Python 3 standard library only.

A test file is a standalone script:

    import harness
    from harness import check, eq, MiB

    def test_something(t):          # t is a Case
        t.start_daemon()
        r = t.cli("daemon", "status")
        eq(r.rc, 0, "exit status")

    if __name__ == "__main__":
        harness.main(globals(), emulator=True)

It prints TAP on stdout: "1..N", then "ok N - name" or "not ok N - name"
followed by "# " lines (the failure, the tail of the daemon's log, the
requests the emulator saw during the case, the last CLI calls). One case per
test_* function, in source order; a failing case does not stop the others.
Arguments on the command line select cases by substring.

Environment: HFHUBD, HFHUB_CLI, HUBEMU, HFHUB_SRCDIR, HFHUB_BUILDDIR (set by
tests/meson.build; defaults to the build tree /work/main/_build). Set
HFHUB_IT_KEEP=1 to keep the temporary directories of failed cases.
"""

import fnmatch
import hashlib
import http.client
import http.server
import json
import os
import pty
import random
import re
import select
import shutil
import signal
import socketserver
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("HFHUB_SRCDIR") or os.path.normpath(os.path.join(HERE, "..", ".."))
BUILDDIR = os.environ.get("HFHUB_BUILDDIR") or os.path.join(SRCDIR, "_build")
HFHUBD = os.environ.get("HFHUBD") or os.path.join(BUILDDIR, "daemon", "hfhubd")
HFHUB_CLI = os.environ.get("HFHUB_CLI") or os.path.join(BUILDDIR, "client", "hfhub")
HUBEMU = os.environ.get("HUBEMU") or os.path.join(SRCDIR, "tests", "hubemu", "hubemu.py")
PYTHON = os.environ.get("HUBEMU_PYTHON") or sys.executable or "/usr/bin/python3"

BUS_NAME = "io.github.hfhub.Hub1"
OBJ_PATH = "/io/github/hfhub/Hub1"
JOBS_PATH = OBJ_PATH + "/jobs"
IFACE_MANAGER = "io.github.hfhub.Hub1.Manager"
IFACE_JOB = "io.github.hfhub.Hub1.Job"
ERR = "io.github.hfhub.Hub1.Error."
STATES = ("queued", "running", "paused", "succeeded", "failed", "cancelled")
FINAL_STATES = ("succeeded", "failed", "cancelled")

# default users of the emulator (tests/hubemu/README.md)
ALICE_TOKEN = "hf_alice_write_token"
BOB_TOKEN = "hf_bob_read_token"
CAROL_TOKEN = "hf_carol_write_token"

MiB = 1 << 20
HEX40 = re.compile(r"^[0-9a-f]{40}$")

# variables of the caller that must not leak into what we start
_SCRUB_PREFIXES = ("HF_", "HUGGINGFACE_", "TRANSFORMERS_", "XDG_", "DBUS_", "HFHUB_")
_SCRUB_NAMES = {"HOME", "DISPLAY", "WAYLAND_DISPLAY", "STATE_DIRECTORY", "INVOCATION_ID",
                "NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS"}


# --------------------------------------------------------------------------- checks


class Failure(AssertionError):
    pass


def check(cond, msg="check failed"):
    if not cond:
        raise Failure(msg)


def eq(got, expected, what="value"):
    if got != expected:
        raise Failure(f"{what}: expected {expected!r}, got {got!r}")


def wait_for(pred, timeout, what, interval=0.05):
    """Polls pred() until it returns something true; returns that. Fails
    after timeout seconds with what (and the last value / exception)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = pred()
            if last:
                return last
        except Failure:
            raise
        except Exception as e:  # noqa: BLE001 - reported below
            last = f"{type(e).__name__}: {e}"
        if time.monotonic() >= deadline:
            raise Failure(f"timed out after {timeout:g} s waiting for {what} (last: {last!r})")
        time.sleep(interval)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(4 * MiB)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def git_blob_sha1(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def gen_content(size, seed):
    """The emulator's generated content (GEN_VERSION v1, tests/hubemu/README.md),
    computed independently so the tests check bytes, not the emulator's word."""
    block = 1 << 20
    base = random.Random(seed).randbytes(block if size >= block else -(-size // 4) * 4)
    out = bytearray()
    i = 0
    while len(out) < size:
        b = bytearray(base)
        b[:16] = struct.pack("<QQ", seed, i)
        out += b
        i += 1
    return bytes(out[:size])


def gen_sha256(size, seed):
    return sha256_bytes(gen_content(size, seed))


def hf_match(path, include=None, exclude=None):
    """huggingface_hub's filter_repo_objects: fnmatchcase, "dir/" → "dir/*"."""
    def norm(p):
        p = p.replace("\\", "/")
        return p + "*" if p.endswith("/") else p
    if include and not any(fnmatch.fnmatchcase(path, norm(p)) for p in include):
        return False
    if exclude and any(fnmatch.fnmatchcase(path, norm(p)) for p in exclude):
        return False
    return True


def repo_folder(repo_id, repo_type="model"):
    return f"{repo_type}s--" + repo_id.replace("/", "--")


def list_files(root):
    """Relative paths of every non-directory under root (symlinks included)."""
    out = []
    for d, dirs, files in os.walk(root):
        for name in files:
            out.append(os.path.relpath(os.path.join(d, name), root))
        for name in dirs:
            p = os.path.join(d, name)
            if os.path.islink(p):
                out.append(os.path.relpath(p, root))
    return sorted(out)


def tail(path, lines=40, start=0):
    try:
        with open(path, "rb") as f:
            f.seek(start)
            data = f.read()
    except OSError as e:
        return [f"({path}: {e})"]
    text = data.decode("utf-8", "replace").splitlines()
    return text[-lines:]


_HTTP_DEBUG = re.compile(r"HfhubHttp-DEBUG: [0-9:.]+: +(.*)$")


def daemon_log_tail(path, lines=40):
    """The tail of an hfhubd --verbose log without HTTP header dumps (the
    request and status lines stay)."""
    out = []
    for line in tail(path, 4000):
        m = _HTTP_DEBUG.search(line)
        if m:
            body = m.group(1)
            if not (re.match(r"> [A-Z]+ /", body) or body.startswith("< HTTP/")):
                continue
        out.append(line)
    return out[-lines:]


def _clean_env():
    env = {}
    for k, v in os.environ.items():
        if k in _SCRUB_NAMES or k.startswith(_SCRUB_PREFIXES):
            continue
        env[k] = v
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env["LC_ALL"] = "C.UTF-8"
    env["GSETTINGS_BACKEND"] = "memory"
    env["NO_AT_BRIDGE"] = "1"
    return env


def _read_line(stream, deadline, what):
    """One line from a pipe, waiting at most until deadline."""
    buf = b""
    fd = stream.fileno()
    while not buf.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            raise Failure(f"timed out waiting for {what} (read so far: {buf!r})")
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            continue
        b = os.read(fd, 1)
        if not b:
            raise Failure(f"{what}: the process closed its output (read so far: {buf!r})")
        buf += b
    return buf.decode().rstrip("\n")


def project_version():
    """version: '…' of the project() call in meson.build."""
    with open(os.path.join(SRCDIR, "meson.build")) as f:
        text = f.read()
    m = re.search(r"project\s*\((.*?)\)", text, re.S)
    v = re.search(r"version\s*:\s*'([^']+)'", m.group(1)) if m else None
    if v is None:
        raise Failure("cannot find the project version in meson.build")
    return v.group(1)


def proc_state(pid):
    """'R', 'S', 'Z'… or None when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
        return data.rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def pid_alive(pid):
    s = proc_state(pid)
    return s is not None and s not in ("Z", "X")


# --------------------------------------------------------------------------- emulator


class Emulator:
    """tests/hubemu/hubemu.py on --port 0, CDN on 127.0.0.2."""

    def __init__(self, tmp, extra_args=()):
        self.state = os.path.join(tmp, "emu-state")
        self.log_path = os.path.join(tmp, "hubemu.log")
        self._log = open(self.log_path, "wb")
        argv = [PYTHON, HUBEMU, "--port", "0", "--cdn-host", "127.0.0.2", "--state", self.state,
                "--verbose", *extra_args]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self._log,
                                     stdin=subprocess.DEVNULL, env=_clean_env(),
                                     start_new_session=True)
        deadline = time.monotonic() + 30
        try:
            line1 = _read_line(self.proc.stdout, deadline, "the emulator's listening line")
            line2 = _read_line(self.proc.stdout, deadline, "the emulator's cdn line")
        except Failure:
            self.stop()
            raise Failure("hubemu did not start: " + " | ".join(tail(self.log_path, 10)))
        m1 = re.match(r"hubemu listening on (http://\S+)$", line1)
        m2 = re.match(r"hubemu cdn on (http://\S+)$", line2)
        if not m1 or not m2:
            self.stop()
            raise Failure(f"unexpected emulator output: {line1!r} {line2!r}")
        self.url = m1.group(1)
        self.cdn_url = m2.group(1)
        self.host = urllib.parse.urlparse(self.url).netloc
        self.cdn_host = urllib.parse.urlparse(self.cdn_url).netloc

    def log_offset(self):
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def request(self, method, path, body=None, timeout=120):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            raise Failure(f"emulator {method} {path}: {e.code} {e.read()[:500]!r}") from None
        return json.loads(raw) if raw.strip() else None

    def seed(self, spec):
        """Creates repos (an object or a list); returns their description
        (a dict, or a list for a list)."""
        return self.request("POST", "/_emu/seed", spec)

    def add_fault(self, spec):
        """Adds a fault (object) or several (list); returns the fault ids."""
        r = self.request("POST", "/_emu/faults", spec)
        return [f["id"] for f in r["faults"]]

    def faults(self):
        return self.request("GET", "/_emu/faults")

    def fault(self, fid):
        faults = self.faults()
        faults = faults.get("faults", faults) if isinstance(faults, dict) else faults
        for f in faults:
            if f.get("id") == fid:
                return f
        return None

    def clear_faults(self):
        self.request("DELETE", "/_emu/faults")

    def counters(self):
        return self.request("GET", "/_emu/counters")

    def reset_counters(self):
        self.request("DELETE", "/_emu/counters")

    def set_config(self, cfg):
        return self.request("POST", "/_emu/config", cfg)

    def reset(self):
        self.request("POST", "/_emu/reset", {})

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.proc.stdout:
            self.proc.stdout.close()
        self._log.close()


def cdn_paths(counters):
    """{path: stats} of the CDN host."""
    return counters.get("hosts", {}).get("cdn", {}).get("paths", {}) or {}


def main_paths(counters):
    return counters.get("hosts", {}).get("main", {}).get("paths", {}) or {}


def gets(stats):
    return (stats.get("methods") or {}).get("GET", 0)


# --------------------------------------------------------------------------- rewriting proxy


class RewriteProxy:
    """An HTTP endpoint in front of the emulator that rewrites strings in its
    JSON answers, e.g. to list a file named "../evil.txt" that the emulator
    refuses to store. Everything else passes through unchanged (redirects to
    the CDN are absolute and go to the emulator's CDN directly)."""

    def __init__(self, upstream, replacements):
        self.upstream = urllib.parse.urlparse(upstream)
        self.replacements = [(json.dumps(a).encode(), json.dumps(b).encode())
                             for a, b in replacements.items()]
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _forward(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("connection", "keep-alive", "host",
                                                "transfer-encoding")}
                conn = http.client.HTTPConnection(proxy.upstream.hostname,
                                                  proxy.upstream.port, timeout=60)
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    ctype = resp.getheader("Content-Type") or ""
                    if "json" in ctype:
                        for a, b in proxy.replacements:
                            data = data.replace(a, b)
                    self.send_response(resp.status, resp.reason)
                    for k, v in resp.getheaders():
                        if k.lower() in ("connection", "keep-alive", "transfer-encoding",
                                         "content-length", "date", "server"):
                            continue
                        self.send_header(k, v)
                    if self.command == "HEAD":
                        self.send_header("Content-Length",
                                         resp.getheader("Content-Length") or "0")
                    else:
                        self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                finally:
                    conn.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


# --------------------------------------------------------------------------- processes


class Daemon:
    def __init__(self, case, proc, log_path, label):
        self.case = case
        self.proc = proc
        self.pid = proc.pid
        self.log_path = log_path
        self.label = label

    def alive(self):
        return self.proc.poll() is None

    def signal(self, sig):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait_exit(self, timeout, what="hfhubd to exit"):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise Failure(f"timed out after {timeout:g} s waiting for {what} "
                          f"(pid {self.pid})") from None

    def terminate(self, timeout=15):
        """SIGTERM and wait; returns the exit status."""
        self.signal(signal.SIGTERM)
        return self.wait_exit(timeout, "hfhubd to exit after SIGTERM")

    def kill(self):
        """SIGKILL and reap."""
        self.signal(signal.SIGKILL)
        return self.wait_exit(10, "hfhubd to die after SIGKILL")

    def stop(self):
        if self.proc.poll() is not None:
            return
        self.signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


class CliResult:
    def __init__(self, argv, rc, stdout, stderr, elapsed):
        self.argv = argv
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.elapsed = elapsed
        self.json = None
        try:
            self.json = json.loads(stdout) if stdout.strip() else None
        except ValueError:
            self.json = None

    @property
    def error_name(self):
        """The error name of {"error": …} or of a failed job object."""
        j = self.json
        if isinstance(j, dict) and isinstance(j.get("error"), dict):
            return j["error"].get("name")
        return None

    @property
    def error_message(self):
        j = self.json
        if isinstance(j, dict) and isinstance(j.get("error"), dict):
            return j["error"].get("message") or ""
        return ""

    def describe(self):
        out = self.stdout.strip()
        if len(out) > 1500:
            out = out[:1500] + "…"
        return (f"$ {' '.join(self.argv)}\n→ exit {self.rc} in {self.elapsed:.2f} s\n"
                f"stdout: {out}\nstderr: {self.stderr.strip()[-1500:]}")


# --------------------------------------------------------------------------- one case


class Case:
    """Everything one test case owns: temp dirs, private bus, daemons, and
    (shared, reset between cases) the module's emulator."""

    def __init__(self, name, emu=None):
        self.name = name
        self.emu = emu
        self.tmp = tempfile.mkdtemp(prefix=f"hfhub-it-{name[5:25]}-")
        os.chmod(self.tmp, 0o700)
        self.home = self._mkdir("home")
        self.xdg_config = self._mkdir("home/.config")
        self.xdg_state = self._mkdir("home/.local/state")
        self.xdg_cache = self._mkdir("home/.cache")
        self.xdg_data = self._mkdir("home/.local/share")
        self.runtime = self._mkdir("run")
        os.chmod(self.runtime, 0o700)
        # the Hugging Face cache, a few levels down so that escapes are visible
        self.cache = os.path.join(self.tmp, "outer", "hf", "hub")
        self.endpoint = emu.url if emu else None
        self.bus_address = None
        self._bus_proc = None
        self._bus_log = None
        self.daemons = []
        self.foreign_pids = []     # daemons we did not spawn (autostart)
        self.cli_log = []
        self.notes = []
        self.cleanups = []
        self.emu_log_start = emu.log_offset() if emu else 0
        self._n = 0

    def _mkdir(self, rel):
        p = os.path.join(self.tmp, rel)
        os.makedirs(p, exist_ok=True)
        return p

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def note(self, text):
        self.notes.append(str(text))

    # ---- environment

    def base_env(self):
        env = _clean_env()
        env.update({
            "HOME": self.home,
            "XDG_CONFIG_HOME": self.xdg_config,
            "XDG_STATE_HOME": self.xdg_state,
            "XDG_CACHE_HOME": self.xdg_cache,
            "XDG_DATA_HOME": self.xdg_data,
            "XDG_RUNTIME_DIR": self.runtime,
            "HFHUBD": HFHUBD,
        })
        return env

    @staticmethod
    def _apply(env, extra):
        for k, v in (extra or {}).items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = str(v)
        return env

    def write_config(self, sections):
        """$XDG_CONFIG_HOME/hfhub/hfhubd.conf from {"daemon": {"idle-timeout": 1}, …}."""
        d = os.path.join(self.xdg_config, "hfhub")
        os.makedirs(d, exist_ok=True)
        p = os.path.join(d, "hfhubd.conf")
        with open(p, "w") as f:
            for group, keys in sections.items():
                f.write(f"[{group}]\n")
                for k, v in keys.items():
                    if isinstance(v, bool):
                        v = "true" if v else "false"
                    f.write(f"{k}={v}\n")
                f.write("\n")
        return p

    # ---- private session bus

    def start_bus(self):
        if self.bus_address:
            return self.bus_address
        busdir = self._mkdir("bus")
        services = self._mkdir("bus/services")  # empty: nothing is activatable
        conf = os.path.join(busdir, "session.conf")
        with open(conf, "w") as f:
            f.write(f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:dir={busdir}</listen>
  <auth>EXTERNAL</auth>
  <servicedir>{services}</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
""")
        self._bus_log = open(os.path.join(busdir, "dbus-daemon.log"), "wb")
        self._bus_proc = subprocess.Popen(
            ["dbus-daemon", f"--config-file={conf}", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE, stderr=self._bus_log, stdin=subprocess.DEVNULL,
            env=self.base_env(), start_new_session=True)
        line = _read_line(self._bus_proc.stdout, time.monotonic() + 15, "dbus-daemon's address")
        self.bus_address = line.strip()
        return self.bus_address

    def bus_env(self):
        env = self.base_env()
        env["DBUS_SESSION_BUS_ADDRESS"] = self.start_bus()
        return env

    def gdbus(self, *args, timeout=30, log=True):
        """gdbus ARGS on our bus → (rc, stdout, stderr)."""
        p = subprocess.run(["gdbus", *args], env=self.bus_env(), capture_output=True,
                           text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if log:
            self.cli_log.append(CliResult(["gdbus", *args], p.returncode, p.stdout, p.stderr,
                                          0))
        return p.returncode, p.stdout, p.stderr

    def gdbus_call(self, path, method, *args, dest=BUS_NAME, timeout=30, log=True):
        return self.gdbus("call", "--session", "--dest", dest, "--object-path", path,
                          "--method", method, *args, timeout=timeout, log=log)

    def name_owner(self, name=BUS_NAME):
        rc, out, _ = self.gdbus_call("/org/freedesktop/DBus", "org.freedesktop.DBus.GetNameOwner",
                                     name, dest="org.freedesktop.DBus", log=False)
        if rc != 0:
            return None
        m = re.search(r"'([^']+)'", out)
        return m.group(1) if m else None

    def connection_pid(self, unique_name):
        rc, out, _ = self.gdbus_call("/org/freedesktop/DBus",
                                     "org.freedesktop.DBus.GetConnectionUnixProcessID",
                                     unique_name, dest="org.freedesktop.DBus", log=False)
        m = re.search(r"uint32 (\d+)", out) if rc == 0 else None
        return int(m.group(1)) if m else None

    # ---- daemon

    def daemon_env(self, env=None, token=None):
        e = self.bus_env()
        if self.endpoint:
            e["HF_ENDPOINT"] = self.endpoint
        e["HF_HUB_CACHE"] = self.cache
        if token:
            e["HF_TOKEN"] = token
        return self._apply(e, env)

    def spawn_daemon(self, args=(), env=None, token=None, label=None):
        """Starts hfhubd --verbose ARGS on our bus; does not wait."""
        self._n += 1
        label = label or f"hfhubd#{self._n}"
        log_path = self.path(f"hfhubd-{self._n}.log")
        log = open(log_path, "wb")
        proc = subprocess.Popen([HFHUBD, "--verbose", *args], stdout=log, stderr=log,
                                stdin=subprocess.DEVNULL,
                                env=self.daemon_env(env, token), start_new_session=True)
        log.close()
        d = Daemon(self, proc, log_path, label)
        self.daemons.append(d)
        return d

    def start_daemon(self, args=(), env=None, token=None, timeout=15):
        """Starts hfhubd and waits until it owns io.github.hfhub.Hub1."""
        d = self.spawn_daemon(args, env, token)
        self.wait_daemon_ready(d, timeout)
        return d

    def wait_daemon_ready(self, d, timeout=15, previous_owner=None):
        """Until d owns the bus name (and, with previous_owner, a new owner)."""
        deadline = time.monotonic() + timeout
        waiter = subprocess.Popen(["gdbus", "wait", "--session", "--timeout", str(int(timeout)),
                                   BUS_NAME], env=self.bus_env(), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        try:
            while True:
                if d.proc.poll() is not None:
                    raise Failure(f"{d.label} exited with status {d.proc.returncode} before "
                                  f"owning {BUS_NAME}")
                if waiter.poll() is not None:
                    if waiter.returncode != 0:
                        raise Failure(f"{BUS_NAME} did not appear within {timeout} s")
                    owner = self.name_owner()
                    if owner and self.connection_pid(owner) == d.pid:
                        return owner
                if time.monotonic() > deadline:
                    raise Failure(f"{d.label} did not own {BUS_NAME} within {timeout} s")
                time.sleep(0.03)
        finally:
            if waiter.poll() is None:
                waiter.kill()
            waiter.wait()

    # ---- CLI

    def cli_env(self, env=None, bus=True):
        e = self.bus_env() if bus else self.base_env()
        if self.endpoint:
            e["HF_ENDPOINT"] = self.endpoint
        e["HF_HUB_CACHE"] = self.cache
        e["HFHUB_NO_AUTOSTART"] = "1"
        return self._apply(e, env)

    def cli(self, *args, env=None, json_out=True, timeout=60, bus=True, cwd=None):
        """hfhub [--json] ARGS → CliResult (rc, json, stdout, stderr)."""
        argv = [HFHUB_CLI] + (["--json"] if json_out else []) + [str(a) for a in args]
        t0 = time.monotonic()
        try:
            p = subprocess.run(argv, env=self.cli_env(env, bus), capture_output=True, text=True,
                               timeout=timeout, stdin=subprocess.DEVNULL, cwd=cwd or self.tmp)
        except subprocess.TimeoutExpired as e:
            r = CliResult(argv, None, (e.stdout or b"").decode("utf-8", "replace")
                          if isinstance(e.stdout, bytes) else (e.stdout or ""),
                          (e.stderr or b"").decode("utf-8", "replace")
                          if isinstance(e.stderr, bytes) else (e.stderr or ""),
                          time.monotonic() - t0)
            self.cli_log.append(r)
            raise Failure(f"hfhub {' '.join(map(str, args))} did not finish within "
                          f"{timeout} s") from None
        r = CliResult(argv, p.returncode, p.stdout, p.stderr, time.monotonic() - t0)
        self.cli_log.append(r)
        return r

    # ---- jobs

    def job(self, job_id):
        r = self.cli("jobs", "show", job_id)
        if r.rc != 0 or not isinstance(r.json, dict) or "state" not in r.json:
            raise Failure(f"hfhub jobs show {job_id} failed: exit {r.rc}, {r.stdout.strip()}")
        return r.json

    def jobs(self):
        r = self.cli("jobs", "ls")
        if r.rc != 0 or not isinstance(r.json, dict) or not isinstance(r.json.get("jobs"), list):
            raise Failure(f"hfhub jobs ls failed: exit {r.rc}, {r.stdout.strip()}")
        return r.json["jobs"]

    def cli_on_terminal(self, args, stream="stdout", env=None, timeout=60):
        """hfhub ARGS with @stream ("stdout" or "stderr") on a pseudo-terminal
        → (exit status, what it drew there, the other stream)."""
        leader, follower = pty.openpty()
        other = subprocess.PIPE
        p = subprocess.Popen([HFHUB_CLI] + [str(a) for a in args], env=self.cli_env(env),
                             stdin=subprocess.DEVNULL, cwd=self.tmp,
                             stdout=follower if stream == "stdout" else other,
                             stderr=follower if stream == "stderr" else other)
        os.close(follower)
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the last writer is gone
                break
            if not chunk:
                break
            drawn += chunk
        os.close(leader)
        pipe = p.stderr if stream == "stdout" else p.stdout
        rest = pipe.read()
        pipe.close()
        return p.wait(timeout), drawn.decode("utf-8", "replace"), rest.decode("utf-8", "replace")

    def stored_job_files(self, job_id):
        """The job's file rows as the daemon last committed them to its
        store, read-only: what a daemon started now would find."""
        db = os.path.join(self.xdg_state, "hfhub", "hfhub.db")
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        try:
            rows = con.execute("SELECT path, oid, state, transfer FROM job_files "
                               "WHERE job_id = ?", (int(job_id),)).fetchall()
        finally:
            con.close()
        return [{"path": p, "oid": o, "state": st,
                 "transfer": json.loads(tr) if tr else None} for p, o, st, tr in rows]

    def job_not_final(self, job_id):
        """Fails at once when the job already finished (for waits on
        something that must happen while it runs)."""
        j = self.job(job_id)
        if j["state"] in FINAL_STATES:
            raise Failure(f"job {job_id} is already {j['state']} (error {j.get('error')}), "
                          "it should still be transferring")
        return j

    def wait_job(self, job_id, states=FINAL_STATES, timeout=60):
        """Polls jobs show until the state is one of states; returns the job."""
        def probe():
            j = self.job(job_id)
            return j if j["state"] in states else None
        try:
            return wait_for(probe, timeout, f"job {job_id} to be {'/'.join(states)}",
                            interval=0.1)
        except Failure:
            try:
                j = self.job(job_id)
                self.note(f"job {job_id} now: state={j['state']} reason={j['state_reason']!r} "
                          f"bytes {j['bytes_done']}/{j['bytes_total']} error={j['error']}")
            except Failure:
                pass
            raise

    # ---- downloads

    def download(self, repo, *files, args=(), env=None, timeout=30):
        """hfhub --json download REPO FILES ARGS → CliResult (final job object)."""
        r = self.cli("download", repo, *files, *args, env=env, timeout=timeout)
        require_job(r)
        return r

    def snapshot_dir(self, repo_id, commit, repo_type="model"):
        return os.path.join(self.cache, repo_folder(repo_id, repo_type), "snapshots", commit)

    def repo_dir(self, repo_id, repo_type="model"):
        return os.path.join(self.cache, repo_folder(repo_id, repo_type))

    # ---- processes found by environment (autostarted daemons)

    def find_our_daemons(self):
        """PIDs of hfhubd processes running with our XDG_RUNTIME_DIR."""
        marker = f"XDG_RUNTIME_DIR={self.runtime}".encode()
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            try:
                with open(f"/proc/{pid}/environ", "rb") as f:
                    environ = f.read().split(b"\0")
                exe = os.readlink(f"/proc/{pid}/exe")
            except OSError:
                continue
            if marker in environ and os.path.basename(exe).startswith("hfhubd") \
                    and pid_alive(pid):
                found.append(pid)
        return found

    def adopt_pid(self, pid):
        if pid not in self.foreign_pids:
            self.foreign_pids.append(pid)

    # ---- teardown

    def diagnostics(self):
        lines = []
        for n in self.notes:
            lines += n.splitlines()
        for d in self.daemons:
            lines.append(f"--- {d.label} (pid {d.pid}, "
                         f"{'running' if d.alive() else 'exit ' + str(d.proc.returncode)}) "
                         f"log tail:")
            lines += daemon_log_tail(d.log_path, 40)
        peer_log = os.path.join(self.xdg_state, "hfhub", "hfhubd.log")
        if os.path.exists(peer_log):
            lines.append("--- hfhubd.log (peer mode) tail:")
            lines += tail(peer_log, 30)
        if self.cli_log:
            lines.append("--- last CLI calls:")
            for r in self.cli_log[-4:]:
                lines += r.describe().splitlines()
        if self.emu:
            lines.append("--- emulator requests during this case (tail):")
            lines += tail(self.emu.log_path, 30, start=self.emu_log_start)
        return lines

    def close(self, keep=False):
        for fn in reversed(self.cleanups):
            try:
                fn()
            except Exception:  # noqa: BLE001
                pass
        for d in self.daemons:
            d.stop()
        for pid in self.foreign_pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                continue
            deadline = time.monotonic() + 10
            while pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if pid_alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        if self._bus_proc is not None:
            self._bus_proc.terminate()
            try:
                self._bus_proc.wait(10)
            except subprocess.TimeoutExpired:
                self._bus_proc.kill()
                self._bus_proc.wait()
            self._bus_proc.stdout.close()
            self._bus_log.close()
        if keep:
            print(f"# kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def require_job(r):
    """Fails with a clear message unless r printed a job object."""
    if isinstance(r.json, dict) and "state" in r.json and "id" in r.json:
        return r.json
    raise Failure(f"expected a job object from `{' '.join(r.argv[1:])}`, got exit {r.rc}: "
                  f"{r.stdout.strip()[:800]} {r.stderr.strip()[:800]}")


def expect_succeeded(r):
    job = require_job(r)
    if job["state"] != "succeeded" or r.rc != 0:
        raise Failure(f"expected the job to succeed (exit 0), got state {job['state']!r} "
                      f"exit {r.rc}, error {job.get('error')}")
    return job


def expect_failed(r, error_name):
    job = require_job(r)
    err = job.get("error") or {}
    if job["state"] != "failed" or err.get("name") != error_name:
        raise Failure(f"expected the job to fail with {error_name}, got state "
                      f"{job['state']!r} error {err}")
    if r.rc == 0:
        raise Failure("a failed job must not exit 0")
    return job


# --------------------------------------------------------------------------- runner


def _tests(g):
    fns = [(f.__code__.co_firstlineno, name, f) for name, f in g.items()
           if name.startswith("test_") and callable(f)]
    return [(name, f) for _, name, f in sorted(fns)]


def main(module_globals, emulator=False, emulator_args=()):
    tests = _tests(module_globals)
    wanted = [a for a in sys.argv[1:] if not a.startswith("-")]
    if wanted:
        tests = [(n, f) for n, f in tests if any(w in n for w in wanted)]
    keep = os.environ.get("HFHUB_IT_KEEP") == "1"
    print(f"1..{len(tests)}", flush=True)
    for path in (HFHUBD, HFHUB_CLI, HUBEMU):
        if not os.path.exists(path):
            for i, (name, _) in enumerate(tests, 1):
                print(f"not ok {i} - {name}\n# missing {path}: build first (ninja -C _build)")
            return 1
    emu = None
    emu_tmp = None
    setup_error = None
    if emulator:
        emu_tmp = tempfile.mkdtemp(prefix="hfhub-it-emu-")
        try:
            emu = Emulator(emu_tmp, emulator_args)
        except Exception as e:  # noqa: BLE001
            setup_error = f"cannot start the Hub emulator: {e}"
    failed = 0
    for i, (name, fn) in enumerate(tests, 1):
        if setup_error:
            print(f"not ok {i} - {name}\n# {setup_error}", flush=True)
            failed += 1
            continue
        if emu is not None:
            try:
                emu.reset()
            except Exception as e:  # noqa: BLE001
                print(f"not ok {i} - {name}\n# emulator reset failed: {e}", flush=True)
                failed += 1
                continue
        case = Case(name, emu)
        t0 = time.monotonic()
        ok = True
        lines = []
        try:
            fn(case)
        except Exception as e:  # noqa: BLE001
            ok = False
            if isinstance(e, Failure):
                lines.append(f"FAILED: {e}")
                tb = traceback.extract_tb(e.__traceback__)
                here = [fr for fr in tb if fr.filename != __file__] or tb
                lines.append(f"at {os.path.basename(here[-1].filename)}:{here[-1].lineno} "
                             f"in {here[-1].name}")
            else:
                lines += traceback.format_exc().splitlines()
            try:
                lines += case.diagnostics()
            except Exception as e2:  # noqa: BLE001
                lines.append(f"(diagnostics failed: {e2})")
        finally:
            try:
                case.close(keep=keep and not ok)
            except Exception as e:  # noqa: BLE001
                lines.append(f"cleanup failed: {e}")
        dt = time.monotonic() - t0
        if ok:
            print(f"ok {i} - {name}\n# {dt:.1f} s", flush=True)
            for n in case.notes:
                print("# " + n.replace("\n", " "), flush=True)
        else:
            failed += 1
            print(f"not ok {i} - {name}\n# {dt:.1f} s")
            for line in lines:
                print("# " + line.replace("\n", " "))
            sys.stdout.flush()
    if emu is not None:
        emu.stop()
    if emu_tmp:
        shutil.rmtree(emu_tmp, ignore_errors=True)
    return 1 if failed else 0
