# SPDX-License-Identifier: LGPL-2.1-or-later
"""Repository model of the Hub emulator (standard library only).

Content lives on disk, addressed by SHA-256 (``BlobStore``). Repositories are
kept in memory as git-like objects: every commit holds a flat map
``path -> FileEntry`` plus real git object ids (blob, tree and commit SHA-1s
computed exactly as git computes them), so oids seen by clients are the
values the real Hub would show for the same content and history.
"""

import base64
import datetime
import fnmatch
import hashlib
import json
import os
import queue
import random
import re
import struct
import tempfile
import threading
import time

LFS_THRESHOLD = 10 * 1024 * 1024  # the Hub's preupload rule: >= 10 MiB goes to LFS
REPO_TYPES = ("model", "dataset", "space")
TYPE_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
PLURAL = {"model": "models", "dataset": "datasets", "space": "spaces"}
SINGULAR = {v: k for k, v in PLURAL.items()}
GEN_VERSION = "v1"  # bump when the generator below changes (it keys the disk cache)
GEN_BLOCK = 1 << 20

# The .gitattributes the Hub writes in the "initial commit" of a new repo.
DEFAULT_GITATTRIBUTES = "".join(
    f"{p} filter=lfs diff=lfs merge=lfs -text\n"
    for p in (
        "*.7z", "*.arrow", "*.bin", "*.bz2", "*.ckpt", "*.ftz", "*.gguf", "*.gz",
        "*.h5", "*.joblib", "*.lfs.*", "*.mlmodel", "*.model", "*.msgpack",
        "*.npy", "*.npz", "*.onnx", "*.ot", "*.parquet", "*.pb", "*.pickle",
        "*.pkl", "*.pt", "*.pth", "*.rar", "*.safetensors", "saved_model/**/*",
        "*.tar.*", "*.tar", "*.tflite", "*.tgz", "*.wasm", "*.xz", "*.zip",
        "*.zst", "*tfevents*",
    )
)

REPO_NAME_RE = re.compile(r"^[\w\-.]{1,96}$")


class HubError(Exception):
    """An error answered to the client: status, JSON body, Hub error headers."""

    def __init__(self, status, message, code=None, headers=None, body=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code  # X-Error-Code
        self.headers = dict(headers or {})
        self.body = body  # overrides {"error": message}


# --------------------------------------------------------------------------- hashing helpers


def git_blob_oid(data):
    h = hashlib.sha1(b"blob %d\0" % len(data))
    h.update(data)
    return h.hexdigest()


def lfs_pointer(sha256, size):
    return (
        "version https://git-lfs.github.com/spec/v1\n"
        f"oid sha256:{sha256}\n"
        f"size {size}\n"
    ).encode()


def iso(ts):
    """Hub datetime format: millisecond precision, 'Z' suffix."""
    d = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)


def object_id(seed_text):
    """A 24-hex Mongo-like id: creation time then a stable hash."""
    return "%08x" % int(time.time()) + hashlib.sha1(seed_text.encode()).hexdigest()[:16]


def gen_block(seed, index, base):
    blk = bytearray(base)
    blk[0:16] = struct.pack("<QQ", seed & 0xFFFFFFFFFFFFFFFF, index)
    return blk


# --------------------------------------------------------------------------- blobs on disk


class Blob:
    """Content stored on disk under its SHA-256."""

    __slots__ = ("sha256", "size", "path", "_git_oid")

    def __init__(self, sha256, size, path, git_oid=None):
        self.sha256 = sha256
        self.size = size
        self.path = path
        self._git_oid = git_oid


