# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fault injection and request counters of the Hub emulator.

A fault matches requests by host ("main", "cdn" or "any"), method and path
(glob with fnmatch.fnmatchcase, where '*' also crosses '/', or a regular
expression searched with re.search). The path is the request path without
the query string; both the form sent on the wire and its percent-decoded
form are tried. The first matching fault (in insertion order) is taken; it
fires ``times`` times (an integer, "once", or "forever"), after letting
``skip`` matching requests through untouched.
"""

import fnmatch
import re
import threading
import urllib.parse

KINDS = ("reset", "status", "ratelimit", "stall", "corrupt", "truncate", "throttle")

# a throttled body is written in steps of at most this many bytes
THROTTLE_CHUNK = 64 * 1024


class FaultError(ValueError):
    pass


class Fault:
    def __init__(self, fid, spec):
        self.id = fid
        self.spec = dict(spec)
        self.kind = spec.get("kind")
        if self.kind not in KINDS:
            raise FaultError(f"fault kind must be one of {', '.join(KINDS)}")
        self.host = spec.get("host", "any")
        if self.host not in ("main", "cdn", "any"):
            raise FaultError("host must be 'main', 'cdn' or 'any'")
        methods = spec.get("method", "*")
        if isinstance(methods, str):
            methods = [methods]
        self.methods = {m.upper() for m in methods}
        self.path = spec.get("path", "*")
        self.match = spec.get("match", "glob")
        if self.match not in ("glob", "regex"):
            raise FaultError("match must be 'glob' or 'regex'")
        if self.match == "regex":
            try:
                self.regex = re.compile(self.path)
            except re.error as e:
                raise FaultError(f"bad regex: {e}") from None
        times = spec.get("times", 1)
        if times in ("forever", None, -1):
            self.remaining = None
        elif times == "once":
            self.remaining = 1
        elif isinstance(times, int) and times >= 1:
            self.remaining = times
        else:
            raise FaultError("times must be a positive integer, 'once' or 'forever'")
        self.skip = int(spec.get("skip", 0))
        self.fired = 0
        self.direction = spec.get("direction", "response")
        if self.direction not in ("response", "request"):
            raise FaultError("direction must be 'response' or 'request'")
        # parameters
        self.after_bytes = spec.get("after_bytes")
        if self.after_bytes is not None:
            self.after_bytes = int(self.after_bytes)
            if self.after_bytes < 0:
                raise FaultError("after_bytes must be >= 0")
        self.seconds = float(spec.get("seconds", 0))
        self.offset = int(spec.get("offset", 0))
        self.count = int(spec.get("count", 1))
        self.status = int(spec.get("status", 500 if self.kind == "status" else 429))
        self.headers = dict(spec.get("headers") or {})
        self.body = spec.get("body")
        self.retry_after = int(spec.get("retry_after", 1))
        self.rl_type = spec.get("ratelimit_type", "api")
        self.rl_quota = int(spec.get("quota", 500))
        self.rl_window = int(spec.get("window", 300))
        self.rst = bool(spec.get("rst", False))
        if self.kind == "stall" and self.seconds <= 0:
            raise FaultError("stall needs seconds > 0")
        if self.kind == "truncate" and self.after_bytes is None:
            self.after_bytes = 0
        self.rate = None
        self.chunk = THROTTLE_CHUNK
        if self.kind == "throttle":
            try:
                self.rate = float(spec.get("rate", 0))
            except (TypeError, ValueError):
                raise FaultError("throttle needs rate (bytes/s) > 0") from None
            if not 0 < self.rate < float("inf"):
                raise FaultError("throttle needs rate (bytes/s) > 0")
            if self.direction != "response":
                raise FaultError("throttle applies to response bodies only")
            try:
                self.chunk = int(spec.get("chunk", THROTTLE_CHUNK))
            except (TypeError, ValueError):
                raise FaultError("chunk must be an integer >= 1") from None
            if self.chunk < 1:
                raise FaultError("chunk must be an integer >= 1")
            # small rates: smaller steps, about 16 a second, so the pace stays even
            self.chunk = max(1, min(self.chunk, int(self.rate // 16) or 1))

    def matches(self, host, method, raw_path, decoded_path):
        if self.host != "any" and self.host != host:
            return False
        if "*" not in self.methods and method not in self.methods:
            return False
        for p in (raw_path, decoded_path):
            if self.match == "glob" and fnmatch.fnmatchcase(p, self.path):
                return True
            if self.match == "regex" and self.regex.search(p):
                return True
        return False

    def public(self):
        d = dict(self.spec)
        d["id"] = self.id
        d["fired"] = self.fired
        d["remaining"] = "forever" if self.remaining is None else self.remaining
        d["skip_left"] = self.skip
        return d


class FaultSet:
    def __init__(self):
        self.lock = threading.Lock()
        self.faults = []
        self.next_id = 1

    def add(self, spec):
        with self.lock:
            f = Fault(self.next_id, spec)
            self.next_id += 1
            self.faults.append(f)
            return f

    def clear(self, fid=None):
        with self.lock:
            if fid is None:
                self.faults = []
            else:
                self.faults = [f for f in self.faults if f.id != fid]

    def list(self):
        with self.lock:
            return [f.public() for f in self.faults]

    def take(self, host, method, raw_path):
        """The fault to apply to this request, if any (consumes one firing)."""
        decoded = urllib.parse.unquote(raw_path)
        with self.lock:
            for f in self.faults:
                if f.remaining == 0 or not f.matches(host, method, raw_path, decoded):
                    continue
                if f.skip > 0:
                    f.skip -= 1
                    return None
                if f.remaining is not None:
                    f.remaining -= 1
                f.fired += 1
                return f
            return None


class Counters:
    """What the emulator saw and served, per host and per path.

    bytes_served counts response body bytes actually written to sockets
    (headers excluded; a truncated or reset body counts what was sent).
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.hosts = {h: self._host_record() for h in ("main", "cdn")}

    @staticmethod
    def _host_record():
        return {"requests": 0, "bytes_served": 0, "authorization_count": 0,
                "paths": {}}

    @staticmethod
    def _path_record():
        return {"methods": {}, "requests": 0, "ranges": [], "statuses": {},
                "bytes_served": 0, "authorization_count": 0}

    def request(self, host, method, path, range_header, has_auth):
        with self.lock:
            h = self.hosts[host]
            h["requests"] += 1
            p = h["paths"].setdefault(path, self._path_record())
            p["requests"] += 1
            p["methods"][method] = p["methods"].get(method, 0) + 1
            if range_header is not None:
                p["ranges"].append(range_header)
            if has_auth:
                h["authorization_count"] += 1
                p["authorization_count"] += 1

    def status(self, host, path, status):
        with self.lock:
            p = self.hosts[host]["paths"].setdefault(path, self._path_record())
            key = str(status)
            p["statuses"][key] = p["statuses"].get(key, 0) + 1

    def served(self, host, path, n):
        if n <= 0:
            return
        with self.lock:
            self.hosts[host]["bytes_served"] += n
            p = self.hosts[host]["paths"].setdefault(path, self._path_record())
            p["bytes_served"] += n

    def snapshot(self):
        with self.lock:
            hosts = {}
            merged = {}
            for name, h in self.hosts.items():
                hosts[name] = {
                    "requests": h["requests"],
                    "bytes_served": h["bytes_served"],
                    "authorization_seen": h["authorization_count"] > 0,
                    "authorization_count": h["authorization_count"],
                    "paths": {k: _copy(v) for k, v in h["paths"].items()},
                }
                for path, rec in h["paths"].items():
                    m = merged.setdefault(path, self._path_record())
                    m["requests"] += rec["requests"]
                    m["bytes_served"] += rec["bytes_served"]
                    m["authorization_count"] += rec["authorization_count"]
                    m["ranges"] += rec["ranges"]
                    for k, v in rec["methods"].items():
                        m["methods"][k] = m["methods"].get(k, 0) + v
                    for k, v in rec["statuses"].items():
                        m["statuses"][k] = m["statuses"].get(k, 0) + v
            return {
                "requests_total": sum(h["requests"] for h in hosts.values()),
                "bytes_served_total": sum(h["bytes_served"] for h in hosts.values()),
                "hosts": hosts,
                "paths": merged,
            }


def _copy(rec):
    return {"methods": dict(rec["methods"]), "requests": rec["requests"],
            "ranges": list(rec["ranges"]), "statuses": dict(rec["statuses"]),
            "bytes_served": rec["bytes_served"],
            "authorization_count": rec["authorization_count"]}
