# SPDX-License-Identifier: LGPL-2.1-or-later
"""A minimal D-Bus client over a unix socket, Python standard library only.

Just enough of the wire protocol for the queue benchmark to time a method
call without a process start-up: SASL EXTERNAL, Hello, method calls with the
few argument types used here, and the reply's header (serial, error name).
The bodies of ListJobs (ao) and GetManagedObjects (a{oa{sa{sv}}}) are
counted, not decoded. One call at a time per connection."""

import os
import socket
import struct


class DBusError(Exception):
    pass


def _pad(n, align):
    return (-n) % align


class _Writer:
    def __init__(self):
        self.b = bytearray()

    def align(self, n):
        self.b += bytes(_pad(len(self.b), n))

    def byte(self, v):
        self.b.append(v)

    def u32(self, v):
        self.align(4)
        self.b += struct.pack("<I", v)

    def string(self, s):          # s and o
        data = s.encode()
        self.u32(len(data))
        self.b += data + b"\0"

    def sig(self, s):             # g
        data = s.encode()
        self.byte(len(data))
        self.b += data + b"\0"


class _Reader:
    def __init__(self, data, little):
        self.d = data
        self.p = 0
        self.e = "<" if little else ">"

    def align(self, n):
        self.p += _pad(self.p, n)

    def byte(self):
        v = self.d[self.p]
        self.p += 1
        return v

    def u32(self):
        self.align(4)
        v = struct.unpack_from(self.e + "I", self.d, self.p)[0]
        self.p += 4
        return v

    def string(self):
        n = self.u32()
        s = self.d[self.p:self.p + n].decode("utf-8", "replace")
        self.p += n + 1
        return s

    def sig(self):
        n = self.byte()
        s = self.d[self.p:self.p + n].decode()
        self.p += n + 1
        return s


# argument marshallers for the bodies used here
def arg_string(w, s):
    w.string(s)


def arg_u64(w, v):
    w.align(8)
    w.b += struct.pack("<Q", v)


def arg_empty_vardict(w):
    w.u32(0)
    w.align(8)        # arrays are padded to their element's alignment, even when empty


def arg_strv(w, items):
    w.u32(0)
    at = len(w.b) - 4
    start = len(w.b)
    for s in items:
        w.string(s)
    struct.pack_into("<I", w.b, at, len(w.b) - start)


def arg_vardict(w, items):
    """items: (key, signature, value) with signature one of s b i u x t."""
    w.u32(0)
    at = len(w.b) - 4
    w.align(8)
    start = len(w.b)
    for key, sig, value in items:
        w.align(8)
        w.string(key)
        w.sig(sig)
        if sig == "s":
            w.string(value)
        elif sig in "bu":
            w.u32(int(value))
        elif sig == "i":
            w.align(4)
            w.b += struct.pack("<i", value)
        elif sig in "xt":
            w.align(8)
            w.b += struct.pack("<q" if sig == "x" else "<Q", value)
        else:
            raise ValueError(f"unsupported variant type {sig!r}")
    struct.pack_into("<I", w.b, at, len(w.b) - start)


def parse_address(address):
    """unix:path=… or unix:abstract=… (the first usable entry)."""
    for entry in address.split(";"):
        if not entry.startswith("unix:"):
            continue
        kv = dict(p.split("=", 1) for p in entry[5:].split(",") if "=" in p)
        if "path" in kv:
            return kv["path"]
        if "abstract" in kv:
            return "\0" + kv["abstract"]
    raise DBusError(f"no unix address in {address!r}")