class BlobStore:
    """Content-addressed files: ``objects/<sha256>``; immutable once written.

    The store outlives /_emu/reset (and runs, with --state): generated content
    is indexed by (size, seed) so a second 2 GiB seed costs nothing.
    """

    def __init__(self, root):
        self.root = root
        self.objects = os.path.join(root, "objects")
        self.tmp = os.path.join(root, "tmp")
        os.makedirs(self.objects, exist_ok=True)
        os.makedirs(self.tmp, exist_ok=True)
        self.lock = threading.Lock()
        self.git_oids = {}  # sha256 -> git blob sha1 of the content
        self.gen_index_path = os.path.join(root, "gen-index.json")
        try:
            with open(self.gen_index_path) as f:
                self.gen_index = json.load(f)
        except (OSError, ValueError):
            self.gen_index = {}

    def path(self, sha256):
        return os.path.join(self.objects, sha256)

    def get(self, sha256):
        p = self.path(sha256)
        try:
            size = os.stat(p).st_size
        except OSError:
            return None
        return Blob(sha256, size, p, self.git_oids.get(sha256))

    def new_tmp(self, suffix=""):
        fd, p = tempfile.mkstemp(dir=self.tmp, suffix=suffix)
        return os.fdopen(fd, "wb"), p

    def adopt(self, tmp_path, sha256, git_oid=None):
        """Move a finished temp file into place under its sha256."""
        dest = self.path(sha256)
        if os.path.exists(dest):
            os.unlink(tmp_path)
        else:
            os.replace(tmp_path, dest)
        if git_oid:
            self.git_oids[sha256] = git_oid
        return self.get(sha256)

    def put_bytes(self, data):
        sha = hashlib.sha256(data).hexdigest()
        self.git_oids.setdefault(sha, git_blob_oid(data))
        if not os.path.exists(self.path(sha)):
            f, tmp = self.new_tmp()
            with f:
                f.write(data)
            self.adopt(tmp, sha)
        return self.get(sha)

    def put_file(self, src):
        """Copy an existing file into the store (streamed)."""
        f, tmp = self.new_tmp()
        h = hashlib.sha256()
        with f, open(src, "rb") as s:
            while True:
                chunk = s.read(1 << 22)
                if not chunk:
                    break
                h.update(chunk)
                f.write(chunk)
        return self.adopt(tmp, h.hexdigest())

    def git_oid(self, blob):
        """Git blob sha1 of the content (computed lazily for big files)."""
        if blob.sha256 in self.git_oids:
            return self.git_oids[blob.sha256]
        h = hashlib.sha1(b"blob %d\0" % blob.size)
        with open(blob.path, "rb") as f:
            while True:
                chunk = f.read(1 << 22)
                if not chunk:
                    break
                h.update(chunk)
        self.git_oids[blob.sha256] = h.hexdigest()
        return self.git_oids[blob.sha256]

    def read(self, blob, limit=None):
        with open(blob.path, "rb") as f:
            return f.read() if limit is None else f.read(limit)

    def generate(self, size, seed):
        """Deterministic pseudo-random content of ``size`` bytes.

        Algorithm (GEN_VERSION v1): base = random.Random(seed).randbytes(1 MiB);
        block i is base with its first 16 bytes replaced by
        struct.pack("<QQ", seed, i); the file is blocks 0, 1, ... cut at size.
        Every block differs, so an offset error of whole blocks changes bytes.
        (randbytes(n) is a prefix of randbytes(m) for n <= m, n a multiple of 4,
        so small files use a shorter base with the same result.)
        """
        if size < GEN_BLOCK:  # small: make it in memory, no index entry
            base = random.Random(seed).randbytes(-(-size // 4) * 4)
            return self.put_bytes(bytes(gen_block(seed, 0, base)[:size]))
        key = f"{GEN_VERSION}:{size}:{seed}"
        with self.lock:
            known = self.gen_index.get(key)
        if known and os.path.exists(self.path(known)):
            return self.get(known)
        base = random.Random(seed).randbytes(GEN_BLOCK)
        h = hashlib.sha256()
        f, tmp = self.new_tmp(".gen")
        # hashing and writing both release the GIL: run them side by side
        q = queue.Queue(maxsize=16)
        failure = []

        def writer():
            try:
                while True:
                    view = q.get()
                    if view is None:
                        return
                    f.write(view)
            except OSError as e:  # keep draining so the producer never blocks
                failure.append(e)
                while q.get() is not None:
                    pass

        t = threading.Thread(target=writer, daemon=True)
        t.start()
        with f:
            remaining, i = size, 0
            while remaining > 0:
                blk = gen_block(seed, i, base)
                n = min(remaining, GEN_BLOCK)
                view = memoryview(blk)[:n]
                q.put(view)
                h.update(view)
                remaining -= n
                i += 1
            q.put(None)
            t.join()
        if failure:
            os.unlink(tmp)
            raise failure[0]
        sha = h.hexdigest()
        blob = self.adopt(tmp, sha)
        with self.lock:
            self.gen_index[key] = sha
            tmp_index = self.gen_index_path + ".tmp"
            with open(tmp_index, "w") as fi:
                json.dump(self.gen_index, fi)
            os.replace(tmp_index, self.gen_index_path)
        return blob


# --------------------------------------------------------------------------- git-like objects


class FileEntry:
    """One file of a commit. ``git_oid`` is the blob the git tree points to:
    the content itself for a regular file, the LFS pointer for an LFS file."""

    __slots__ = ("sha256", "size", "lfs", "git_oid", "pointer_size")

    def __init__(self, sha256, size, lfs, git_oid, pointer_size=None):
        self.sha256 = sha256
        self.size = size
        self.lfs = lfs
        self.git_oid = git_oid
        self.pointer_size = pointer_size

    def key(self):
        return (self.git_oid, self.lfs)

    def etag(self):
        return self.sha256 if self.lfs else self.git_oid

    def describe(self):
        d = {"oid": self.git_oid, "size": self.size, "lfs": self.lfs,
             "sha256": self.sha256, "etag": self.etag()}
        if self.lfs:
            d["pointer_size"] = self.pointer_size
        return d


def _git_sort_key(name, is_dir):
    return name.encode() + (b"/" if is_dir else b"")


def build_trees(files):
    """Compute git tree oids for every directory of a flat ``path -> FileEntry``
    map. Returns ``{dir_path: oid}`` with "" for the root."""
    children = {"": {}}
    for path in files:
        parts = path.split("/")
        for i in range(1, len(parts)):
            d = "/".join(parts[:i])
            children.setdefault(d, {})
            parent = "/".join(parts[: i - 1])
            children[parent][parts[i - 1]] = ("dir", d)
        parent = "/".join(parts[:-1])
        children.setdefault(parent, {})[parts[-1]] = ("file", path)
    oids = {}

    def tree_oid(d):
        if d in oids:
            return oids[d]
        items = []
        for name, (kind, full) in children[d].items():
            if kind == "dir":
                items.append((_git_sort_key(name, True), b"40000", name, tree_oid(full)))
            else:
                items.append((_git_sort_key(name, False), b"100644", name, files[full].git_oid))
        items.sort(key=lambda t: t[0])
        body = b"".join(mode + b" " + name.encode() + b"\0" + bytes.fromhex(oid)
                        for _, mode, name, oid in items)
        oids[d] = hashlib.sha1(b"tree %d\0" % len(body) + body).hexdigest()
        return oids[d]

    # deepest first keeps recursion shallow
    for d in sorted(children, key=lambda x: -x.count("/")):
        tree_oid(d)
    return oids, children


class Commit:
    __slots__ = ("oid", "parents", "files", "title", "message", "author", "date",
                 "tree_oids", "children")

    def __init__(self, parents, files, title, message, author, date):
        self.parents = parents
        self.files = files
        self.title = title
        self.message = message
        self.author = author
        self.date = date
        self.tree_oids, self.children = build_trees(files)
        email = f"{author}@users.noreply.huggingface.co"
        stamp = f"{author} <{email}> {int(date)} +0000"
        body = f"tree {self.tree_oids['']}\n"
        body += "".join(f"parent {p}\n" for p in parents)
        body += f"author {stamp}\ncommitter {stamp}\n\n{message}\n"
        raw = body.encode()
        self.oid = hashlib.sha1(b"commit %d\0" % len(raw) + raw).hexdigest()

    def is_dir(self, path):
        return path in self.children and path != ""

    def public(self, formatted=False):
        d = {
            "id": self.oid,
            "title": self.title,
            "message": self.message,
            "authors": [{"user": self.author, "avatar": f"/avatars/{self.author}.svg"}],
            "date": iso(self.date),
        }
        if formatted:
            esc = lambda s: s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            d["formatted"] = {"title": esc(self.title), "message": esc(self.message)}
        return d


# ------------------------------------------------------------------ .gitattributes, .gitignore


def _pattern_match(pattern, path):
    if pattern.endswith("/**/*") or "/" in pattern.rstrip("/"):
        pat = pattern.lstrip("/")
        if pat.endswith("/**/*"):
            return path.startswith(pat[:-5] + "/")
        return fnmatch.fnmatchcase(path, pat)
    return fnmatch.fnmatchcase(path.rsplit("/", 1)[-1], pattern)


def lfs_patterns(gitattributes_text):
    pats = []
    for line in (gitattributes_text or "").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if "filter=lfs" in parts[1:]:
            pats.append(parts[0].replace("[[:space:]]", " "))
        elif "-filter" in parts[1:] or "!filter" in parts[1:]:
            pats = [p for p in pats if p != parts[0]]
    return pats


def matches_lfs(gitattributes_text, path):
    return any(_pattern_match(p, path) for p in lfs_patterns(gitattributes_text))


def ignored(gitignore_text, path):
    """Minimal .gitignore: glob lines, trailing '/' for folders, '!' negation."""
    result = False
    for line in (gitignore_text or "").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        neg = line.startswith("!")
        pat = line[1:] if neg else line
        if pat.endswith("/"):
            hit = any(_pattern_match(pat.rstrip("/"), "/".join(path.split("/")[: i + 1]))
                      for i in range(path.count("/")))
        else:
            hit = _pattern_match(pat, path) or any(
                _pattern_match(pat, "/".join(path.split("/")[: i + 1]))
                for i in range(path.count("/")))
        if hit:
            result = not neg
    return result


# --------------------------------------------------------------------------- users


class User:
    def __init__(self, name, token, role, kind="user"):
        self.name = name
        self.token = token
        self.role = role  # "read" | "write"
        self.kind = kind
        self.orgs = []
        self.id = object_id("user:" + name)
        self.created = time.time()

    def namespaces(self):
        return [self.name] + list(self.orgs)


# --------------------------------------------------------------------------- repositories


class Repo:
    def __init__(self, rtype, rid, private=False, gated=False, owner=None, sdk=None):
        self.type = rtype
        self.id = rid
        self.ns, self.name = rid.split("/", 1)
        self._id = object_id(f"{rtype}:{rid}:{time.time()}")
        self.private = bool(private)
        self.gated = gated if gated in ("auto", "manual") else (
            "auto" if gated is True else False)
        self.disabled = False
        self.created = time.time()
        self.sdk = sdk
        self.branches = {}
        self.tags = {}
        self.prs = {}
        self.commits = {}
        self.lfs_objects = set()
        self.granted = set()
        self.info = {}  # extra fields merged into repo info (seeded)
        self.likes = 0
        self.downloads = 0
        self.lock = threading.RLock()
        self._last_commit_cache = {}
        self._storage = (-1, 0)

    # ---- refs
    def default_branch(self):
        return "main"

    def resolve(self, rev):
        """Revision -> commit oid, or None."""
        if rev in (None, "", "HEAD"):
            rev = self.default_branch()
        if rev in self.branches:
            return self.branches[rev]
        if rev in self.tags:
            return self.tags[rev]
        if rev.startswith("refs/heads/") and rev[11:] in self.branches:
            return self.branches[rev[11:]]
        if rev.startswith("refs/tags/") and rev[10:] in self.tags:
            return self.tags[rev[10:]]
        m = re.fullmatch(r"refs/pr/(\d+)", rev)
        if m and int(m.group(1)) in self.prs:
            return self.prs[int(m.group(1))]
        if re.fullmatch(r"[0-9a-f]{40}", rev) and rev in self.commits:
            return rev
        return None

    def is_ref_like(self, rev):
        return self.resolve(rev) is not None

    def head(self, rev="main"):
        oid = self.resolve(rev)
        return self.commits[oid] if oid else None

    # ---- history
    def add_commit(self, parents, files, title, message, author, date=None):
        c = Commit(parents, files, title, message, author, date or time.time())
        self.commits[c.oid] = c
        return c

    def history(self, oid):
        """First-parent history, newest first."""
        out = []
        seen = set()
        while oid and oid not in seen:
            seen.add(oid)
            c = self.commits[oid]
            out.append(c)
            oid = c.parents[0] if c.parents else None
        return out

    def _path_key(self, commit, path):
        if path in commit.files:
            return ("f",) + commit.files[path].key()
        if commit.is_dir(path):
            return ("d", commit.tree_oids[path])
        return None

    def last_commit(self, commit_oid, path):
        """The most recent commit (first-parent walk) that changed ``path``."""
        ck = (commit_oid, path)
        if ck in self._last_commit_cache:
            return self._last_commit_cache[ck]
        commit = self.commits[commit_oid]
        want = self._path_key(commit, path)
        found = commit
        for c in self.history(commit_oid):
            parent = self.commits[c.parents[0]] if c.parents else None
            if parent is None or self._path_key(parent, path) != want:
                found = c
                break
        self._last_commit_cache[ck] = found
        return found

    def used_storage(self):
        n = len(self.commits)
        if self._storage[0] != n:
            seen = {}
            for c in self.commits.values():
                for e in c.files.values():
                    seen[e.sha256] = e.size
            self._storage = (n, sum(seen.values()))
        return self._storage[1]

    def url_path(self):
        return TYPE_PREFIX[self.type] + self.id


def validate_repo_id(rid):
    parts = rid.split("/")
    if len(parts) != 2 or not all(parts):
        raise HubError(400, f"Invalid repo id '{rid}': expected 'namespace/name'")
    for p in parts:
        if not REPO_NAME_RE.match(p) or "--" in p or ".." in p or p.endswith(".git"):
            raise HubError(400, f"Invalid repo name '{p}': repo names can only contain "
                           "alphanumeric characters, '-', '_' and '.', and cannot contain "
                           "'--' or '..' or end with '.git'")


def validate_file_path(path):
    if not path or path.startswith("/") or path.endswith("/"):
        raise HubError(400, f"Invalid path '{path}'")
    for seg in path.split("/"):
        if seg in ("", ".", "..", ".git"):
            raise HubError(400, f"Invalid path '{path}'")


class Hub:
    """All repositories, users and settings of one emulator instance."""

    DEFAULT_CONFIG = {
        "tree_page_size": 1000,
        "tree_expand_page_size": 50,
        "search_page_size": 1000,
        "commits_page_size": 1000,
        "lfs_threshold": LFS_THRESHOLD,
        "multipart_threshold": 20 * 1024 * 1024,
        "multipart_chunk_size": 10 * 1024 * 1024,
        "cdn_url_ttl": 3600,
        "cdn_x_cache": "Hit from cloudfront",
        "max_regular_file_size": LFS_THRESHOLD,
    }

    def __init__(self, blobs, users, orgs, main_url=""):
        self.blobs = blobs
        self.main_url = main_url
        self.lock = threading.RLock()
        self.initial_users = users
        self.initial_orgs = orgs
        self.reset()

    def reset(self):
        with self.lock:
            self.repos = {}
            self.redirects = {}
            self.config = dict(self.DEFAULT_CONFIG)
            self.users = {}
            self.orgs = {}
            for name, token, role in self.initial_users:
                self.add_user(name, token, role)
            for org, members in self.initial_orgs:
                self.add_org(org, members)

    def add_user(self, name, token, role):
        u = User(name, token, role)
        self.users[token] = u
        for org, members in self.orgs.items():
            if name in members:
                u.orgs.append(org)
        return u

    def add_org(self, org, members):
        self.orgs.setdefault(org, set()).update(members)
        for u in self.users.values():
            if u.name in members and org not in u.orgs:
                u.orgs.append(org)

    def user_by_name(self, name):
        for u in self.users.values():
            if u.name == name:
                return u
        return None

    def set_config(self, updates):
        with self.lock:
            for k, v in updates.items():
                if k not in self.DEFAULT_CONFIG:
                    raise HubError(400, f"unknown config key {k!r}; known: "
                                   + ", ".join(sorted(self.DEFAULT_CONFIG)))
                if k == "tree_page_size" and "tree_expand_page_size" not in updates:
                    self.config["tree_expand_page_size"] = v
                self.config[k] = v
            return dict(self.config)

    # ---- lookup
    def get(self, rtype, rid):
        return self.repos.get((rtype, rid))

    def redirect_target(self, rtype, rid):
        seen = set()
        while (rtype, rid) in self.redirects and rid not in seen:
            seen.add(rid)
            rid = self.redirects[(rtype, rid)]
        return rid if (rtype, rid) in self.repos else None

    # ---- access rules
    @staticmethod
    def owns(user, ns):
        return user is not None and ns in user.namespaces()

    def can_read(self, user, repo):
        return not repo.private or self.owns(user, repo.ns)

    def can_write(self, user, repo):
        return user is not None and user.role == "write" and self.owns(user, repo.ns)

    def gate_ok(self, user, repo):
        return (not repo.gated) or self.owns(user, repo.ns) or (
            user is not None and user.name in repo.granted)

    # ---- file entries
    def entry_for_blob(self, blob, lfs):
        if lfs:
            ptr = lfs_pointer(blob.sha256, blob.size)
            return FileEntry(blob.sha256, blob.size, True, git_blob_oid(ptr), len(ptr))
        return FileEntry(blob.sha256, blob.size, False, self.blobs.git_oid(blob))

    def entry_from_bytes(self, data, lfs):
        return self.entry_for_blob(self.blobs.put_bytes(data), lfs)

    def read_text(self, commit, path, limit=1 << 20):
        e = commit.files.get(path) if commit else None
        if e is None or e.lfs:
            return None
        blob = self.blobs.get(e.sha256)
        return self.blobs.read(blob, limit).decode("utf-8", "replace") if blob else None

    def wants_lfs(self, commit, path, size, gitattributes=None):
        if size >= self.config["lfs_threshold"]:
            return True
        attrs = gitattributes if gitattributes is not None else self.read_text(
            commit, ".gitattributes")
        return matches_lfs(attrs, path)

    # ---- creation
    def create_repo(self, rtype, rid, author, private=False, gated=False, sdk=None,
                    files=None, date=None):
        validate_repo_id(rid)
        if rtype not in REPO_TYPES:
            raise HubError(400, f"Invalid repo type '{rtype}'")
        with self.lock:
            if (rtype, rid) in self.repos:
                msg = f"You already created this {rtype} repo"
                raise HubError(409, msg, body={
                    "error": msg, "url": f"{self.main_url}/{TYPE_PREFIX[rtype]}{rid}"})
            repo = Repo(rtype, rid, private=private, gated=gated, sdk=sdk)
            ga = self.entry_from_bytes(DEFAULT_GITATTRIBUTES.encode(), False)
            init = repo.add_commit([], {".gitattributes": ga}, "initial commit",
                                   "initial commit", "system", date)
            repo.branches["main"] = init.oid
            self.repos[(rtype, rid)] = repo
            self.redirects.pop((rtype, rid), None)
        if files:
            ops = []
            for f in files:
                data = base64.b64decode(f.get("content", "")) if f.get(
                    "encoding", "base64") == "base64" else f.get("content", "").encode()
                ops.append(("file", f["path"], data, None))
            self.commit(repo, "main", author, "Initial files", "", ops)
        return repo

    def delete_repo(self, repo):
        with self.lock:
            self.repos.pop((repo.type, repo.id), None)

    def move_repo(self, repo, new_id):
        validate_repo_id(new_id)
        with self.lock:
            if (repo.type, new_id) in self.repos:
                raise HubError(409, f"Repository {new_id} already exists")
            del self.repos[(repo.type, repo.id)]
            self.redirects[(repo.type, repo.id)] = new_id
            repo.id = new_id
            repo.ns, repo.name = new_id.split("/", 1)
            self.repos[(repo.type, new_id)] = repo

    # ---- commits
    def commit(self, repo, rev, author, title, description, ops, parent_commit=None,
               create_pr=False, date=None):
        """Apply operations; returns (commit, pr_number or None).

        ops: tuples (kind, path, payload, extra):
          ("file", path, bytes, old_path)        regular (or LFS if big / attrs say so)
          ("lfsFile", path, (sha256, size), old_path)
          ("deletedFile", path, None, None)
          ("deletedFolder", path, None, None)
          ("entry", path, FileEntry, None)       seeding: a ready entry
        """
        with repo.lock:
            if create_pr:
                base_oid = None
                if parent_commit:
                    base_oid = self._match_commit(repo, parent_commit)
                    if base_oid is None:
                        raise HubError(400, f"Invalid parentCommit: {parent_commit}")
                else:
                    base_oid = repo.resolve(rev)
                    if base_oid is None:
                        raise HubError(404, f"Invalid rev id: {rev}", "RevisionNotFound")
            else:
                if rev.startswith("refs/pr/"):
                    m = re.fullmatch(r"refs/pr/(\d+)", rev)
                    if not m or int(m.group(1)) not in repo.prs:
                        raise HubError(404, f"Invalid rev id: {rev}", "RevisionNotFound")
                    base_oid = repo.prs[int(m.group(1))]
                else:
                    name = rev[11:] if rev.startswith("refs/heads/") else rev
                    if name not in repo.branches:
                        raise HubError(404, f"Invalid rev id: {rev}", "RevisionNotFound")
                    base_oid = repo.branches[name]
                if parent_commit and not base_oid.startswith(parent_commit.lower()):
                    raise HubError(412, "The branch was updated since you opened this page. "
                                   "Please refresh and try again.")
            base = repo.commits[base_oid]
            files = dict(base.files)
            lfs_paths = []
            added = []
            for kind, path, payload, old in ops:
                if kind == "deletedFile":
                    if path not in files:
                        raise HubError(404, f"A file with this name doesn't exist: {path}",
                                       "EntryNotFound")
                    del files[path]
                    continue
                if kind == "deletedFolder":
                    prefix = path.rstrip("/") + "/"
                    doomed = [p for p in files if p.startswith(prefix)]
                    if not doomed:
                        raise HubError(404, f"A folder with this name doesn't exist: {path}",
                                       "EntryNotFound")
                    for p in doomed:
                        del files[p]
                    continue
                validate_file_path(path)
                if kind == "file":
                    if len(payload) > self.config["max_regular_file_size"]:
                        raise HubError(400, "Your push was rejected because it contains "
                                       f"files larger than 10 MiB: {path}. Please use "
                                       "https://git-lfs.github.com/ to store large files.")
                    entry = self.entry_from_bytes(payload, False)
                elif kind == "lfsFile":
                    sha, size = payload
                    blob = self.blobs.get(sha)
                    if sha not in repo.lfs_objects or blob is None:
                        raise HubError(400, "Your push was rejected because an LFS pointer "
                                       "pointed to a file that does not exist. For instance, "
                                       "this can happen if you used git push --no-verify to "
                                       f"push your changes. Offending file: - {path}")
                    if size is not None and int(size) != blob.size:
                        raise HubError(400, f"LFS object {sha} has size {blob.size}, "
                                       f"not {size}: {path}")
                    entry = self.entry_for_blob(blob, True)
                    lfs_paths.append(path)
                elif kind == "entry":
                    entry = payload
                    if entry.lfs:
                        repo.lfs_objects.add(entry.sha256)
                else:
                    raise HubError(400, f"Unknown operation {kind}")
                if old:
                    files.pop(old, None)
                files[path] = entry
                added.append(path)
            # a file cannot replace a folder and vice versa
            dirs = set()
            for p in files:
                parts = p.split("/")
                dirs.update("/".join(parts[:i]) for i in range(1, len(parts)))
            for path in added:
                if path in dirs:
                    raise HubError(400, f"Cannot create file {path}: a folder with this "
                                   "name exists")
                parts = path.split("/")
                for i in range(1, len(parts)):
                    if "/".join(parts[:i]) in files:
                        raise HubError(400, f"Cannot create {path}: "
                                       f"{'/'.join(parts[:i])} is a file")
            # the Hub tracks lfsFile paths in .gitattributes when no pattern covers them
            attrs = None
            if ".gitattributes" in files and not files[".gitattributes"].lfs:
                blob = self.blobs.get(files[".gitattributes"].sha256)
                attrs = self.blobs.read(blob).decode("utf-8", "replace") if blob else ""
            missing = [p for p in lfs_paths if not matches_lfs(attrs or "", p)]
            if missing:
                text = (attrs or "")
                if text and not text.endswith("\n"):
                    text += "\n"
                text += "".join(p.replace(" ", "[[:space:]]")
                                + " filter=lfs diff=lfs merge=lfs -text\n" for p in missing)
                files[".gitattributes"] = self.entry_from_bytes(text.encode(), False)
            message = title + ("\n\n" + description if description else "")
            c = repo.add_commit([base_oid], files, title, message, author, date)
            pr = None
            if create_pr:
                pr = max(repo.prs, default=0) + 1
                repo.prs[pr] = c.oid
            elif rev.startswith("refs/pr/"):
                repo.prs[int(rev[8:])] = c.oid
            else:
                repo.branches[rev[11:] if rev.startswith("refs/heads/") else rev] = c.oid
            return c, pr

    @staticmethod
    def _match_commit(repo, prefix):
        prefix = prefix.lower()
        hits = [oid for oid in repo.commits if oid.startswith(prefix)]
        return hits[0] if len(hits) == 1 else None
