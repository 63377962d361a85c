#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""hubemu: a local Hugging Face Hub emulator for hfhub's tests.

Python 3 standard library only. Two HTTP/1.1 keep-alive listeners:
  main  (--host, default 127.0.0.1): the Hub API, resolve/raw, git-LFS batch;
  cdn   (--cdn-host, default 127.0.0.2): signed LFS download/upload URLs, so
        the resolve redirect of an LFS file is a real cross-host hop.
Test control lives under /_emu/ on the main listener (see README.md).

Default users (replace or extend with --user NAME:TOKEN:ROLE, drop them with
--no-default-users):
  alice  hf_alice_write_token  write   (member of org "acme")
  bob    hf_bob_read_token     read
  carol  hf_carol_write_token  write   (no org)
Default org: acme (members: alice); add more with --org ORG:USER[,USER...].

When ready it prints, flushed, exactly:
  hubemu listening on http://HOST:PORT
  hubemu cdn on http://CDN_HOST:CDN_PORT
"""

import argparse
import email.utils
import http
import http.server
import ipaddress
import json
import os
import select
import shutil
import signal
import socket
import struct
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hubemu_api import HubRoutes, Response, FileBody, json_response  # noqa: E402
from hubemu_faults import Counters, FaultError, FaultSet  # noqa: E402
from hubemu_store import BlobStore, Hub, HubError  # noqa: E402
from hubemu_seed import seed_repo  # noqa: E402

DEFAULT_USERS = [
    ("alice", "hf_alice_write_token", "write"),
    ("bob", "hf_bob_read_token", "read"),
    ("carol", "hf_carol_write_token", "write"),
]
DEFAULT_ORGS = [("acme", {"alice"})]

MAX_JSON_BODY = 1 << 30


class AbortConnection(Exception):
    """Raised to drop the connection without answering (reset faults)."""


class Emulator:
    def __init__(self, state_dir, users, orgs):
        self.state_dir = state_dir
        self.blobs = BlobStore(state_dir)
        self.hub = Hub(self.blobs, users, orgs)
        self.faults = FaultSet()
        self.counters = Counters()
        self.secret = os.urandom(32)
        self.multipart = {}  # upload id -> dict
        self.mp_lock = threading.Lock()
        self.main_url = ""
        self.cdn_url = ""
        self.verbose = False

    def reset(self):
        self.hub.reset()
        self.faults.clear()
        self.counters.reset()
        with self.mp_lock:
            for up in self.multipart.values():
                shutil.rmtree(up["dir"], ignore_errors=True)
            self.multipart = {}


class Handler(HubRoutes, http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hubemu"
    sys_version = ""

    # ------------------------------------------------------------------ plumbing
    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):
        if self.server.emu.verbose:
            sys.stderr.write("hubemu %s %s\n" % (self.server.role, fmt % args))

    def do_GET(self):
        self.dispatch()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def dispatch(self):
        self.emu = self.server.emu
        self.hub = self.emu.hub
        self.role = self.server.role
        self.fault = None
        self.body_started = False
        self.body_done = False
        self.req_bytes = 0
        self.user = None
        self.counted = False  # control requests are neither counted nor faulted
        raw, _, qs = self.path.partition("?")
        if raw.startswith("http://") or raw.startswith("https://"):
            raw = "/" + raw.split("/", 3)[3] if raw.count("/") >= 3 else "/"
        self.raw_path = raw
        self.query_string = qs
        self.query = urllib.parse.parse_qs(qs, keep_blank_values=True)
        try:
            if self.role == "main" and (raw == "/_emu" or raw.startswith("/_emu/")):
                self.send(self.control())
                return
            self.counted = True
            self.emu.counters.request(
                self.role, self.command, raw, self.headers.get("Range"),
                self.headers.get("Authorization") is not None)
            fault = self.emu.faults.take(self.role, self.command, raw)
            if fault is not None and self.pre_fault(fault):
                return
            resp = self.route()
        except AbortConnection:
            self.hard_close(rst=getattr(self, "_rst", False))
            return
        except HubError as e:
            resp = self.error_response(e)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            return
        except Exception:  # a bug: answer 500 and say where
            traceback.print_exc()
            resp = json_response({"error": "hubemu internal error: "
                                  + traceback.format_exc().splitlines()[-1]}, 500)
        try:
            self.send(resp)
        except AbortConnection:
            self.hard_close(rst=getattr(self, "_rst", False))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # ------------------------------------------------------------------ faults
    def pre_fault(self, f):
        """Apply what happens before the handler runs; True when answered."""
        self._rst = f.rst
        if f.kind in ("status", "ratelimit"):
            self.drain()
            self.send(self.fault_response(f))
            return True
        if f.direction == "request":
            self.fault = f  # acted upon while reading the request body
            return False
        if f.kind == "reset" and f.after_bytes is None:
            raise AbortConnection()
        if f.kind == "stall" and f.after_bytes is None:
            time.sleep(f.seconds)
            return False
        self.fault = f
        return False

    def fault_response(self, f):
        headers = dict(f.headers)
        if f.kind == "ratelimit":
            t = f.retry_after
            headers.setdefault("Retry-After", str(t))
            headers.setdefault("RateLimit", f'"{f.rl_type}";r=0;t={t}')
            headers.setdefault("RateLimit-Policy",
                               f'"fixed window";"{f.rl_type}";q={f.rl_quota};w={f.rl_window}')
            body = f.body if f.body is not None else {
                "error": f"You have been rate-limited; you can retry this action in {t} "
                         "seconds. (hubemu injected fault)"}
            status = f.status
        else:
            status = f.status
            body = f.body if f.body is not None else {
                "error": f"{status} {_phrase(status)} (hubemu injected fault)"}
        if isinstance(body, (dict, list)):
            resp = json_response(body, status)
        else:
            resp = Response(status, body=str(body).encode())
            ctype = headers.pop("Content-Type", "text/plain; charset=utf-8")
            resp.headers.append(("Content-Type", ctype))
        for k, v in headers.items():
            resp.set(k, v)
        return resp

    def hard_close(self, rst=False):
        self.close_connection = True
        try:
            if rst:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # ------------------------------------------------------------------ request bodies
    def body_chunks(self):
        """Yield the request body (Content-Length or chunked); fault-aware."""
        if self.body_started:
            return
        self.body_started = True
        f = self.fault if (self.fault and self.fault.direction == "request") else None
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            source = self._chunked()
        else:
            source = self._sized(int(self.headers.get("Content-Length") or 0))
        for chunk in source:
            if f is not None:
                room = (f.after_bytes or 0) - self.req_bytes
                if 0 <= room < len(chunk):
                    if room:
                        self.req_bytes += room
                        yield chunk[:room]
                    chunk = chunk[room:]
                    if f.kind in ("reset", "truncate"):
                        raise AbortConnection()
                    if f.kind == "stall":
                        time.sleep(f.seconds)
                    f = None
            self.req_bytes += len(chunk)
            yield chunk
        if f is not None and f.kind in ("reset", "truncate"):
            raise AbortConnection()  # the body was shorter than after_bytes
        if f is not None and f.kind == "stall":
            time.sleep(f.seconds)
        self.body_done = True

    def _sized(self, n):
        while n > 0:
            chunk = self.rfile.read(min(n, 1 << 20))
            if not chunk:
                raise ConnectionResetError("client closed during body")
            n -= len(chunk)
            yield chunk

    def _chunked(self):
        while True:
            line = self.rfile.readline(1024)
            if not line:
                raise ConnectionResetError("client closed during chunked body")
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
                    pass
                return
            yield from self._sized(size)
            self.rfile.readline(8)

    def read_body(self, limit=MAX_JSON_BODY):
        out = bytearray()
        for chunk in self.body_chunks():
            out += chunk
            if len(out) > limit:
                raise HubError(413, "Payload Too Large")
        return bytes(out)

    def drain(self):
        if not self.body_started:
            for _ in self.body_chunks():
                pass

    def read_json(self, default=None):
        raw = self.body_bytes if hasattr(self, "body_bytes") else self.read_body()
        if not raw.strip():
            return default
        try:
            return json.loads(raw)
        except ValueError:
            raise HubError(400, "Invalid JSON body") from None

    # ------------------------------------------------------------------ responses
    def send(self, resp):
        if not self.body_started:
            self.drain()
        body = resp.body
        if isinstance(body, FileBody):
            length = body.length
        else:
            body = body or b""
            length = len(body)
        if self.role == "main":
            self.main_headers(resp)
        else:
            self.cdn_headers(resp)
        if resp.close or self.close_connection:
            self.close_connection = True
            resp.set("Connection", "close")
        status = resp.status
        lines = [f"HTTP/1.1 {status} {_phrase(status)}",
                 "Date: " + email.utils.formatdate(usegmt=True)]
        names = {k.lower() for k, _ in resp.headers}
        if "content-length" not in names and status >= 200 and status not in (204, 304):
            resp.headers.append(("Content-Length", str(length)))
        lines += [f"{k}: {v}" for k, v in resp.headers]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        if self.counted:
            self.emu.counters.status(self.role, self.raw_path, status)
        if self.emu.verbose:
            self.log_message('"%s" %s %s', self.requestline, status, length)
        f = self.fault if (self.fault and self.fault.direction == "response") else None
        sock = self.connection
        if self.command == "HEAD" or status in (204, 304) or status < 200:
            sock.sendall(head)
            if f is not None and f.kind in ("reset", "truncate"):
                raise AbortConnection()
            if f is not None and f.kind == "stall":
                time.sleep(f.seconds)
            return
        if f is None:
            if not isinstance(body, FileBody) and length <= 256 * 1024:
                sock.sendall(head + body)
                self.served(length)
            else:
                sock.sendall(head)
                self.emit(body, 0, length)
            return
        sock.sendall(head)
        n = min(f.after_bytes if f.after_bytes is not None else 0, length)
        if f.kind in ("reset", "truncate"):
            self.emit(body, 0, n)
            raise AbortConnection()
        if f.kind == "stall":
            self.emit(body, 0, n)
            time.sleep(f.seconds)
            self.emit(body, n, length)
            return
        if f.kind == "corrupt":
            off = min(f.offset, length)
            end = min(off + max(f.count, 0), length)
            self.emit(body, 0, off)
            if end > off:
                if isinstance(body, FileBody):
                    fd = os.open(body.path, os.O_RDONLY)
                    try:
                        orig = os.pread(fd, end - off, body.offset + off)
                    finally:
                        os.close(fd)
                else:
                    orig = bytes(body[off:end])
                sock.sendall(bytes(b ^ 0xFF for b in orig))
                self.served(end - off)
            self.emit(body, end, length)
            return
        if f.kind == "throttle":
            self.emit_paced(body, 0, length, f.rate, f.chunk)
            return
        self.emit(body, 0, length)

    def emit(self, body, lo, hi):
        if hi <= lo:
            return
        if isinstance(body, FileBody):
            fd = os.open(body.path, os.O_RDONLY)
            out = self.connection.fileno()
            sent, count, offset = 0, hi - lo, body.offset + lo
            try:
                while sent < count:
                    try:
                        n = os.sendfile(out, fd, offset + sent, min(count - sent, 1 << 30))
                    except (BlockingIOError, InterruptedError):
                        select.select([], [out], [], 30)
                        continue
                    if n == 0:
                        raise ConnectionResetError("blob shorter than announced")
                    sent += n
            finally:
                os.close(fd)
                self.served(sent)
        else:
            self.connection.sendall(memoryview(body)[lo:hi])
            self.served(hi - lo)

    def emit_paced(self, body, lo, hi, rate, chunk):
        """Writes body[lo:hi] in steps of @chunk bytes, one step every
        chunk/rate seconds, like a link of @rate bytes/s: little waits in
        the socket buffers, and time lost while the reader lags (a blocked
        write) is not made up later in a burst. Each step is counted in
        bytes_served as soon as it is written."""
        due = time.monotonic()
        pos = lo
        while pos < hi:
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            end = min(pos + chunk, hi)
            self.emit(body, pos, end)
            due = max(due + (end - pos) / rate, time.monotonic())
            pos = end

    def served(self, n):
        if self.counted:
            self.emu.counters.served(self.role, self.raw_path, n)

    # ------------------------------------------------------------------ control API
    def control(self):
        self.body_bytes = self.read_body()
        parts = [p for p in self.raw_path.split("/")[2:] if p]
        what = parts[0] if parts else ""
        m = self.command
        emu = self.emu
        try:
            if what == "health" and m == "GET":
                return json_response({"ok": True, "main": emu.main_url, "cdn": emu.cdn_url,
                                      "state": emu.state_dir})
            if what == "seed" and m == "POST":
                spec = self.read_json()
                if isinstance(spec, list):
                    return json_response([seed_repo(emu, s) for s in spec])
                if not isinstance(spec, dict):
                    raise HubError(400, "seed expects a repo object or a list of them")
                return json_response(seed_repo(emu, spec))
            if what == "repos" and m == "GET":
                return json_response(self.describe_repos())
            if what == "faults":
                if m == "POST":
                    spec = self.read_json()
                    specs = spec if isinstance(spec, list) else [spec]
                    try:
                        added = [emu.faults.add(s).public() for s in specs]
                    except (FaultError, TypeError, ValueError) as e:
                        raise HubError(400, f"bad fault: {e}") from None
                    return json_response({"faults": added})
                if m == "GET":
                    return json_response({"faults": emu.faults.list()})
                if m == "DELETE":
                    emu.faults.clear(int(parts[1]) if len(parts) > 1 else None)
                    return json_response({"faults": emu.faults.list()})
            if what == "counters":
                if m == "GET":
                    return json_response(emu.counters.snapshot())
                if m == "DELETE":
                    emu.counters.reset()
                    return json_response({"ok": True})
            if what == "reset" and m == "POST":
                emu.reset()
                return json_response({"ok": True})
            if what == "config":
                if m == "POST":
                    upd = self.read_json({})
                    if not isinstance(upd, dict):
                        raise HubError(400, "config expects an object")
                    return json_response(self.hub.set_config(upd))
                if m == "GET":
                    return json_response(self.hub.config)
            if what == "users" and m == "POST":
                spec = self.read_json({})
                with self.hub.lock:
                    u = self.hub.add_user(spec["name"], spec["token"], spec.get("role", "write"))
                    for org in spec.get("orgs", []):
                        self.hub.add_org(org, {u.name})
                return json_response({"name": u.name, "role": u.role, "orgs": u.orgs})
            if what == "grant" and m == "POST":
                spec = self.read_json({})
                repo = self.hub.get(spec.get("type", "model"), spec.get("id"))
                if repo is None:
                    raise HubError(404, "no such repo")
                repo.granted.add(spec["user"])
                return json_response({"granted": sorted(repo.granted)})
        except (KeyError, TypeError) as e:
            raise HubError(400, f"bad control request: {e!r}") from None
        raise HubError(404, f"unknown control endpoint {m} {self.raw_path}")

    def describe_repos(self):
        out = []
        with self.hub.lock:
            for repo in self.hub.repos.values():
                out.append({
                    "type": repo.type, "id": repo.id, "private": repo.private,
                    "gated": repo.gated, "disabled": repo.disabled,
                    "branches": dict(repo.branches), "tags": dict(repo.tags),
                    "prs": {f"refs/pr/{n}": o for n, o in repo.prs.items()},
                    "lfs_objects": sorted(repo.lfs_objects),
                })
        return out


def _phrase(status):
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Status"


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, role, emu):
        self.role = role
        self.emu = emu
        super().__init__(addr, Handler)

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (BrokenPipeError, ConnectionResetError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="hubemu.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, required=True, help="main port (0 = pick a free one)")
    p.add_argument("--host", default="127.0.0.1", help="main listener address (default 127.0.0.1)")
    p.add_argument("--cdn-host", default="127.0.0.2",
                   help="CDN listener address, on its own free port (default 127.0.0.2)")
    p.add_argument("--cdn-port", type=int, default=0, help="CDN port (default: a free one)")
    p.add_argument("--state", metavar="DIR",
                   help="blob store directory, kept across runs (default: a temp dir "
                        "removed at exit)")
    p.add_argument("--user", action="append", default=[], metavar="NAME:TOKEN:ROLE",
                   help="add a user; ROLE is read or write (repeatable)")
    p.add_argument("--org", action="append", default=[], metavar="ORG:USER[,USER]",
                   help="add an organisation and its members (repeatable)")
    p.add_argument("--no-default-users", action="store_true",
                   help="start without alice, bob, carol and org acme")
    p.add_argument("--seed", action="append", default=[], metavar="FILE.json",
                   help="seed repos from a JSON file (an object or a list; repeatable)")
    p.add_argument("--config", metavar="JSON",
                   help='initial /_emu/config (also restored by /_emu/reset), '
                        'e.g. \'{"tree_page_size": 2}\'')
    p.add_argument("--verbose", action="store_true", help="log every request on stderr")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    users = [] if args.no_default_users else list(DEFAULT_USERS)
    orgs = [] if args.no_default_users else [(o, set(m)) for o, m in DEFAULT_ORGS]
    for spec in args.user:
        try:
            name, token, role = spec.split(":")
        except ValueError:
            sys.exit(f"hubemu: --user wants NAME:TOKEN:ROLE, got {spec!r}")
        if role not in ("read", "write"):
            sys.exit(f"hubemu: role must be read or write, got {role!r}")
        if not token.startswith("hf_"):
            print(f"hubemu: warning: token of {name} does not start with hf_ "
                  "(the JS client refuses such tokens)", file=sys.stderr)
        users = [u for u in users if u[0] != name] + [(name, token, role)]
    for spec in args.org:
        org, _, members = spec.partition(":")
        orgs.append((org, {m for m in members.split(",") if m}))

    for host in (args.host, args.cdn_host):
        try:
            loopback = ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
        except (OSError, ValueError):
            loopback = False
        if not loopback:
            sys.exit(f"hubemu: refusing to listen on {host}: loopback addresses only")

    tmp_state = None
    if args.state:
        state = os.path.abspath(args.state)
        os.makedirs(state, exist_ok=True)
    else:
        tmp_state = state = tempfile.mkdtemp(prefix="hubemu-")
    emu = Emulator(state, users, orgs)
    emu.verbose = args.verbose

    main_srv = Server((args.host, args.port), "main", emu)
    cdn_srv = Server((args.cdn_host, args.cdn_port), "cdn", emu)
    emu.main_url = f"http://{args.host}:{main_srv.server_address[1]}"
    emu.cdn_url = f"http://{args.cdn_host}:{cdn_srv.server_address[1]}"
    emu.hub.main_url = emu.main_url
    if args.config:
        emu.hub.set_config(json.loads(args.config))
        emu.hub.DEFAULT_CONFIG = dict(emu.hub.config)
    for path in args.seed:
        with open(path) as f:
            spec = json.load(f)
        for s in spec if isinstance(spec, list) else [spec]:
            seed_repo(emu, s)

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.2},
                                daemon=True) for s in (main_srv, cdn_srv)]
    for t in threads:
        t.start()
    print(f"hubemu listening on {emu.main_url}", flush=True)
    print(f"hubemu cdn on {emu.cdn_url}", flush=True)
    try:
        while not stop.wait(3600):
            pass
    finally:
        for s in (main_srv, cdn_srv):
            s.shutdown()
            s.server_close()
        if tmp_state:
            shutil.rmtree(tmp_state, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