class Connection:
    def __init__(self, address, timeout=30):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(parse_address(address))
        self.serial = 0
        self.buf = b""
        uid = str(os.getuid()).encode().hex().encode()
        self.sock.sendall(b"\0AUTH EXTERNAL " + uid + b"\r\n")
        line = self._line()
        if not line.startswith(b"OK "):
            raise DBusError(f"authentication refused: {line!r}")
        self.sock.sendall(b"BEGIN\r\n")
        self.unique_name = self.call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                     "org.freedesktop.DBus", "Hello")[1]

    def close(self):
        self.sock.close()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise DBusError("the bus closed the connection during authentication")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise DBusError("the bus closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _message(self, dest, path, iface, member, signature="", body=b""):
        self.serial += 1
        w = _Writer()
        w.b += struct.pack("<BBBBII", ord("l"), 1, 0, 1, len(body), self.serial)
        fields = [(1, "o", path), (2, "s", iface), (3, "s", member), (6, "s", dest)]
        if signature:
            fields.append((8, "g", signature))
        f = _Writer()
        f.b += bytes(16)          # so that alignment is relative to the message start
        for code, sig, value in fields:
            f.align(8)
            f.byte(code)
            f.sig(sig)
            if sig == "g":
                f.sig(value)
            else:
                f.string(value)
        fields_bytes = bytes(f.b[16:])
        w.u32(len(fields_bytes))
        w.b += fields_bytes
        w.align(8)
        return bytes(w.b) + body

    def _reply(self, serial):
        """(header fields, body, little-endian) of the reply to serial."""
        while True:
            got, mtype, fields, body, little = self._next_reply()
            if got == serial:
                if mtype == 3:
                    raise DBusError(self._error_text(fields, body, little))
                return fields, body, little

    @staticmethod
    def _error_text(fields, body, little):
        msg = ""
        if fields.get(8, "").startswith("s"):
            msg = _Reader(body, little).string()
        return f"{fields.get(4)}: {msg}"

    def _next_reply(self):
        """(reply serial, type, header fields, body, little-endian) of the next
        method return or error; signals are skipped."""
        while True:
            fixed = self._read(16)
            little = fixed[0:1] == b"l"
            e = "<" if little else ">"
            mtype = fixed[1]
            body_len, _, fields_len = struct.unpack_from(e + "III", fixed, 4)
            rest = self._read(fields_len + _pad(16 + fields_len, 8) + body_len)
            r = _Reader(fixed + rest, little)
            r.p = 16
            end = 16 + fields_len
            fields = {}
            while r.p < end:
                r.align(8)
                code = r.byte()
                sig = r.sig()
                if sig in ("s", "o"):
                    fields[code] = r.string()
                elif sig == "u":
                    fields[code] = r.u32()
                elif sig == "g":
                    fields[code] = r.sig()
                else:
                    raise DBusError(f"unexpected header field type {sig!r}")
            body = rest[fields_len + _pad(16 + fields_len, 8):]
            if mtype in (2, 3) and 5 in fields:
                return fields[5], mtype, fields, body, little
            # a signal (NameAcquired) or something else: skip it

    def call_raw(self, dest, path, iface, member, signature="", args=()):
        """Sends one call and waits for its reply → (body bytes, little-endian)."""
        w = _Writer()
        for fn, *a in args:
            fn(w, *a)
        self.sock.sendall(self._message(dest, path, iface, member, signature, bytes(w.b)))
        _, body, little = self._reply(self.serial)
        return body, little

    def call_pipelined(self, calls, window=16):
        """Sends calls ((dest, path, iface, member, signature, args), …) with
        at most window of them unanswered at a time → the first string of
        each reply, in order. Raises DBusError on the first error."""
        out = [None] * len(calls)
        pending = {}
        nxt = 0
        while nxt < len(calls) or pending:
            while nxt < len(calls) and len(pending) < window:
                dest, path, iface, member, signature, args = calls[nxt]
                w = _Writer()
                for fn, *a in args:
                    fn(w, *a)
                self.sock.sendall(self._message(dest, path, iface, member, signature,
                                                bytes(w.b)))
                pending[self.serial] = nxt
                nxt += 1
            serial, mtype, fields, body, little = self._next_reply()
            i = pending.pop(serial, None)
            if i is None:
                continue
            if mtype == 3:
                raise DBusError(self._error_text(fields, body, little))
            out[i] = _Reader(body, little).string() if body else None
        return out

    def call(self, dest, path, iface, member, signature="", args=()):
        """Like call_raw, for replies whose first value is a string."""
        body, little = self.call_raw(dest, path, iface, member, signature, args)
        return body, (_Reader(body, little).string() if body else None)


def count_object_paths(body, little):
    """Number of elements of an `ao` body."""
    r = _Reader(body, little)
    n = r.u32()
    end = r.p + n
    count = 0
    while r.p < end:
        r.string()
        count += 1
    return count


def count_managed_objects(body, little, prefix):
    """Number of objects whose path starts with prefix in an a{oa{sa{sv}}} body."""
    r = _Reader(body, little)
    n = r.u32()
    r.align(8)
    end = r.p + n
    count = 0
    while r.p < end:
        r.align(8)
        path = r.string()
        inner = r.u32()
        r.align(8)
        r.p += inner
        if path.startswith(prefix):
            count += 1
    return count
