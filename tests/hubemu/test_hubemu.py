#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tests of the Hub emulator itself. Standard library only; TAP on stdout.

Starts hubemu.py on --port 0 (interpreter: $HUBEMU_PYTHON or this one),
talks HTTP with http.client and raw sockets, and checks status codes,
headers, JSON shapes, oids and every fault kind. Runs in well under 30 s.
"""

import base64
import hashlib
import http.client
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from hubemu_store import git_blob_oid, lfs_pointer  # noqa: E402

ALICE = "hf_alice_write_token"
BOB = "hf_bob_read_token"
CAROL = "hf_carol_write_token"
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class Fail(AssertionError):
    pass


def check(cond, msg="check failed"):
    if not cond:
        raise Fail(msg)


def eq(a, b, what=""):
    if a != b:
        raise Fail(f"{what}: expected {b!r}, got {a!r}")


# --------------------------------------------------------------------------- emulator process


def read_line(proc, prefix):
    deadline = time.monotonic() + 20
    buf = b""
    while time.monotonic() < deadline:
        r, _, _ = select.select([proc.stdout], [], [], 0.5)
        if r:
            ch = os.read(proc.stdout.fileno(), 1)
            if not ch:
                break
            if ch == b"\n":
                line = buf.decode()
                if not line.startswith(prefix):
                    raise RuntimeError(f"unexpected line from hubemu: {line!r}")
                return line[len(prefix):]
            buf += ch
        elif proc.poll() is not None:
            break
    raise RuntimeError("hubemu did not print its listening line")



class Emu:
    def __init__(self):
        self.state = tempfile.mkdtemp(prefix="hubemu-test-")
        py = os.environ.get("HUBEMU_PYTHON", sys.executable)
        self.proc = subprocess.Popen(
            [py, os.path.join(HERE, "hubemu.py"), "--port", "0", "--state", self.state],
            stdout=subprocess.PIPE, stderr=None)
        self.main = read_line(self.proc, "hubemu listening on ")
        self.cdn = read_line(self.proc, "hubemu cdn on ")
        u, c = urllib.parse.urlsplit(self.main), urllib.parse.urlsplit(self.cdn)
        self.main_addr = (u.hostname, u.port)
        self.cdn_addr = (c.hostname, c.port)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.state, ignore_errors=True)


EMU = None


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def h(self, name):
        return self.headers.get(name.lower())

    def json(self):
        return json.loads(self.body)


def request(method, url_or_path, body=None, headers=None, token=None, host="main",
            conn=None):
    if url_or_path.startswith("http"):
        u = urllib.parse.urlsplit(url_or_path)
        addr = (u.hostname, u.port)
        path = u.path + ("?" + u.query if u.query else "")
    else:
        addr = EMU.main_addr if host == "main" else EMU.cdn_addr
        path = url_or_path
    hdrs = dict(headers or {})
    if token:
        hdrs["Authorization"] = f"Bearer {token}"
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    own = conn is None
    if own:
        conn = http.client.HTTPConnection(*addr, timeout=20)
    try:
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        data = r.read()
        return Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
    finally:
        if own:
            conn.close()


def emu(method, what, body=None):
    r = request(method, "/_emu/" + what, body=body)
    check(r.status == 200, f"/_emu/{what}: {r.status} {r.body[:300]!r}")
    return r.json()


def seed(spec):
    return emu("POST", "seed", spec)


def fault(**spec):
    return emu("POST", "faults", spec)["faults"][0]


def raw_get(addr, path, headers=None, timeout=10):
    """Send one GET on a raw socket; return (status line, headers dict, body
    bytes received until EOF or Content-Length) and whether EOF came early."""
    s = socket.create_connection(addr, timeout=timeout)
    try:
        lines = [f"GET {path} HTTP/1.1", f"Host: {addr[0]}:{addr[1]}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                return None, {}, data, True
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        hl = head.decode().split("\r\n")
        hdrs = {}
        for line in hl[1:]:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        want = int(hdrs.get("content-length", "0"))
        eof = False
        while len(body) < want:
            try:
                chunk = s.recv(1 << 20)
            except ConnectionResetError:
                eof = True
                break
            if not chunk:
                eof = True
                break
            body += chunk
        return hl[0], hdrs, body, eof
    finally:
        s.close()


def gen_bytes(size, seed_):
    """Re-implementation of BlobStore.generate (GEN_VERSION v1) for checks."""
    import random
    import struct
    base = random.Random(seed_).randbytes(1 << 20)
    out = bytearray()
    i = 0
    while len(out) < size:
        blk = bytearray(base)
        blk[0:16] = struct.pack("<QQ", seed_, i)
        out += blk
        i += 1
    return bytes(out[:size])


# --------------------------------------------------------------------------- fixtures

BASE = None


def base_seed():
    global BASE
    BASE = seed({
        "type": "model", "id": "acme/base",
        "files": {
            "config.json": {"text": '{"model_type": "bert"}\n'},
            "model.safetensors": {"size": 3_000_000, "seed": 7},
            "a/b.txt": {"base64": base64.b64encode(b"hello\n").decode()},
            "a/c/d.txt": "deep\n",
            "big.txt": {"size": 11 * 1024 * 1024, "seed": 3},
            "notes.md": "notes\n",
        },
        "commits": [{"message": "Update notes", "files": {"notes.md": "notes v2\n"}}],
        "branches": {"dev": {"config.json": '{"dev": true}\n'}},
        "tags": ["v1"],
        "pr": True,
    })
    seed({"type": "model", "id": "alice/private", "private": True,
          "files": {"secret.txt": "s3cr3t\n"}})
    seed({"type": "model", "id": "acme/gated", "gated": "manual", "granted": ["carol"],
          "files": {"weights.bin": {"size": 1000, "seed": 5}, "README.md": "# gated\n"}})
    seed({"type": "dataset", "id": "acme/data", "files": {"data/train.csv": "a,b\n1,2\n"}})
    seed({"type": "space", "id": "acme/app", "files": {"app.py": "print('hi')\n"}})


# --------------------------------------------------------------------------- tests: basics


@test
def listening_lines_and_health():
    check(EMU.main.startswith("http://127.0.0.1:"), EMU.main)
    check(EMU.cdn.startswith("http://127.0.0.2:"), EMU.cdn)
    check(EMU.main_addr[1] != 0 and EMU.cdn_addr[1] != 0)
    h = emu("GET", "health")
    eq(h["main"], EMU.main, "health main")
    eq(h["cdn"], EMU.cdn, "health cdn")


@test
def seed_response_oids_match_bytes():
    f = BASE["files"]
    cfg = b'{"model_type": "bert"}\n'
    eq(f["config.json"]["oid"], git_blob_oid(cfg), "regular oid = git blob sha1")
    eq(f["config.json"]["lfs"], False, "config.json lfs")
    eq(f["config.json"]["sha256"], hashlib.sha256(cfg).hexdigest(), "sha256")
    m = f["model.safetensors"]
    data = gen_bytes(3_000_000, 7)
    eq(m["lfs"], True, "safetensors is LFS by .gitattributes")
    eq(m["sha256"], hashlib.sha256(data).hexdigest(), "LFS sha256")
    ptr = lfs_pointer(m["sha256"], m["size"])
    eq(m["oid"], git_blob_oid(ptr), "LFS entry oid = git sha1 of pointer")
    eq(m["pointer_size"], len(ptr), "pointer size")
    eq(f["big.txt"]["lfs"], True, ">= 10 MiB goes to LFS")
    eq(f["a/c/d.txt"]["oid"], git_blob_oid(b"deep\n"), "nested file oid")
    # bytes served equal the seed description
    r = request("GET", "/acme/base/resolve/main/model.safetensors")
    eq(r.status, 302, "LFS resolve status")
    r2 = request("GET", r.h("location"))
    eq(hashlib.sha256(r2.body).hexdigest(), m["sha256"], "CDN bytes")


@test
def lfs_pointer_matches_real_hub_value():
    # google-bert/bert-base-uncased tf_model.h5 (hubjs-live-test-values.md)
    ptr = lfs_pointer("a7a17d6d844b5de815ccab5f42cad6d24496db3850a2a43d8258221018ce87d2",
                      536063208)
    eq(len(ptr), 134, "pointerSize")
    eq(git_blob_oid(ptr), "9eb98c817f04b051b3bcca591bcd4e03cec88018", "pointer git oid")


@test
def keep_alive_reuses_connection():
    conn = http.client.HTTPConnection(*EMU.main_addr, timeout=10)
    try:
        r1 = request("GET", "/api/models/acme/base", conn=conn)
        sock1 = conn.sock
        r2 = request("HEAD", "/acme/base/resolve/main/config.json", conn=conn)
        r3 = request("GET", "/api/whoami-v2", token=ALICE, conn=conn)
        eq((r1.status, r2.status, r3.status), (200, 200, 200), "statuses")
        check(conn.sock is sock1 and sock1 is not None, "connection was not reused")
        eq(r2.body, b"", "HEAD has no body")
        eq(r2.h("content-length"), str(len(b'{"model_type": "bert"}\n')), "HEAD length")
    finally:
        conn.close()


@test
def whoami_v2_shape():
    r = request("GET", "/api/whoami-v2", token=ALICE)
    d = r.json()
    eq(list(d)[:3], ["type", "id", "name"], "key order")
    eq(d["type"], "user", "type")
    eq(d["name"], "alice", "name")
    eq([o["name"] for o in d["orgs"]], ["acme"], "orgs")
    eq(d["orgs"][0]["type"], "org", "org type")
    eq(d["auth"]["type"], "access_token", "auth type")
    eq(d["auth"]["accessToken"]["role"], "write", "role")
    check(d["auth"]["accessToken"]["displayName"], "displayName")
    check(d["auth"]["accessToken"]["createdAt"].endswith("Z"), "createdAt")
    eq(request("GET", "/api/whoami-v2", token=BOB).json()["auth"]["accessToken"]["role"],
       "read", "bob role")
    r = request("GET", "/api/whoami-v2")
    eq(r.status, 401, "anonymous whoami")
    r = request("GET", "/api/whoami-v2", token="hf_nope")
    eq(r.status, 401, "bad token")
    eq(r.h("x-error-message"), "Invalid credentials in Authorization header", "bad token msg")
    eq(r.h("x-error-code"), None, "no error code for a bad token")


# --------------------------------------------------------------------------- tests: read side


@test
def revision_info_shapes():
    r = request("GET", "/api/models/acme/base")
    eq(r.status, 200, "status")
    check(r.h("content-type").startswith("application/json"), "json")
    d = r.json()
    eq(list(d)[:2], ["_id", "id"], "first keys")
    check(len(d["_id"]) == 24, "_id")
    eq(d["id"], "acme/base", "id")
    eq(d["sha"], BASE["refs"]["main"], "sha")
    check(d["lastModified"].endswith("Z") and d["createdAt"].endswith("Z"), "dates")
    eq(d["private"], False, "private")
    eq(d["gated"], False, "gated")
    names = [s["rfilename"] for s in d["siblings"]]
    eq(names, sorted(BASE["files"]), "siblings")
    check("size" not in d["siblings"][0], "no blobs without blobs=true")
    d = request("GET", "/api/models/acme/base/revision/dev?blobs=true").json()
    eq(d["sha"], BASE["refs"]["dev"], "dev sha")
    sib = {s["rfilename"]: s for s in d["siblings"]}
    m = BASE["files"]["model.safetensors"]
    eq(sib["model.safetensors"]["lfs"], {"sha256": m["sha256"], "size": m["size"],
                                         "pointerSize": m["pointer_size"]}, "sibling lfs")
    eq(sib["model.safetensors"]["blobId"], m["oid"], "blobId")
    eq(sib["config.json"]["size"], len(b'{"dev": true}\n'), "dev config size")
    d = request("GET", "/api/models/acme/base/revision/HEAD?expand=sha&expand=private").json()
    eq(d, {"_id": d["_id"], "id": "acme/base", "sha": BASE["refs"]["main"],
           "private": False}, "expand")
    d = request("GET", "/api/spaces/acme/app/revision/main?expand=xetEnabled").json()
    eq(d, {"_id": d["_id"], "id": "acme/app", "xetEnabled": False}, "xetEnabled")
    d = request("GET", "/api/datasets/acme/data").json()
    eq([s["rfilename"] for s in d["siblings"]], [".gitattributes", "data/train.csv"],
       "dataset siblings")


@test
def revisions_in_both_encodings():
    pr = BASE["refs"]["refs/pr/1"]
    for rev in ("refs%2Fpr%2F1", "refs/pr/1"):
        d = request("GET", f"/api/models/acme/base/revision/{rev}").json()
        eq(d["sha"], pr, f"revision {rev}")
        r = request("GET", f"/acme/base/resolve/{rev}/pr-1.txt")
        eq((r.status, r.body), (200, b"pull request 1\n"), f"resolve {rev}")
        eq(r.h("x-repo-commit"), pr, "X-Repo-Commit")
        t = request("GET", f"/api/models/acme/base/tree/{rev}/a")
        eq([e["path"] for e in t.json()], ["a/b.txt", "a/c"], f"tree {rev}")
        p = request("POST", f"/api/models/acme/base/paths-info/{rev}",
                    body={"paths": ["pr-1.txt"]})
        eq([e["path"] for e in p.json()], ["pr-1.txt"], f"paths-info {rev}")
    # folder path percent-encoded the Python way
    t = request("GET", "/api/models/acme/base/tree/main/a%2Fc")
    eq([e["path"] for e in t.json()], ["a/c/d.txt"], "encoded folder")
    # tag and commit oid as revisions
    eq(request("GET", "/api/models/acme/base/revision/v1").json()["sha"], BASE["refs"]["v1"],
       "tag")
    oid = BASE["commits"][-1]
    eq(request("GET", f"/api/models/acme/base/revision/{oid}").json()["sha"], oid, "oid")


@test
def tree_listing_entries_and_expand():
    t = request("GET", "/api/models/acme/base/tree/main?recursive=false&expand=false").json()
    eq([(e["type"], e["path"]) for e in t],
       [("file", ".gitattributes"), ("directory", "a"), ("file", "big.txt"),
        ("file", "config.json"), ("file", "model.safetensors"), ("file", "notes.md")],
       "top level")
    for e in t:
        eq(list(e)[:4], ["type", "oid", "size", "path"], "entry key order")
    ms = [e for e in t if e["path"] == "model.safetensors"][0]
    m = BASE["files"]["model.safetensors"]
    eq(ms["lfs"], {"oid": m["sha256"], "size": m["size"], "pointerSize": m["pointer_size"]},
       "lfs")
    eq(ms["oid"], m["oid"], "oid")
    eq(ms["size"], 3_000_000, "real size")
    d = [e for e in t if e["path"] == "a"][0]
    eq(d["size"], 0, "dir size")
    check(len(d["oid"]) == 40, "dir oid")
    t = request("GET", "/api/models/acme/base/tree/main?recursive=true&expand=true").json()
    by = {e["path"]: e for e in t}
    eq(by["notes.md"]["lastCommit"]["title"], "Update notes", "lastCommit of notes.md")
    eq(by["notes.md"]["lastCommit"]["id"], BASE["refs"]["main"], "lastCommit id")
    eq(by["config.json"]["lastCommit"]["title"], "Upload files", "lastCommit of config")
    eq(by[".gitattributes"]["lastCommit"]["title"], "initial commit", "initial commit")
    check("securityFileStatus" in by["config.json"], "securityFileStatus")
    r = request("GET", "/api/models/acme/base/tree/main/nope")
    eq((r.status, r.h("x-error-code")), (404, "EntryNotFound"), "missing folder")


@test
def tree_pagination_link_headers():
    emu("POST", "config", {"tree_page_size": 2})
    try:
        url = "/api/models/acme/base/tree/main?recursive=true&expand=false"
        seen, pages = [], 0
        while url and pages < 20:
            r = request("GET", url)
            eq(r.status, 200, "page status")
            seen += [e["path"] for e in r.json()]
            pages += 1
            link = r.h("link")
            if link:
                check(link.startswith(f"<{EMU.main}/api/models/acme/base/tree/main?"),
                      f"absolute next URL: {link}")
                check(link.endswith('>; rel="next"'), link)
                check("recursive=true" in link and "expand=false" in link, "params kept")
                url = link[1:link.index(">")]
            else:
                url = None
        check(pages >= 3, f"expected >= 3 pages, got {pages}")
        eq(len(seen), len(set(seen)), "no duplicates")
        eq(sorted(seen), sorted(set(BASE["files"]) | {"a", "a/c"}), "all entries")
        r = request("GET", "/api/models/acme/base/tree/main?recursive=true&expand=true")
        eq(len(r.json()), 2, "expand pages follow tree_page_size unless set apart")
    finally:
        emu("POST", "config", {"tree_page_size": 1000, "tree_expand_page_size": 50})
    r = request("GET", "/api/models/acme/base/tree/main?recursive=true")
    eq(r.h("link"), None, "one page by default")
    eq(seen, [e["path"] for e in r.json()], "same order as one big page")


@test
def paths_info_form_and_json():
    r = request("POST", "/api/models/acme/base/paths-info/main",
                body=b"paths=config.json&paths=a&paths=missing&expand=false",
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    d = r.json()
    eq([(e["type"], e["path"]) for e in d], [("file", "config.json"), ("directory", "a")],
       "form")
    check("lastCommit" not in d[0], "no expand")
    r = request("POST", "/api/models/acme/base/paths-info/main",
                body={"paths": ["model.safetensors"], "expand": True})
    d = r.json()
    eq(len(d), 1, "json")
    eq(d[0]["lfs"]["oid"], BASE["files"]["model.safetensors"]["sha256"], "lfs oid")
    check("lastCommit" in d[0], "expand")


@test
def refs_and_commits():
    d = request("GET", "/api/models/acme/base/refs").json()
    eq(list(d), ["branches", "converts", "tags"], "keys")
    eq([(b["name"], b["ref"], b["targetCommit"]) for b in d["branches"]],
       [("main", "refs/heads/main", BASE["refs"]["main"]),
        ("dev", "refs/heads/dev", BASE["refs"]["dev"])], "branches")
    eq(d["tags"], [{"name": "v1", "ref": "refs/tags/v1", "targetCommit": BASE["refs"]["v1"]}],
       "tags")
    d = request("GET", "/api/models/acme/base/refs?include_prs=1").json()
    eq(d["pullRequests"], [{"name": "refs/pr/1", "ref": "refs/pr/1",
                            "targetCommit": BASE["refs"]["refs/pr/1"]}], "prs")
    r = request("GET", "/api/models/acme/base/commits/main")
    eq(r.h("x-total-count"), "3", "X-Total-Count")
    c = r.json()
    eq([x["title"] for x in c], ["Update notes", "Upload files", "initial commit"], "titles")
    eq([x["id"] for x in c], BASE["commits"], "ids newest first")
    eq(c[-1]["authors"][0]["user"], "system", "initial commit author")
    check(c[0]["date"].endswith("Z"), "date")
    r = request("GET", "/api/models/acme/base/commits/main?limit=1")
    eq(len(r.json()), 1, "limit")
    eq(r.h("x-total-count"), "3", "count with limit")
    check(r.h("link") and "p=1" in r.h("link"), "commit page link")
    r = request("GET", "/api/models/acme/base/commits/main?expand[]=formatted")
    check("formatted" in r.json()[0], "formatted")


@test
def resolve_regular_headers_and_ranges():
    data = b'{"model_type": "bert"}\n'
    r = request("GET", "/acme/base/resolve/main/config.json")
    eq(r.status, 200, "status")
    eq(r.body, data, "body")
    eq(r.h("etag"), f'"{git_blob_oid(data)}"', "ETag")
    eq(r.h("content-length"), str(len(data)), "Content-Length")
    eq(r.h("x-repo-commit"), BASE["refs"]["main"], "X-Repo-Commit")
    eq(r.h("accept-ranges"), "bytes", "Accept-Ranges")
    check(r.h("x-linked-etag") is None, "no X-Linked-Etag on regular files")
    r = request("GET", "/acme/base/resolve/main/config.json", headers={"Range": "bytes=2-5"})
    eq((r.status, r.body, r.h("content-range")), (206, data[2:6], f"bytes 2-5/{len(data)}"),
       "206")
    r = request("GET", "/acme/base/resolve/main/config.json", headers={"Range": "bytes=-3"})
    eq((r.status, r.body), (206, data[-3:]), "suffix range")
    r = request("GET", "/acme/base/resolve/main/config.json", headers={"Range": "bytes=5-"})
    eq((r.status, r.body), (206, data[5:]), "open range")
    etag = f'"{git_blob_oid(data)}"'
    r = request("GET", "/acme/base/resolve/main/config.json",
                headers={"Range": "bytes=2-5", "If-Range": etag})
    eq(r.status, 206, "If-Range matches")
    r = request("GET", "/acme/base/resolve/main/config.json",
                headers={"Range": "bytes=2-5", "If-Range": '"0000"'})
    eq((r.status, r.body), (200, data), "If-Range mismatch: whole body")
    r = request("GET", "/acme/base/resolve/main/config.json", headers={"Range": "bytes=999-"})
    eq((r.status, r.h("content-range")), (416, f"bytes */{len(data)}"), "416")
    r = request("HEAD", "/acme/base/resolve/main/config.json")
    eq((r.status, r.body, r.h("etag")), (200, b"", f'"{git_blob_oid(data)}"'), "HEAD")
    # datasets and spaces prefixes
    eq(request("GET", "/datasets/acme/data/resolve/main/data/train.csv").body, b"a,b\n1,2\n",
       "dataset resolve")
    eq(request("GET", "/spaces/acme/app/resolve/main/app.py").body, b"print('hi')\n",
       "space resolve")
    # raw of an LFS file is the pointer
    m = BASE["files"]["model.safetensors"]
    r = request("GET", "/acme/base/raw/main/model.safetensors")
    eq(r.body, lfs_pointer(m["sha256"], m["size"]), "raw pointer")
    eq(r.h("etag"), f'"{m["oid"]}"', "raw etag")


@test
def resolve_lfs_redirects_to_cdn_host():
    m = BASE["files"]["model.safetensors"]
    r = request("HEAD", "/acme/base/resolve/main/model.safetensors", token=ALICE)
    eq(r.status, 302, "status")
    loc = r.h("location")
    check(loc.startswith(EMU.cdn + "/"), f"Location on the CDN host: {loc}")
    eq(r.h("x-linked-etag"), f'"{m["sha256"]}"', "X-Linked-Etag")
    eq(r.h("x-linked-size"), str(m["size"]), "X-Linked-Size")
    eq(r.h("x-repo-commit"), BASE["refs"]["main"], "X-Repo-Commit")
    r = request("GET", loc, headers={"Range": "bytes=0-0"})
    eq((r.status, r.h("content-range"), r.h("etag")),
       (206, f"bytes 0-0/{m['size']}", f'"{m["sha256"]}"'), "CDN 206")
    full = request("GET", loc)
    eq(hashlib.sha256(full.body).hexdigest(), m["sha256"], "CDN full body")
    r = request("GET", loc, headers={"Range": f"bytes={m['size']}-"})
    eq(r.status, 416, "CDN 416")
    # the signed URL works only for that object
    other = BASE["files"]["big.txt"]["sha256"]
    forged = loc.replace(m["sha256"], other)
    eq(request("GET", forged).status, 403, "signature bound to the object")
    eq(request("GET", loc.split("&Signature=")[0]).status, 403, "unsigned")
    # the CDN does not know the Hub's paths
    eq(request("GET", "/acme/base/resolve/main/config.json", host="cdn").status, 404,
       "cdn has no resolve")


@test
def error_headers_for_missing_private_gated():
    cases = [
        # (path, token, status, X-Error-Code, message)
        ("/api/models/acme/nope", None, 401, "RepoNotFound", "Invalid username or password."),
        ("/api/models/acme/nope", ALICE, 404, "RepoNotFound", "Repository not found"),
        ("/acme/nope/resolve/main/x", None, 401, "RepoNotFound", None),
        ("/api/models/alice/private", None, 401, "RepoNotFound", None),
        ("/api/models/alice/private", BOB, 404, "RepoNotFound", None),
        ("/alice/private/resolve/main/secret.txt", BOB, 404, "RepoNotFound", None),
        ("/api/models/alice/private", "hf_wrong", 401, None,
         "Invalid credentials in Authorization header"),
        ("/acme/gated/resolve/main/weights.bin", None, 401, "GatedRepo", None),
        ("/acme/gated/resolve/main/weights.bin", BOB, 403, "GatedRepo", None),
        ("/api/models/acme/base/revision/nope", None, 404, "RevisionNotFound",
         "Invalid rev id: nope"),
        ("/acme/base/resolve/nope/config.json", None, 404, "RevisionNotFound", None),
        ("/acme/base/resolve/main/missing.txt", None, 404, "EntryNotFound", "Entry not found"),
    ]
    for path, token, status, code, msg in cases:
        r = request("GET", path, token=token)
        eq(r.status, status, f"{path} [{token}] status")
        eq(r.h("x-error-code"), code, f"{path} [{token}] X-Error-Code")
        check(r.h("x-error-message"), f"{path}: X-Error-Message")
        if msg:
            eq(r.h("x-error-message"), msg, f"{path} message")
        check(r.h("content-type").startswith("application/json"), "json error body")
        eq(r.json()["error"], r.h("x-error-message"), "body error = header message")
    r = request("GET", "/acme/base/resolve/main/missing.txt")
    eq(r.h("x-repo-commit"), BASE["refs"]["main"], "EntryNotFound carries X-Repo-Commit")
    r = request("GET", "/acme/gated/resolve/main/weights.bin")
    check("Access to model acme/gated is restricted" in r.h("x-error-message"), "gated msg")
    # access that works
    eq(request("GET", "/api/models/alice/private", token=ALICE).status, 200, "owner")
    eq(request("GET", "/acme/gated/resolve/main/README.md", token=ALICE).status, 200,
       "gated: org member")
    eq(request("GET", "/acme/gated/resolve/main/README.md", token=CAROL).status, 200,
       "gated: granted user")
    eq(request("GET", "/api/models/acme/gated").json()["gated"], "manual", "gated info public")


# --------------------------------------------------------------------------- tests: faults


@test
def fault_reset_cuts_connection_at_n_bytes():
    path = "/acme/base/resolve/main/big.txt"
    r = request("HEAD", path)
    cdn_path = urllib.parse.urlsplit(r.h("location"))
    f = fault(kind="reset", host="cdn", method="GET", path="/repos/*", after_bytes=100_000)
    status, hdrs, body, eof = raw_get(EMU.cdn_addr, cdn_path.path + "?" + cdn_path.query)
    check(status and status.startswith("HTTP/1.1 200"), f"status line {status}")
    eq(hdrs.get("content-length"), str(11 * 1024 * 1024), "full Content-Length announced")
    check(eof, "connection was not cut")
    eq(len(body), 100_000, "bytes received before the cut")
    eq(body, gen_bytes(100_000, 3), "bytes before the cut are right")
    faults = emu("GET", "faults")["faults"]
    eq([x["fired"] for x in faults if x["id"] == f["id"]], [1], "fired once")
    # once: the next request is complete
    status, hdrs, body, eof = raw_get(EMU.cdn_addr, cdn_path.path + "?" + cdn_path.query)
    eq((eof, len(body)), (False, 11 * 1024 * 1024), "after the fault")
    emu("DELETE", "faults")


@test
def fault_reset_before_response():
    fault(kind="reset", path="/api/models/acme/base")
    status, hdrs, body, eof = raw_get(EMU.main_addr, "/api/models/acme/base")
    eq(status, None, "no response at all")
    eq(request("GET", "/api/models/acme/base").status, 200, "next one fine")


@test
def fault_stall_really_stalls():
    fault(kind="stall", path="/api/models/acme/base", seconds=0.6)
    t0 = time.monotonic()
    r = request("GET", "/api/models/acme/base")
    dt = time.monotonic() - t0
    eq(r.status, 200, "status")
    check(dt >= 0.55, f"stall too short: {dt:.3f}s")
    # stall in the middle of the body
    fault(kind="stall", path="/acme/base/resolve/main/config.json", after_bytes=5, seconds=0.5)
    s = socket.create_connection(EMU.main_addr, timeout=10)
    try:
        s.sendall(b"GET /acme/base/resolve/main/config.json HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        t0 = time.monotonic()
        while not data.endswith(b"\r\n\r\n" + b'{"mod'):
            data += s.recv(1)
        t_first = time.monotonic() - t0
        rest = s.recv(100)
        t_rest = time.monotonic() - t0
        check(t_rest - t_first >= 0.45, f"no stall after 5 bytes: {t_rest - t_first:.3f}")
        eq(rest, b'el_type": "bert"}\n', "rest of the body")
    finally:
        s.close()


@test
def fault_corrupt_flips_bytes():
    data = b'{"model_type": "bert"}\n'
    fault(kind="corrupt", path="/acme/base/resolve/main/config.json", offset=3, count=2)
    r = request("GET", "/acme/base/resolve/main/config.json")
    want = bytearray(data)
    want[3] ^= 0xFF
    want[4] ^= 0xFF
    eq(r.body, bytes(want), "flipped bytes")
    eq(r.h("etag"), f'"{git_blob_oid(data)}"', "headers untouched")
    eq(request("GET", "/acme/base/resolve/main/config.json").body, data, "once")
    # corrupt a sendfile body on the CDN (offset past the first MiB)
    loc = request("HEAD", "/acme/base/resolve/main/big.txt").h("location")
    fault(kind="corrupt", host="cdn", path="/repos/*", offset=2_000_000)
    body = request("GET", loc).body
    ref = gen_bytes(11 * 1024 * 1024, 3)
    diff = [i for i in range(0, len(ref), 4096) if body[i:i + 4096] != ref[i:i + 4096]]
    eq(len(body), len(ref), "length")
    eq(diff, [2_000_000 // 4096 * 4096], "one corrupted block")
    eq(body[2_000_000], ref[2_000_000] ^ 0xFF, "the byte at offset")


@test
def fault_truncate_sends_less_than_length():
    fault(kind="truncate", path="/acme/base/resolve/main/config.json", after_bytes=7)
    status, hdrs, body, eof = raw_get(EMU.main_addr, "/acme/base/resolve/main/config.json")
    eq(hdrs.get("content-length"), "23", "announced length")
    eq((len(body), eof), (7, True), "truncated")


@test
def fault_status_once_then_normal_and_times():
    fault(kind="status", path="/api/models/acme/base", status=503,
          headers={"Retry-After": "1"}, times=2)
    r1 = request("GET", "/api/models/acme/base")
    r2 = request("GET", "/api/models/acme/base")
    r3 = request("GET", "/api/models/acme/base")
    eq((r1.status, r2.status, r3.status), (503, 503, 200), "twice then normal")
    eq(r1.h("retry-after"), "1", "extra header")
    check("error" in r1.json(), "json body")
    # skip lets requests through first; method filter; regex match
    fault(kind="status", method="GET", match="regex", path=r"^/api/models/acme/base$",
          status=500, skip=1)
    eq(request("HEAD", "/api/models/acme/base").status, 200, "method filter")
    eq(request("GET", "/api/models/acme/base").status, 200, "skipped")
    eq(request("GET", "/api/models/acme/base").status, 500, "then fires")
    eq(request("GET", "/api/models/acme/base").status, 200, "once")
    fault(kind="status", path="*", status=502, body="bad gateway", host="cdn", times="forever")
    eq(request("GET", "/api/models/acme/base").status, 200, "host filter")
    loc = request("HEAD", "/acme/base/resolve/main/model.safetensors").h("location")
    eq([request("GET", loc).status for _ in range(3)], [502, 502, 502], "forever")
    emu("DELETE", "faults")
    eq(request("GET", loc).status, 200, "cleared")


@test
def fault_ratelimit_headers():
    fault(kind="ratelimit", path="/api/models/acme/base", retry_after=2)
    r = request("GET", "/api/models/acme/base")
    eq(r.status, 429, "status")
    eq(r.h("retry-after"), "2", "Retry-After")
    eq(r.h("ratelimit"), '"api";r=0;t=2', "RateLimit")
    eq(r.h("ratelimit-policy"), '"fixed window";"api";q=500;w=300', "RateLimit-Policy")
    eq(request("GET", "/api/models/acme/base").status, 200, "once")


@test
def fault_on_request_body_direction():
    fault(kind="reset", method="POST", path="/api/models/acme/base/paths-info/*",
          direction="request", after_bytes=10)
    s = socket.create_connection(EMU.main_addr, timeout=10)
    try:
        body = b"paths=config.json&paths=a&expand=false"
        s.sendall(b"POST /api/models/acme/base/paths-info/main HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body) + body)
        eq(s.recv(100), b"", "connection cut while reading the request")
    finally:
        s.close()


@test
def fault_throttle_paces_body_and_counts_as_written():
    size, rate = BASE["files"]["model.safetensors"]["size"], 6_000_000  # 3 MB: ~0.5 s
    loc = urllib.parse.urlsplit(
        request("HEAD", "/acme/base/resolve/main/model.safetensors").h("location"))
    emu("DELETE", "counters")
    f = fault(kind="throttle", host="cdn", method="GET", path="/repos/*", rate=rate)
    s = socket.create_connection(EMU.cdn_addr, timeout=10)
    try:
        s.sendall(f"GET {loc.path}?{loc.query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            check(chunk, "connection closed before the headers")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        check(head.startswith(b"HTTP/1.1 200"), f"status line {head[:40]!r}")
        t0 = time.monotonic()  # the first step is written at once, with the headers
        mid = None
        while len(body) < size:
            chunk = s.recv(1 << 20)
            check(chunk, f"connection closed at {len(body)} of {size} bytes")
            body += chunk
            if mid is None and len(body) >= size // 3:
                # counted as written, and little written ahead of the reader
                served = emu("GET", "counters")["hosts"]["cdn"]["bytes_served"]
                mid = (len(body), served)
        dt = time.monotonic() - t0
    finally:
        s.close()
    eq(body, gen_bytes(size, 7), "throttled bytes")
    want = (size - 65536) / rate  # every step but the first waits for its due time
    check(abs(dt - want) <= 0.15 * want, f"{size} bytes in {dt:.3f} s: "
          f"{size / dt / 1e6:.2f} MB/s for a rate of {rate / 1e6:.2f} MB/s")
    got, served = mid
    check(got <= served <= got + 1024 * 1024,
          f"bytes_served {served} while the client had {got} (mid-body)")
    eq(emu("GET", "counters")["hosts"]["cdn"]["bytes_served"], size, "bytes_served at the end")
    eq([x["fired"] for x in emu("GET", "faults")["faults"] if x["id"] == f["id"]], [1], "fired")
    # once: the next request is not paced
    t0 = time.monotonic()
    r = request("GET", f"{EMU.cdn}{loc.path}?{loc.query}")
    eq(len(r.body), size, "unthrottled length")
    check(time.monotonic() - t0 < want / 2, "the second request was paced too")
    # a rate is required, and only response bodies are throttled
    for bad in ({"kind": "throttle"}, {"kind": "throttle", "rate": 0},
                {"kind": "throttle", "rate": "fast"}, {"kind": "throttle", "rate": "inf"},
                {"kind": "throttle", "rate": 1000, "chunk": "big"},
                {"kind": "throttle", "rate": 1000, "direction": "request"}):
        eq(request("POST", "/_emu/faults", body=bad).status, 400, f"bad fault {bad}")
    emu("DELETE", "faults")


# --------------------------------------------------------------------------- tests: counters


@test
def counters_auth_per_host_ranges_bytes():
    emu("DELETE", "counters")
    m = BASE["files"]["model.safetensors"]
    r = request("GET", "/acme/base/resolve/main/model.safetensors", token=ALICE,
                headers={"Range": "bytes=0-99"})
    loc = r.h("location")
    r = request("GET", loc, headers={"Range": "bytes=0-99"})
    eq(len(r.body), 100, "range body")
    r = request("GET", loc, headers={"Range": "bytes=100-"})
    request("GET", "/acme/base/resolve/main/config.json")
    c = emu("GET", "counters")
    main, cdn = c["hosts"]["main"], c["hosts"]["cdn"]
    eq((main["authorization_seen"], main["authorization_count"]), (True, 1), "main auth")
    eq((cdn["authorization_seen"], cdn["authorization_count"]), (False, 0), "cdn auth")
    cdn_path = urllib.parse.urlsplit(loc).path
    p = cdn["paths"][cdn_path]
    eq(p["ranges"], ["bytes=0-99", "bytes=100-"], "ranges seen")
    eq(p["methods"], {"GET": 2}, "methods")
    eq(p["bytes_served"], m["size"], "bytes per path")
    eq(p["statuses"], {"206": 2}, "statuses")
    eq(cdn["bytes_served"], m["size"], "bytes per host")
    rp = main["paths"]["/acme/base/resolve/main/model.safetensors"]
    eq((rp["requests"], rp["authorization_count"], rp["statuses"]), (1, 1, {"302": 1}),
       "resolve path record")
    eq(c["paths"]["/acme/base/resolve/main/config.json"]["bytes_served"], 23, "merged paths")
    eq(c["requests_total"], 4, "requests total (control calls excluded)")
    emu("DELETE", "counters")
    eq(emu("GET", "counters")["requests_total"], 0, "reset")


# --------------------------------------------------------------------------- tests: write side


def commit_ndjson(lines):
    return "\n".join(json.dumps(x) for x in lines).encode()


@test
def create_repo_conflict_and_permissions():
    r = request("POST", "/api/repos/create", token=ALICE,
                body={"name": "w1", "organization": "acme", "type": "model", "private": False})
    eq(r.status, 200, f"create {r.body!r}")
    d = r.json()
    eq(d["url"], f"{EMU.main}/acme/w1", "url")
    eq(d["name"], "acme/w1", "name")
    check(len(d["id"]) == 24, "id")
    r = request("POST", "/api/repos/create", token=ALICE,
                body={"name": "w1", "organization": "acme", "type": "model"})
    eq(r.status, 409, "exists")
    eq(r.json(), {"error": "You already created this model repo", "url": f"{EMU.main}/acme/w1"},
       "409 body")
    eq(r.h("x-error-code"), None, "no X-Error-Code on 409")
    r = request("POST", "/api/repos/create", token=BOB, body={"name": "w2", "type": "dataset"})
    eq(r.status, 403, "read token")
    eq(r.json()["error"], "You don't have the rights to create a dataset under this namespace",
       "403 message")
    r = request("POST", "/api/repos/create", token=CAROL,
                body={"name": "w3", "organization": "acme"})
    eq(r.status, 403, "foreign namespace")
    r = request("POST", "/api/repos/create", token=ALICE,
                body={"name": "s1", "type": "space", "sdk": "static", "visibility": "private"})
    eq((r.status, r.json()["url"]), (200, f"{EMU.main}/spaces/alice/s1"), "space")
    d = request("GET", "/api/spaces/alice/s1", token=ALICE).json()
    eq((d["private"], d["sdk"]), (True, "static"), "visibility private + sdk")
    c = request("GET", "/api/spaces/alice/s1/commits/main", token=ALICE).json()
    eq([x["title"] for x in c], ["initial commit"], "initial commit")
    t = request("GET", "/api/spaces/alice/s1/tree/main", token=ALICE).json()
    eq([e["path"] for e in t], [".gitattributes"], "initial tree")


@test
def preupload_modes_and_should_ignore():
    body = {"files": [
        {"path": "small.txt", "size": 10, "sample": ""},
        {"path": "w.safetensors", "size": 10, "sample": ""},
        {"path": "huge.txt", "size": 10 * 1024 * 1024, "sample": ""},
        {"path": "logs/x.log", "size": 3, "sample": ""},
        {"path": "config.json", "size": 3, "sample": ""},
    ], "gitIgnore": "logs/\n"}
    r = request("POST", "/api/models/acme/base/preupload/main", token=ALICE, body=body)
    eq(r.status, 200, f"status {r.body!r}")
    d = r.json()
    modes = {f["path"]: (f["uploadMode"], f["shouldIgnore"]) for f in d["files"]}
    eq(modes, {"small.txt": ("regular", False), "w.safetensors": ("lfs", False),
               "huge.txt": ("lfs", False), "logs/x.log": ("regular", True),
               "config.json": ("regular", False)}, "modes")
    eq([f.get("oid") for f in d["files"]][-1], BASE["files"]["config.json"]["oid"],
       "remote oid of an existing file")
    check("oid" not in d["files"][0], "no oid for a new file")
    eq(d["commitOid"], BASE["refs"]["main"], "commitOid")
    r = request("POST", "/api/models/acme/base/preupload/main", token=BOB, body=body)
    eq(r.status, 403, "read token")
    check("create_pr=1" in r.h("x-error-message"), "pr hint")
    r = request("POST", "/api/models/acme/base/preupload/main?create_pr=1", token=BOB, body=body)
    eq(r.status, 200, "read token may open a PR")
    r = request("POST", "/api/models/acme/base/preupload/main", body=body)
    eq(r.status, 401, "anonymous")


def lfs_batch(repo_path, objects, token=ALICE, transfers=("basic", "multipart"),
              algo="sha256", ref="main"):
    body = {"operation": "upload", "transfers": list(transfers), "objects": objects,
            "hash_algo": algo}
    if ref:
        body["ref"] = {"name": ref}
    return request("POST", f"/{repo_path}.git/info/lfs/objects/batch", token=token,
                   body=json.dumps(body).encode(),
                   headers={"Accept": "application/vnd.git-lfs+json",
                            "Content-Type": "application/vnd.git-lfs+json"})


@test
def lfs_basic_upload_verify_and_commit():
    data = os.urandom(300_000)
    sha = hashlib.sha256(data).hexdigest()
    r = lfs_batch("acme/w1", [{"oid": sha, "size": len(data)}], algo="sha_256")
    eq(r.status, 200, f"batch {r.body!r}")
    check(r.h("content-type").startswith("application/vnd.git-lfs+json"), "content type")
    d = r.json()
    eq(d["transfer"], "basic", "transfer")
    obj = d["objects"][0]
    up = obj["actions"]["upload"]
    check(up["href"].startswith(EMU.cdn + "/"), "upload href on the CDN host")
    check("chunk_size" not in (up.get("header") or {}), "basic")
    # wrong bytes are refused, right bytes stored; no Hub token needed
    eq(request("PUT", up["href"], body=data[:-1] + b"x").status, 400, "bad digest")
    r = request("PUT", up["href"], body=data)
    eq(r.status, 200, f"PUT {r.body!r}")
    check(r.h("etag"), "PUT ETag")
    v = obj["actions"]["verify"]
    r = request("POST", v["href"], token=ALICE, body={"oid": sha, "size": len(data)})
    eq(r.status, 200, "verify")
    # now the batch says it is already there
    obj = lfs_batch("acme/w1", [{"oid": sha, "size": len(data)}]).json()["objects"][0]
    check("actions" not in obj, "already uploaded: no actions")
    eq((obj["oid"], obj["size"]), (sha, len(data)), "oid/size")
    # commit it along with a regular file (Python's NDJSON form)
    lines = [{"key": "header", "value": {"summary": "Add weights", "description": "two files"}},
             {"key": "file", "value": {"content": base64.b64encode(b"hi\n").decode(),
                                       "path": "docs/hi.txt", "encoding": "base64"}},
             {"key": "lfsFile", "value": {"path": "weights.dat", "algo": "sha256",
                                          "oid": sha, "size": len(data)}}]
    body = "".join(json.dumps(x) + "\n" for x in lines).encode()
    r = request("POST", "/api/models/acme/w1/commit/main", token=ALICE, body=body,
                headers={"Content-Type": "application/x-ndjson"})
    eq(r.status, 200, f"commit {r.body!r}")
    d = r.json()
    check(len(d["commitOid"]) == 40, "commitOid")
    eq(d["commitUrl"], f"{EMU.main}/acme/w1/commit/{d['commitOid']}", "commitUrl")
    eq(d["hookOutput"], "", "hookOutput")
    t = {e["path"]: e for e in request(
        "GET", "/api/models/acme/w1/tree/main?recursive=true").json()}
    eq(t["weights.dat"]["lfs"]["oid"], sha, "LFS entry")
    eq(t["docs/hi.txt"]["oid"], git_blob_oid(b"hi\n"), "regular entry")
    ga = request("GET", "/acme/w1/resolve/main/.gitattributes").body.decode()
    check("weights.dat filter=lfs diff=lfs merge=lfs -text" in ga,
          ".gitattributes tracks the new LFS path")
    loc = request("HEAD", "/acme/w1/resolve/main/weights.dat").h("location")
    eq(request("GET", loc).body, data, "download what was uploaded")
    c = request("GET", "/api/models/acme/w1/commits/main").json()[0]
    eq((c["title"], c["message"]), ("Add weights", "Add weights\n\ntwo files"), "message")
    # unknown LFS object
    lines = [{"key": "header", "value": {"summary": "x"}},
             {"key": "lfsFile", "value": {"path": "n.bin", "algo": "sha256",
                                          "oid": "0" * 64, "size": 1}}]
    r = request("POST", "/api/models/acme/w1/commit/main", token=ALICE,
                body=commit_ndjson(lines), headers={"Content-Type": "application/x-ndjson"})
    eq(r.status, 400, "missing LFS object refused")


@test
def lfs_multipart_upload_and_completion():
    emu("POST", "config", {"multipart_threshold": 1 << 20, "multipart_chunk_size": 1 << 20})
    try:
        data = os.urandom((1 << 20) * 2 + 12345)
        sha = hashlib.sha256(data).hexdigest()
        d = lfs_batch("acme/w1", [{"oid": sha, "size": len(data)}]).json()
        eq(d["transfer"], "multipart", "transfer")
        up = d["objects"][0]["actions"]["upload"]
        hdr = up["header"]
        eq(hdr["chunk_size"], str(1 << 20), "chunk_size")
        parts = sorted(k for k in hdr if k.isdigit())
        eq(parts, ["00001", "00002", "00003"], "part keys")
        check(all(hdr[k].startswith(EMU.cdn) for k in parts), "part URLs on the CDN")
        check(up["href"].startswith(EMU.main), "completion on the main host")
        etags = []
        for i, k in enumerate(parts):
            r = request("PUT", hdr[k], body=data[i << 20:(i + 1) << 20])
            eq(r.status, 200, f"part {k}")
            etags.append(r.h("etag"))
        body = {"oid": sha, "parts": [{"partNumber": i + 1, "etag": e}
                                      for i, e in enumerate(etags)]}
        bad = dict(body, parts=body["parts"][:2])
        eq(request("POST", up["href"], body=bad).status, 400, "missing part")
        r = request("POST", up["href"], body=body,
                    headers={"Accept": "application/vnd.git-lfs+json"})
        eq(r.status, 200, f"completion {r.body!r}")
        obj = lfs_batch("acme/w1", [{"oid": sha, "size": len(data)}]).json()["objects"][0]
        check("actions" not in obj, "stored after completion")
        # a fresh multipart without the 'multipart' transfer falls back to basic
        sha2 = hashlib.sha256(data + b"x").hexdigest()
        d = lfs_batch("acme/w1", [{"oid": sha2, "size": len(data) + 1}],
                      transfers=("basic",)).json()
        check("chunk_size" not in (d["objects"][0]["actions"]["upload"].get("header") or {}),
              "basic when multipart not offered")
    finally:
        emu("POST", "config", {"multipart_threshold": 20 << 20,
                               "multipart_chunk_size": 10 << 20})


@test
def commit_parent_conflict_pr_and_deletes():
    head = request("GET", "/api/models/acme/w1/revision/main").json()["sha"]

    def post(lines, rev="main", token=ALICE, query=""):
        return request("POST", f"/api/models/acme/w1/commit/{rev}{query}", token=token,
                       body=commit_ndjson(lines), headers={"Content-Type": "application/x-ndjson"})

    hdr = {"key": "header", "value": {"summary": "stale", "parentCommit": "0" * 40}}
    r = post([hdr, {"key": "deletedFile", "value": {"path": "docs/hi.txt"}}])
    eq(r.status, 412, "stale parentCommit")
    check("The branch was updated" in r.json()["error"], "412 message")
    hdr = {"key": "header", "value": {"summary": "ok", "parentCommit": head[:7]}}
    r = post([hdr, {"key": "deletedFolder", "value": {"path": "docs/"}}])
    eq(r.status, 200, f"short parentCommit {r.body!r}")
    r = post([{"key": "header", "value": {"summary": "x"}},
              {"key": "deletedFile", "value": {"path": "docs/hi.txt"}}])
    eq((r.status, r.h("x-error-code")), (404, "EntryNotFound"), "delete missing file")
    r = post([{"key": "header", "value": {"summary": "x"}},
              {"key": "file", "value": {"path": "a.txt", "content": "YQ==",
                                        "encoding": "base64"}}], token=BOB)
    eq(r.status, 403, "read token cannot commit")
    r = post([{"key": "header", "value": {"summary": "PR by bob"}},
              {"key": "file", "value": {"path": "a.txt", "content": "YQ==",
                                        "encoding": "base64"}}], token=BOB, query="?create_pr=1")
    eq(r.status, 200, f"PR {r.body!r}")
    d = r.json()
    eq(d["pullRequestUrl"], f"{EMU.main}/acme/w1/discussions/1", "pullRequestUrl")
    refs = request("GET", "/api/models/acme/w1/refs?include_prs=true").json()
    eq(refs["pullRequests"][0]["targetCommit"], d["commitOid"], "refs/pr/1")
    eq(request("GET", "/acme/w1/resolve/refs%2Fpr%2F1/a.txt").body, b"a", "PR content")
    check(request("GET", "/acme/w1/resolve/main/a.txt").status == 404, "main untouched")
    # commit to the PR branch
    r = post([{"key": "header", "value": {"summary": "more"}},
              {"key": "file", "value": {"path": "b.txt", "content": "Yg==",
                                        "encoding": "base64"}}], rev="refs%2Fpr%2F1")
    eq(r.status, 200, "commit on refs/pr/1")
    eq(request("GET", "/acme/w1/resolve/refs/pr/1/b.txt").body, b"b", "PR update")
    r = post([{"key": "header", "value": {"summary": "x"}},
              {"key": "file", "value": {"path": "c.txt", "content": "Yw=="}}], rev="nope")
    eq((r.status, r.h("x-error-code")), (404, "RevisionNotFound"), "missing branch")
    r = post([{"key": "header", "value": {"summary": "x"}},
              {"key": "file", "value": {"path": "x", "content": "YQ=="}}], token=None)
    eq(r.status, 401, "anonymous commit")


@test
def branches_tags_settings_move_delete():
    def api(method, path, body=None, token=ALICE):
        return request(method, f"/api/models/acme/w1/{path}", token=token,
                       body=body if body is not None else b"")

    eq(api("POST", "branch/feature%2Fx", {}).status, 200, "create branch")
    eq(api("POST", "branch/feature%2Fx", {}).status, 409, "branch exists")
    eq(api("POST", "branch/refs%2Fpr%2F5", {}).status, 400, "invalid branch name")
    eq(api("POST", "branch/b2", {"startingPoint": "nope"}).h("x-error-code"), "RevisionNotFound",
       "bad starting point")
    eq(request("GET", "/acme/w1/resolve/feature/x/.gitattributes").status, 200,
       "raw branch with a slash")
    eq(api("POST", "tag/main", {"tag": "v1.0", "message": "first"}).status, 200, "tag")
    eq(api("POST", "tag/main", {"tag": "v1.0"}).status, 409, "tag exists")
    eq(request("GET", "/api/models/acme/w1/revision/v1.0").status, 200, "tag resolves")
    eq(api("DELETE", "tag/v1.0").status, 200, "delete tag")
    eq(api("DELETE", "tag/v1.0").h("x-error-code"), "RevisionNotFound", "tag gone")
    eq(api("DELETE", "branch/feature%2Fx").status, 200, "delete branch")
    eq(api("DELETE", "branch/main").status, 403, "main is protected")
    eq(api("POST", "branch/b3", {}, token=BOB).status, 403, "read token")
    eq(api("PUT", "settings", {"private": True}).status, 200, "settings")
    eq(request("GET", "/api/models/acme/w1").status, 401, "now private")
    eq(api("PUT", "settings", {"visibility": "public", "gated": "auto"}).status, 200, "public")
    eq(request("GET", "/acme/w1/resolve/main/.gitattributes").h("x-error-code"), "GatedRepo",
       "gated")
    eq(api("PUT", "settings", {"gated": False}).status, 200, "ungate")
    r = request("POST", "/api/repos/move", token=ALICE,
                body={"fromRepo": "acme/w1", "toRepo": "acme/w1-moved", "type": "model"})
    eq(r.status, 200, f"move {r.body!r}")
    r = request("GET", "/api/models/acme/w1/revision/main?expand=sha")
    eq((r.status, r.h("location")), (307, "/api/models/acme/w1-moved/revision/main?expand=sha"),
       "renamed repo redirect")
    check(r.body.startswith(b"Temporary Redirect. Redirecting to /api/models/acme/w1-moved"),
          "redirect body")
    r = request("HEAD", "/acme/w1/resolve/main/.gitattributes")
    eq((r.status, r.h("location")), (307, "/acme/w1-moved/resolve/main/.gitattributes"),
       "resolve redirect")
    r = request("DELETE", "/api/repos/delete", token=BOB,
                body={"name": "w1-moved", "organization": "acme", "type": "model"})
    eq(r.status, 403, "read token cannot delete")
    r = request("DELETE", "/api/repos/delete", token=ALICE,
                body={"name": "w1-moved", "organization": "acme", "type": "model"})
    eq((r.status, r.body, r.h("content-type")), (200, b"OK", "text/plain; charset=utf-8"),
       "delete")
    eq(request("GET", "/api/models/acme/w1-moved", token=ALICE).status, 404, "gone")


@test
def validate_yaml_answers_json():
    r = request("POST", "/api/validate-yaml", token=ALICE,
                body={"content": "---\nlicense: mit\n---\n# hi\n", "repoType": "model"})
    eq((r.status, r.json()), (200, {"errors": [], "warnings": []}), "valid")
    r = request("POST", "/api/validate-yaml", token=ALICE,
                body={"content": "---\nlicense: mit\n# never closed\n", "repoType": "model"})
    eq(r.status, 400, "invalid")
    check(r.json()["errors"][0]["message"], "error message")


@test
def search_pagination_and_filters():
    for i in range(5):
        seed({"id": f"acme/search-{i}", "likes": i, "files": {"x.txt": str(i)}})
    seed({"id": "alice/search-private", "private": True, "files": {"x.txt": "p"}})
    emu("POST", "config", {"search_page_size": 2})
    try:
        url = "/api/models?search=search-&author=acme&sort=likes&direction=-1"
        ids, pages = [], 0
        while url and pages < 10:
            r = request("GET", url)
            eq(r.status, 200, "status")
            ids += [m["id"] for m in r.json()]
            pages += 1
            link = r.h("link")
            url = link[1:link.index(">")] if link else None
            if link:
                check(link.startswith(f"<{EMU.main}/api/models?") and "search=search-" in link,
                      f"next link {link}")
        eq(ids, [f"acme/search-{i}" for i in (4, 3, 2, 1, 0)], "sorted by likes desc")
        eq(pages, 3, "pages")
        r = request("GET", "/api/models?search=search-&sort=likes&direction=1&limit=1")
        eq([m["id"] for m in r.json()], ["acme/search-0"], "ascending, limit")
        m = r.json()[0]
        for key in ("_id", "id", "likes", "private", "downloads", "tags", "createdAt"):
            check(key in m, f"list entry has {key}")
        r = request("GET", "/api/models?search=search-private", token=ALICE)
        eq([m["id"] for m in r.json()], ["alice/search-private"], "private visible to owner")
        eq(request("GET", "/api/models?search=search-private").json(), [], "hidden otherwise")
        r = request("GET", "/api/datasets?author=acme")
        eq([m["id"] for m in r.json()], ["acme/data"], "datasets")
        r = request("GET", "/api/models?search=search-1&expand=sha")
        eq(list(r.json()[0]), ["_id", "id", "sha"], "expand in listings")
    finally:
        emu("POST", "config", {"search_page_size": 1000})


@test
def readme_seed_example_and_history():
    src = tempfile.NamedTemporaryFile(delete=False)
    src.write(b"copied from disk\n")
    src.close()
    try:
        s = seed({
            "type": "model", "id": "org/name", "private": False, "gated": False,
            "files": {
                "config.json": {"text": "{\"a\": 1}\n"},
                "model.safetensors": {"size": 3000000, "seed": 7},
                "big.bin": {"size": 2048, "seed": 1, "lfs": True},
                "a/b.txt": {"base64": "aGVsbG8K"},
                "meta.json": {"json": {"k": 1}},
                "copy.bin": {"file": src.name, "lfs": False},
                "README.md": "# shorthand for text\n"},
            "commits": [{"message": "Update notes",
                         "files": {"README.md": "# v2\n", "a/b.txt": None}}],
            "branches": {"dev": {"config.json": "{\"dev\": true}\n"},
                         "exp": {"from": "v1", "message": "Experiment", "files": {"x.txt": "x"}}},
            "tags": {"v1": "main", "v2": "dev"},
            "pr": True,
            "prs": [{"from": "dev", "files": {"p.txt": "p"}}],
            "granted": ["carol"], "likes": 3, "downloads": 10,
            "info": {"pipeline_tag": "text-generation", "library_name": "transformers",
                     "tags": ["t"]}})
    finally:
        os.unlink(src.name)
    f = s["files"]
    eq(sorted(f), [".gitattributes", "README.md", "big.bin", "config.json", "copy.bin",
                   "meta.json", "model.safetensors"], "main files after the deletion")
    eq((f["copy.bin"]["lfs"], f["copy.bin"]["oid"]), (False, git_blob_oid(b"copied from disk\n")),
       "lfs:false overrides the *.bin pattern")
    eq(f["big.bin"]["sha256"], hashlib.sha256(gen_bytes(2048, 1)).hexdigest(), "small generated")
    eq(f["model.safetensors"]["sha256"], BASE["files"]["model.safetensors"]["sha256"],
       "same size+seed, same bytes")
    eq(len(s["commits"]), 3, "initial, upload, update")
    eq(s["refs"]["v1"], s["sha"], "v1 on main")
    eq(s["refs"]["v2"], s["refs"]["dev"], "v2 on dev")
    eq(sorted(s["revisions"]["exp"]["files"]), sorted(list(f) + ["x.txt"]), "exp from v1")
    eq(sorted(s["revisions"]["refs/pr/2"]["files"]), sorted(list(f) + ["p.txt"]), "pr from dev")
    eq(s["revisions"]["refs/pr/2"]["files"]["config.json"]["size"], 14, "pr 2 has dev config")
    c = request("GET", "/api/models/org/name/commits/exp").json()
    eq([x["title"] for x in c], ["Experiment", "Update notes", "Upload files", "initial commit"],
       "exp history")
    eq(c[1]["id"], s["sha"], "parents chain")
    d = request("GET", "/api/models/org/name").json()
    eq((d["pipeline_tag"], d["library_name"], d["tags"], d["likes"], d["downloads"]),
       ("text-generation", "transformers", ["t"], 3, 10), "info fields")


@test
def unicode_paths_cdn_head_and_expiry():
    name = "dir with space/modèle ü.bin"
    s = seed({"type": "dataset", "id": "acme/uni", "files": {name: {"size": 4096, "seed": 9}}})
    e = s["files"][name]
    eq(e["lfs"], True, "*.bin is LFS")
    quoted = urllib.parse.quote(name)
    r = request("HEAD", f"/datasets/acme/uni/resolve/main/{quoted}")
    eq(r.status, 302, "dataset LFS redirect")
    loc = r.h("location")
    h = request("HEAD", loc)
    eq((h.status, h.h("content-length"), h.h("etag")), (200, "4096", f'"{e["sha256"]}"'),
       "CDN HEAD")
    check("filename*=UTF-8''" + urllib.parse.quote("modèle ü.bin") in h.h("content-disposition"),
          h.h("content-disposition"))
    eq(hashlib.sha256(request("GET", loc).body).hexdigest(), e["sha256"], "bytes")
    t = request("GET", "/api/datasets/acme/uni/tree/main/" + urllib.parse.quote(
        "dir with space", safe="")).json()
    eq([x["path"] for x in t], [name], "tree with spaces")
    emu("POST", "config", {"cdn_url_ttl": -10})
    try:
        loc = request("HEAD", f"/datasets/acme/uni/resolve/main/{quoted}").h("location")
        r = request("GET", loc)
        eq(r.status, 403, "expired URL")
        check(b"expired" in r.body and r.h("content-type") == "application/xml", "S3-like error")
    finally:
        emu("POST", "config", {"cdn_url_ttl": 3600})


@test
def command_line_seed_users_org_config():
    out = subprocess.run([sys.executable, os.path.join(HERE, "hubemu.py"), "--help"],
                         capture_output=True, text=True, timeout=20).stdout
    for word in ("hf_alice_write_token", "hf_bob_read_token", "--seed", "--cdn-host"):
        check(word in out, f"--help mentions {word}")
    tmp = tempfile.mkdtemp(prefix="hubemu-cli-")
    seed_file = os.path.join(tmp, "seed.json")
    with open(seed_file, "w") as f:
        json.dump([{"id": "labs/one", "private": True,
                    "files": {"a.txt": "a", "b.txt": "b", "c.txt": "c"}}], f)
    py = os.environ.get("HUBEMU_PYTHON", sys.executable)
    proc = subprocess.Popen([py, os.path.join(HERE, "hubemu.py"), "--port", "0",
                             "--user", "dave:hf_dave_token:write", "--org", "labs:dave",
                             "--seed", seed_file, "--config", '{"tree_page_size": 1}'],
                            stdout=subprocess.PIPE)
    try:
        url = read_line(proc, "hubemu listening on ")
        read_line(proc, "hubemu cdn on ")
        d = request("GET", f"{url}/api/whoami-v2", token="hf_dave_token").json()
        eq((d["name"], [o["name"] for o in d["orgs"]]), ("dave", ["labs"]), "cli user and org")
        eq(request("GET", f"{url}/api/whoami-v2", token=ALICE).status, 200, "defaults kept")
        eq(request("GET", f"{url}/api/models/labs/one").status, 401, "seeded private repo")
        r = request("GET", f"{url}/api/models/labs/one/tree/main", token="hf_dave_token")
        eq((r.status, len(r.json())), (200, 1), "one entry per page from --config")
        check(r.h("link") and r.h("link").startswith(f"<{url}/"), "Link on that port")
        request("POST", f"{url}/_emu/reset")
        eq(request("GET", f"{url}/_emu/config").json()["tree_page_size"], 1,
           "reset returns to the --config values")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            eq(proc.wait(10), 0, "clean exit on SIGTERM")
        finally:
            if proc.poll() is None:
                proc.kill()
            shutil.rmtree(tmp, ignore_errors=True)


@test
def chunked_request_body_and_reset_endpoint():
    s = socket.create_connection(EMU.main_addr, timeout=10)
    try:
        body = json.dumps({"paths": ["config.json"]}).encode()
        half = len(body) // 2
        s.sendall(b"POST /api/models/acme/base/paths-info/main HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                  + b"%x\r\n" % half + body[:half] + b"\r\n"
                  + b"%x\r\n" % (len(body) - half) + body[half:] + b"\r\n0\r\n\r\n")
        data = b""
        while b'"config.json"' not in data:
            chunk = s.recv(4096)
            check(chunk, "connection closed")
            data += chunk
        check(data.startswith(b"HTTP/1.1 200"), data[:40])
    finally:
        s.close()
    emu("POST", "reset")
    eq(request("GET", "/api/models/acme/base").status, 401, "reset removes repos")
    eq(emu("GET", "config")["tree_page_size"], 1000, "config back to defaults")
    base_seed()


def main():
    global EMU
    print(f"1..{len(TESTS)}", flush=True)
    failed = 0
    t_start = time.monotonic()
    try:
        EMU = Emu()
        base_seed()
    except Exception:
        print("Bail out! cannot start hubemu: " + traceback.format_exc().splitlines()[-1],
              flush=True)
        if EMU:
            EMU.stop()
        return 1
    try:
        for i, fn in enumerate(TESTS, 1):
            name = fn.__name__
            try:
                fn()
                print(f"ok {i} - {name}", flush=True)
            except Exception as e:
                failed += 1
                print(f"not ok {i} - {name}", flush=True)
                for line in traceback.format_exception(type(e), e, e.__traceback__)[-4:]:
                    for sub in line.rstrip().splitlines():
                        print(f"# {sub}", flush=True)
                try:
                    request("DELETE", "/_emu/faults")
                except Exception:
                    pass
    finally:
        EMU.stop()
    print(f"# {len(TESTS) - failed} passed, {failed} failed in "
          f"{time.monotonic() - t_start:.1f}s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
