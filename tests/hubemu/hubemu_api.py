# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Hub's URL space (main host) and the CDN (second host) of the emulator.

``HubRoutes`` is mixed into the request handler of hubemu.py, which provides
the plumbing: ``self.read_body()``, ``self.body_chunks()``, ``self.user``,
``self.hub``, ``self.emu``, ``self.query`` and ``self.raw_path``.
Status codes, header names and JSON shapes follow
shared/reference/hub-protocol.md and the recorded cassettes.
"""

import base64
import binascii
import hashlib
import hmac
import json
import math
import mimetypes
import os
import re
import secrets
import shutil
import time
import urllib.parse

from hubemu_store import (PLURAL, SINGULAR, TYPE_PREFIX, HubError, ignored, iso,
                          lfs_pointer, matches_lfs)

EXPOSE = ("X-Repo-Commit,X-Request-Id,X-Error-Code,X-Error-Message,X-Total-Count,ETag,"
          "Link,Accept-Ranges,Content-Range,X-Linked-Size,X-Linked-ETag")
MSG_BAD_TOKEN = "Invalid credentials in Authorization header"
MSG_NO_AUTH = "Invalid username or password."
MSG_PR_ONLY = "Forbidden: pass `create_pr=1` as a query parameter to create a Pull Request"
OID_RE = re.compile(r"^[0-9a-f]{64}$")
TRUE = ("1", "true", "True", "yes")


class FileBody:
    __slots__ = ("path", "offset", "length")

    def __init__(self, path, offset, length):
        self.path = path
        self.offset = offset
        self.length = length


class Response:
    def __init__(self, status=200, headers=None, body=b"", close=False):
        self.status = status
        self.headers = list(headers or [])
        self.body = body
        self.close = close

    def set(self, name, value):
        low = name.lower()
        self.headers = [(k, v) for k, v in self.headers if k.lower() != low]
        self.headers.append((name, value))

    def has(self, name):
        return any(k.lower() == name.lower() for k, _ in self.headers)


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(obj, status=200, content_type="application/json; charset=utf-8"):
    body = dumps(obj)
    digest = base64.b64encode(hashlib.sha1(body).digest()).decode()[:27]
    return Response(status, [("Content-Type", content_type),
                             ("ETag", f'W/"{len(body):x}-{digest}"')], body)


def text_response(text, status=200):
    return Response(status, [("Content-Type", "text/plain; charset=utf-8")], text.encode())


def _flag(values, default=False):
    if not values:
        return default
    return values[-1] in TRUE


def parse_range(header, size):
    """-> None (serve whole), "unsatisfiable", or (start, end) inclusive."""
    if header is None:
        return None
    m = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", header)
    if not m or (m.group(1) == "" and m.group(2) == ""):
        return None  # multi-range or malformed: ignored, like most servers
    if m.group(1) == "":
        k = int(m.group(2))
        if k == 0 or size == 0:
            return "unsatisfiable"
        return (max(0, size - k), size - 1)
    start = int(m.group(1))
    end = int(m.group(2)) if m.group(2) else size - 1
    if start >= size:
        return "unsatisfiable"
    if end < start:
        return None
    return (start, min(end, size - 1))


class HubRoutes:
    # ================================================================== common
    def main_headers(self, resp):
        rid = "Root=1-%08x-%s" % (int(time.time()), secrets.token_hex(12))
        trace = self.headers.get("X-Amzn-Trace-Id")
        if self.headers.get("X-Request-Id"):
            rid = self.headers.get("X-Request-Id")
        elif trace:
            rid += ";" + trace
        for k, v in (("Access-Control-Allow-Origin", "*"),
                     ("Access-Control-Expose-Headers", EXPOSE),
                     ("Vary", "Origin"),
                     ("X-Powered-By", "huggingface-moon"),
                     ("X-Request-Id", rid),
                     ("X-Cache", "Miss from cloudfront")):
            if not resp.has(k):
                resp.headers.append((k, v))

    def cdn_headers(self, resp):
        x_cache = self.hub.config.get("cdn_x_cache")
        if x_cache and not resp.has("X-Cache"):
            resp.headers.append(("X-Cache", x_cache))
        if not resp.has("Via"):
            resp.headers.append(("Via", "1.1 hubemu.cloudfront.net (CloudFront)"))
        resp.headers.append(("X-Amz-Cf-Id", secrets.token_urlsafe(42)[:56]))

    def error_response(self, e):
        if self.role == "cdn":
            return self.s3_error(e.status, e.code or "AccessDenied", e.message)
        if 300 <= e.status < 400:  # renamed repo: relative Location, text body
            resp = text_response(e.message, e.status)
            for k, v in e.headers.items():
                resp.set(k, v)
            resp.set("Vary", "Origin, Accept")
            return resp
        body = e.body if e.body is not None else {"error": e.message}
        resp = json_response(body, e.status)
        if e.code:
            resp.headers.append(("X-Error-Code", e.code))
        resp.headers.append(("X-Error-Message", e.message.replace("\n", " ")))
        for k, v in e.headers.items():
            resp.set(k, v)
        return resp

    @staticmethod
    def s3_error(status, code, message):
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<Error><Code>{code}</Code><Message>{message}</Message>"
                f"<RequestId>{secrets.token_hex(8).upper()}</RequestId></Error>")
        return Response(status, [("Content-Type", "application/xml")], body.encode())

    def authenticate(self):
        h = self.headers.get("Authorization")
        if h is None:
            return None
        scheme, _, cred = h.strip().partition(" ")
        token = None
        if scheme.lower() == "bearer":
            token = cred.strip()
        elif scheme.lower() == "basic":
            try:
                token = base64.b64decode(cred.strip()).decode().partition(":")[2]
            except (binascii.Error, UnicodeDecodeError):
                token = None
        user = self.hub.users.get(token) if token else None
        if user is None:
            raise HubError(401, MSG_BAD_TOKEN)
        return user

    def route(self):
        if self.role == "cdn":
            return self.route_cdn()
        segs = [urllib.parse.unquote(s) for s in self.raw_path.split("/")[1:]]
        if segs[:2] == ["api", "complete_multipart"]:
            self.body_bytes = self.read_body()
            return self.h_complete_multipart()
        self.user = self.authenticate()
        self.body_bytes = self.read_body() if self.command not in ("GET", "HEAD") else b""
        with self.hub.lock:
            if segs and segs[0] == "api":
                return self.route_api(segs[1:])
            return self.route_repo_path(segs)

    def not_found(self):
        if self.command in ("GET", "HEAD") and not self.raw_path.startswith("/api/"):
            return text_response("Not Found", 404)
        return json_response({"error": "Sorry, we can't find the page you are looking for."}, 404)

    # ================================================================== access
    def repo_missing(self):
        if self.user is None:
            return HubError(401, MSG_NO_AUTH, "RepoNotFound")
        return HubError(404, "Repository not found", "RepoNotFound")

    def load_repo(self, rtype, rid, write=False, pr=False, gated=False):
        repo = self.hub.get(rtype, rid)
        if repo is None:
            target = self.hub.redirect_target(rtype, rid)
            if target is not None:
                loc = self.raw_path.replace("/" + rid + "/", "/" + target + "/", 1)
                if loc == self.raw_path:
                    loc = self.raw_path.replace("/" + rid, "/" + target, 1)
                if self.query_string:
                    loc += "?" + self.query_string
                raise HubError(307, f"Temporary Redirect. Redirecting to {loc}",
                               headers={"Location": loc},
                               body=None)
            raise self.repo_missing()
        if not self.hub.can_read(self.user, repo):
            raise self.repo_missing()
        if repo.disabled:
            raise HubError(403, "Access to this resource is disabled.")
        if gated and not self.hub.gate_ok(self.user, repo):
            kind = repo.type
            if self.user is None:
                raise HubError(401, f"Access to {kind} {repo.id} is restricted. You must have "
                               "access to it and be authenticated to access it. Please log in.",
                               "GatedRepo")
            raise HubError(403, f"Access to {kind} {repo.id} is restricted and you are not in "
                           f"the authorized list. Visit {self.emu.main_url}/"
                           f"{repo.url_path()} to ask for access.", "GatedRepo")
        if write or pr:
            if self.user is None:
                raise HubError(401, MSG_NO_AUTH)
            if write and not (pr and self.hub.can_read(self.user, repo)):
                if not self.hub.can_write(self.user, repo):
                    raise HubError(403, MSG_PR_ONLY)
        return repo

    def admin_check(self, repo, action):
        if self.user is None:
            raise HubError(401, MSG_NO_AUTH)
        if not self.hub.can_write(self.user, repo):
            raise HubError(403, f"You don't have the rights to {action} {repo.type} {repo.id}")

    def need_rev(self, repo, rev):
        oid = repo.resolve(rev)
        if oid is None:
            raise HubError(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        return repo.commits[oid]

    @staticmethod
    def split_rev(repo, rest, need_path):
        """Raw revisions may span segments (refs/pr/1, feature/x): take the
        longest prefix that names a revision."""
        top = len(rest) - (1 if need_path else 0)
        for k in range(top, 0, -1):
            rev = "/".join(rest[:k])
            if repo.resolve(rev) is not None:
                return rev, "/".join(rest[k:])
        return (rest[0] if rest else ""), "/".join(rest[1:])

    # ================================================================== /api
    def route_api(self, s):
        m = self.command
        if s == ["whoami-v2"] and m in ("GET", "HEAD"):
            return self.h_whoami()
        if len(s) == 1 and s[0] in SINGULAR and m in ("GET", "HEAD"):
            return self.h_search(SINGULAR[s[0]])
        if s == ["repos", "create"] and m == "POST":
            return self.h_create()
        if s == ["repos", "delete"] and m == "DELETE":
            return self.h_delete()
        if s == ["repos", "move"] and m == "POST":
            return self.h_move()
        if s == ["validate-yaml"] and m == "POST":
            return self.h_validate_yaml()
        if len(s) >= 3 and s[0] in SINGULAR:
            rtype = SINGULAR[s[0]]
            rid = f"{s[1]}/{s[2]}"
            rest = s[3:]
            action = rest[0] if rest else ""
            if action == "" and m in ("GET", "HEAD"):
                return self.h_info(rtype, rid, None)
            if action == "revision" and m in ("GET", "HEAD"):
                return self.h_info(rtype, rid, "/".join(rest[1:]))
            if action == "tree" and m in ("GET", "HEAD"):
                return self.h_tree(rtype, rid, rest[1:])
            if action == "paths-info" and m == "POST":
                return self.h_paths_info(rtype, rid, "/".join(rest[1:]))
            if action == "refs" and m in ("GET", "HEAD"):
                return self.h_refs(rtype, rid)
            if action == "commits" and m in ("GET", "HEAD"):
                return self.h_commits(rtype, rid, "/".join(rest[1:]) or "main")
            if action == "preupload" and m == "POST":
                return self.h_preupload(rtype, rid, "/".join(rest[1:]) or "main")
            if action == "commit" and m == "POST":
                return self.h_commit(rtype, rid, "/".join(rest[1:]) or "main")
            if action == "branch" and m in ("POST", "DELETE"):
                return self.h_branch(rtype, rid, "/".join(rest[1:]))
            if action == "tag" and m in ("POST", "DELETE"):
                return self.h_tag(rtype, rid, "/".join(rest[1:]))
            if action == "settings" and m == "PUT":
                return self.h_settings(rtype, rid)
            if action == "auth-check" and m in ("GET", "HEAD"):
                return self.h_auth_check(rtype, rid, rest[1:] == ["write"])
        return self.not_found()

    # ---------------------------------------------------------------- whoami
    def h_whoami(self):
        u = self.user
        if u is None:
            raise HubError(401, MSG_NO_AUTH)
        orgs = [{"type": "org", "id": hashlib.sha1(o.encode()).hexdigest()[:24], "name": o,
                 "fullname": o.capitalize(), "email": None, "canPay": False,
                 "avatarUrl": f"/avatars/{o}.svg", "periodEnd": None,
                 "roleInOrg": "admin" if u.role == "write" else "read"} for o in u.orgs]
        return json_response({
            "type": "user", "id": u.id, "name": u.name, "fullname": u.name.capitalize(),
            "email": f"{u.name}@example.com", "emailVerified": True, "canPay": False,
            "isPro": False, "periodEnd": None, "avatarUrl": f"/avatars/{u.name}.svg",
            "billingMode": "postpaid", "orgs": orgs,
            "auth": {"type": "access_token",
                     "accessToken": {"displayName": f"{u.name}-{u.role}", "role": u.role,
                                     "createdAt": iso(u.created)}},
        })

    # ---------------------------------------------------------------- repo info
    def repo_info(self, repo, commit, expand=None, blobs=False, listing=False, full=False):
        ns = repo.ns
        sib = []
        for path in sorted(commit.files):
            e = commit.files[path]
            d = {"rfilename": path}
            if blobs:
                d["size"] = e.size
                d["blobId"] = e.git_oid
                if e.lfs:
                    d["lfs"] = {"sha256": e.sha256, "size": e.size,
                                "pointerSize": e.pointer_size}
            sib.append(d)
        card = repo.info.get("cardData")
        fields = {
            "_id": repo._id, "id": repo.id, "author": ns, "sha": commit.oid,
            "lastModified": iso(commit.date), "createdAt": iso(repo.created),
            "private": repo.private, "gated": repo.gated, "disabled": repo.disabled,
            "downloads": repo.downloads, "likes": repo.likes, "tags": [],
            "siblings": sib, "usedStorage": repo.used_storage(), "xetEnabled": False,
            "trendingScore": 0, "modelId": repo.id, "spaces": [], "cardData": card,
            "sdk": repo.sdk, "library_name": None, "pipeline_tag": None,
            "description": "", "citation": "", "downloadsAllTime": repo.downloads,
            "subdomain": repo.id.replace("/", "-").lower(),
            "host": f"{self.emu.main_url}/spaces/{repo.id}",
            "runtime": {"stage": "RUNNING", "hardware": {"current": "cpu-basic",
                                                         "requested": "cpu-basic"},
                        "storage": None, "gcTimeout": 172800,
                        "replicas": {"current": 1, "requested": 1}},
        }
        fields.update(repo.info)
        if expand:
            out = {"_id": repo._id, "id": repo.id}
            for k in expand:
                if k in fields and fields[k] is not None:
                    out[k] = fields[k]
                elif k in fields:
                    out[k] = fields[k]
            return out
        if repo.type == "model":
            keys = ["_id", "id", "private", "pipeline_tag", "library_name", "tags",
                    "downloads", "likes", "modelId", "author", "sha", "lastModified", "gated",
                    "disabled", "cardData", "siblings", "spaces", "createdAt", "usedStorage"]
            if listing and not full:
                keys = ["_id", "id", "likes", "trendingScore", "private", "downloads", "tags",
                        "pipeline_tag", "library_name", "createdAt", "modelId"]
        elif repo.type == "dataset":
            keys = ["_id", "id", "author", "sha", "lastModified", "private", "gated",
                    "disabled", "tags", "citation", "description", "downloads", "likes",
                    "cardData", "siblings", "createdAt", "usedStorage"]
            if listing and not full:
                keys = ["_id", "id", "author", "cardData", "disabled", "gated", "lastModified",
                        "likes", "trendingScore", "private", "sha", "description", "downloads",
                        "tags", "createdAt"]
        else:
            keys = ["_id", "id", "author", "sha", "lastModified", "private", "gated",
                    "disabled", "host", "subdomain", "likes", "sdk", "tags", "runtime",
                    "cardData", "siblings", "createdAt", "usedStorage"]
            if listing and not full:
                keys = ["_id", "id", "likes", "trendingScore", "private", "sdk", "tags",
                        "createdAt"]
        out = {}
        for k in keys:
            if k in ("pipeline_tag", "library_name", "cardData", "sdk") and fields.get(k) is None:
                continue
            out[k] = fields[k]
        for k, v in repo.info.items():
            out.setdefault(k, v)
        return out

    def _expand(self):
        vals = self.query.get("expand", []) + self.query.get("expand[]", [])
        return [v for v in vals if v]

    def h_info(self, rtype, rid, rev):
        repo = self.load_repo(rtype, rid)
        commit = self.need_rev(repo, rev if rev else "main")
        return json_response(self.repo_info(repo, commit, self._expand(),
                                            blobs=_flag(self.query.get("blobs"))))

    # ---------------------------------------------------------------- tree
    def tree_entry(self, repo, commit, path, expand):
        if path in commit.files:
            e = commit.files[path]
            d = {"type": "file", "oid": e.git_oid, "size": e.size, "path": path}
            if e.lfs:
                d["lfs"] = {"oid": e.sha256, "size": e.size, "pointerSize": e.pointer_size}
        else:
            d = {"type": "directory", "oid": commit.tree_oids[path], "size": 0, "path": path}
        if expand:
            lc = repo.last_commit(commit.oid, path)
            d["lastCommit"] = {"id": lc.oid, "title": lc.title, "date": iso(lc.date)}
            if d["type"] == "file":
                d["securityFileStatus"] = {"status": "safe",
                                           "avScan": {"virusFound": False, "virusNames": None},
                                           "pickleImportScan": None}
        return d

    @staticmethod
    def list_dir(commit, base, recursive):
        """Paths below ``base`` in git ls-tree order (-r -t when recursive)."""
        out = []

        def walk(d):
            kids = commit.children.get(d, {})
            order = sorted(kids.items(), key=lambda kv: kv[0].encode()
                           + (b"/" if kv[1][0] == "dir" else b""))
            for name, (kind, full) in order:
                out.append(full)
                if kind == "dir" and recursive:
                    walk(full)

        walk(base)
        return out

    def paginate(self, items, page_size, cursor_param="cursor"):
        raw = (self.query.get(cursor_param) or [""])[-1]
        start = 0
        if raw:
            try:
                start = int(json.loads(base64.urlsafe_b64decode(raw + "==").decode())["o"])
            except (ValueError, KeyError, TypeError, binascii.Error):
                raise HubError(400, "Invalid cursor") from None
        page = items[start:start + page_size]
        link = None
        if start + page_size < len(items):
            nxt = base64.urlsafe_b64encode(
                json.dumps({"o": start + page_size}).encode()).decode().rstrip("=")
            q = [(k, v) for k, vs in self.query.items() if k != cursor_param for v in vs]
            q.append((cursor_param, nxt))
            url = f"{self.emu.main_url}{self.raw_path}?{urllib.parse.urlencode(q)}"
            link = f'<{url}>; rel="next"'
        return page, link

    def h_tree(self, rtype, rid, rest):
        repo = self.load_repo(rtype, rid)
        rev, path = self.split_rev(repo, rest, need_path=False)
        commit = self.need_rev(repo, rev)
        path = path.strip("/")
        expand = _flag(self.query.get("expand"))
        recursive = _flag(self.query.get("recursive"))
        if path and path in commit.files:
            paths = [path]
        elif path and not commit.is_dir(path):
            raise HubError(404, f"Entry not found: {path}", "EntryNotFound",
                           headers={"X-Repo-Commit": commit.oid})
        else:
            paths = self.list_dir(commit, path, recursive)
        size = self.hub.config["tree_expand_page_size" if expand else "tree_page_size"]
        page, link = self.paginate(paths, max(1, int(size)))
        resp = json_response([self.tree_entry(repo, commit, p, expand) for p in page])
        if link:
            resp.headers.append(("Link", link))
        return resp

    def h_paths_info(self, rtype, rid, rev):
        repo = self.load_repo(rtype, rid)
        commit = self.need_rev(repo, rev or "main")
        ctype = (self.headers.get("Content-Type") or "").lower()
        if "json" in ctype:
            body = self.read_json({}) or {}
            paths = body.get("paths", [])
            if isinstance(paths, str):
                paths = [paths]
            expand = body.get("expand") in (True, "true", "1", 1)
        else:
            form = urllib.parse.parse_qs(self.body_bytes.decode("utf-8", "replace"),
                                         keep_blank_values=True)
            paths = form.get("paths", [])
            expand = _flag(form.get("expand"))
        if len(paths) > 1000:
            raise HubError(413, "Too many paths: at most 1000 per request")
        out = []
        for p in paths:
            p = str(p).strip("/")
            if p in commit.files or commit.is_dir(p):
                out.append(self.tree_entry(repo, commit, p, expand))
        return json_response(out)

    # ---------------------------------------------------------------- refs, commits
    def h_refs(self, rtype, rid):
        repo = self.load_repo(rtype, rid)
        names = sorted(repo.branches, key=lambda n: (n != "main", n))
        out = {
            "branches": [{"name": n, "ref": f"refs/heads/{n}", "targetCommit": repo.branches[n]}
                         for n in names],
            "converts": [],
            "tags": [{"name": n, "ref": f"refs/tags/{n}", "targetCommit": repo.tags[n]}
                     for n in sorted(repo.tags)],
        }
        if _flag(self.query.get("include_prs")):
            out["pullRequests"] = [{"name": f"refs/pr/{n}", "ref": f"refs/pr/{n}",
                                    "targetCommit": repo.prs[n]} for n in sorted(repo.prs)]
        return json_response(out)

    def h_commits(self, rtype, rid, rev):
        repo = self.load_repo(rtype, rid)
        commit = self.need_rev(repo, rev)
        hist = repo.history(commit.oid)
        limit = (self.query.get("limit") or [None])[-1]
        size = int(limit) if limit and limit.isdigit() and int(limit) > 0 else 50
        size = max(1, min(size, 1000, int(self.hub.config["commits_page_size"])))
        p = (self.query.get("p") or ["0"])[-1]
        page_no = int(p) if p.isdigit() else 0
        page = hist[page_no * size:(page_no + 1) * size]
        formatted = "formatted" in self._expand()
        resp = json_response([c.public(formatted) for c in page])
        resp.headers.append(("X-Total-Count", str(len(hist))))
        if (page_no + 1) * size < len(hist):
            q = [(k, v) for k, vs in self.query.items() if k != "p" for v in vs]
            q.append(("p", str(page_no + 1)))
            url = f"{self.emu.main_url}{self.raw_path}?{urllib.parse.urlencode(q)}"
            resp.headers.append(("Link", f'<{url}>; rel="next"'))
        return resp

    # ---------------------------------------------------------------- search
    def h_search(self, rtype):
        q = self.query
        terms = [t.lower() for t in q.get("search", []) if t]
        author = (q.get("author") or [None])[-1]
        filters = [f for f in q.get("filter", []) if f]
        items = []
        for repo in self.hub.repos.values():
            if repo.type != rtype or not self.hub.can_read(self.user, repo) or repo.disabled:
                continue
            if author and repo.ns != author:
                continue
            if any(t not in repo.id.lower() for t in terms):
                continue
            tags = repo.info.get("tags", [])
            if any(f not in tags and f != repo.info.get("pipeline_tag") for f in filters):
                continue
            items.append(repo)
        sort = (q.get("sort") or [None])[-1]
        direction = (q.get("direction") or ["-1"])[-1]
        keyf = {
            "lastModified": lambda r: r.head("main").date,
            "createdAt": lambda r: r.created,
            "downloads": lambda r: r.downloads,
            "likes": lambda r: r.likes,
            "id": lambda r: r.id,
            "trendingScore": lambda r: 0,
        }.get(sort)
        if keyf:
            items.sort(key=lambda r: r.id)
            items.sort(key=keyf, reverse=direction != "1")
        limit = (q.get("limit") or [None])[-1]
        size = int(limit) if limit and limit.isdigit() and int(limit) > 0 else 1000
        size = max(1, min(size, int(self.hub.config["search_page_size"])))
        page, link = self.paginate(items, size)
        full = _flag(q.get("full"))
        expand = self._expand()
        out = [self.repo_info(r, r.head("main"), expand, listing=True, full=full) for r in page]
        resp = json_response(out)
        if link:
            resp.headers.append(("Link", link))
        return resp

    # ---------------------------------------------------------------- repo admin
    def h_create(self):
        body = self.read_json({}) or {}
        if self.user is None:
            raise HubError(401, MSG_NO_AUTH)
        rtype = body.get("type") or "model"
        name = body.get("name")
        ns = body.get("organization") or self.user.name
        if not name:
            raise HubError(400, "name is required")
        if rtype not in PLURAL:
            raise HubError(400, f"Invalid repo type '{rtype}'")
        if self.user.role != "write" or not self.hub.owns(self.user, ns):
            raise HubError(403, f"You don't have the rights to create a {rtype} under "
                           "this namespace")
        if "visibility" in body and body["visibility"] is not None:
            if body["visibility"] not in ("public", "private", "protected"):
                raise HubError(400, "visibility must be public, private or protected")
            private = body["visibility"] != "public"
        else:
            private = bool(body.get("private", False))
        sdk = body.get("sdk")
        if rtype == "space":
            if sdk not in ("gradio", "streamlit", "docker", "static"):
                raise HubError(400, "Invalid sdk: must be one of gradio, streamlit, "
                               "docker, static")
        repo = self.hub.create_repo(rtype, f"{ns}/{name}", self.user.name, private=private,
                                    sdk=sdk, files=body.get("files"))
        return json_response({"url": f"{self.emu.main_url}/{repo.url_path()}",
                              "name": repo.id, "id": repo._id})

    def _named_repo(self, body):
        rtype = body.get("type") or "model"
        name = body.get("name")
        ns = body.get("organization") or (self.user.name if self.user else None)
        if not name or rtype not in PLURAL:
            raise HubError(400, "name and a valid type are required")
        return rtype, f"{ns}/{name}"

    def h_delete(self):
        body = self.read_json({}) or {}
        rtype, rid = self._named_repo(body)
        repo = self.load_repo(rtype, rid)
        self.admin_check(repo, "delete")
        self.hub.delete_repo(repo)
        return text_response("OK")

    def h_move(self):
        body = self.read_json({}) or {}
        src, dst = body.get("fromRepo"), body.get("toRepo")
        rtype = body.get("type") or "model"
        if not src or not dst or rtype not in PLURAL:
            raise HubError(400, "fromRepo, toRepo and type are required")
        repo = self.load_repo(rtype, src)
        self.admin_check(repo, "move")
        if not self.hub.owns(self.user, dst.split("/")[0]):
            raise HubError(403, f"You don't have the rights to create a {rtype} under "
                           "this namespace")
        self.hub.move_repo(repo, dst)
        return text_response("OK")

    def h_settings(self, rtype, rid):
        repo = self.load_repo(rtype, rid)
        self.admin_check(repo, "change the settings of")
        body = self.read_json({}) or {}
        if not body:
            raise HubError(400, "At least one setting is required")
        if "gated" in body:
            if body["gated"] not in (False, "auto", "manual"):
                raise HubError(400, "gated must be false, 'auto' or 'manual'")
            repo.gated = body["gated"]
        if "visibility" in body:
            if body["visibility"] not in ("public", "private", "protected"):
                raise HubError(400, "visibility must be public, private or protected")
            repo.private = body["visibility"] != "public"
        if "private" in body:
            repo.private = bool(body["private"])
        return json_response({"private": repo.private, "gated": repo.gated})

    def h_auth_check(self, rtype, rid, write):
        repo = self.load_repo(rtype, rid, gated=True)
        if write:
            self.admin_check(repo, "write to")
        return json_response({})

    def h_branch(self, rtype, rid, branch):
        repo = self.load_repo(rtype, rid)
        self.admin_check(repo, "update branches of")
        if not branch:
            raise HubError(400, "Branch name is required")
        if self.command == "DELETE":
            if branch == repo.default_branch():
                raise HubError(403, "Cannot delete the default branch")
            if branch not in repo.branches:
                raise HubError(404, f"Invalid rev id: {branch}", "RevisionNotFound")
            del repo.branches[branch]
            return json_response({})
        if (branch.startswith("refs/") or re.search(r"[\s~^:?*\[\\]|\.\.|//|@\{", branch)
                or branch.endswith((".lock", "/", ".")) or branch.startswith(("/", "-"))
                or re.fullmatch(r"[0-9a-f]{40}", branch)):
            raise HubError(400, f"Invalid reference for a branch: {branch}")
        body = self.read_json({}) or {}
        if branch in repo.branches and not body.get("overwrite"):
            raise HubError(409, "Reference already exists")
        if body.get("emptyBranch"):
            c = repo.add_commit([], {}, "Empty branch", "Empty branch", self.user.name)
            repo.branches[branch] = c.oid
        else:
            start = body.get("startingPoint") or repo.default_branch()
            repo.branches[branch] = self.need_rev(repo, start).oid
        return json_response({})

    def h_tag(self, rtype, rid, name):
        repo = self.load_repo(rtype, rid)
        self.admin_check(repo, "update tags of")
        if self.command == "DELETE":
            if name not in repo.tags:
                raise HubError(404, f"Invalid rev id: {name}", "RevisionNotFound")
            del repo.tags[name]
            return json_response({})
        body = self.read_json({}) or {}
        tag = body.get("tag")
        if not tag or tag.startswith("refs/") or re.search(r"[\s~^:?*\[\\]|\.\.", tag):
            raise HubError(400, f"Invalid tag name: {tag}")
        commit = self.need_rev(repo, name or "main")
        if tag in repo.tags:
            raise HubError(409, "Tag already exists")
        repo.tags[tag] = commit.oid
        return json_response({})

    def h_validate_yaml(self):
        body = self.read_json({}) or {}
        content = body.get("content", "")
        errors = []
        if content.startswith("---"):
            lines = content.splitlines()
            if not any(line.strip() == "---" for line in lines[1:]):
                errors.append({"message": "YAML front matter is not closed by a '---' line"})
            else:
                for line in lines[1:]:
                    if line.strip() == "---":
                        break
                    if "\t" in line[:len(line) - len(line.lstrip())]:
                        errors.append({"message": "YAML indentation must not use tabs"})
                        break
        out = {"errors": errors, "warnings": []}
        return json_response(out, 400 if errors else 200)

    # ---------------------------------------------------------------- upload: preupload
    def _write_access(self, rtype, rid):
        pr = _flag(self.query.get("create_pr"))
        return self.load_repo(rtype, rid, write=True, pr=pr), pr

    def h_preupload(self, rtype, rid, rev):
        repo, pr = self._write_access(rtype, rid)
        commit = self.need_rev(repo, rev)
        body = self.read_json({}) or {}
        attrs = body.get("gitAttributes")
        if attrs is None:
            attrs = self.hub.read_text(commit, ".gitattributes") or ""
        ignore = body.get("gitIgnore")
        if ignore is None:
            ignore = self.hub.read_text(commit, ".gitignore") or ""
        out = []
        for f in body.get("files", []):
            path = f.get("path", "")
            size = int(f.get("size", 0))
            lfs = size >= self.hub.config["lfs_threshold"] or matches_lfs(attrs, path)
            d = {"path": path, "uploadMode": "lfs" if lfs else "regular",
                 "shouldIgnore": bool(ignored(ignore, path))}
            e = commit.files.get(path)
            if e is not None:
                d["oid"] = e.etag()
            out.append(d)
        return json_response({"files": out, "commitOid": commit.oid})

    # ---------------------------------------------------------------- upload: commit
    def h_commit(self, rtype, rid, rev):
        repo, pr = self._write_access(rtype, rid)
        lines = [ln for ln in self.body_bytes.decode("utf-8", "replace").split("\n") if ln.strip()]
        if not lines:
            raise HubError(400, "Empty commit payload")
        try:
            items = [json.loads(ln) for ln in lines]
        except ValueError:
            raise HubError(400, "Invalid NDJSON line in commit payload") from None
        header = items[0]
        if not isinstance(header, dict) or header.get("key") != "header":
            raise HubError(400, "The first line of the payload must be the header")
        hv = header.get("value") or {}
        summary = hv.get("summary")
        if not summary:
            raise HubError(400, "summary is required")
        parent = hv.get("parentCommit")
        if parent is not None and not re.fullmatch(r"[0-9a-fA-F]{5,40}", str(parent)):
            raise HubError(400, f"Invalid parentCommit: {parent}")
        ops = []
        for item in items[1:]:
            key = item.get("key") if isinstance(item, dict) else None
            v = item.get("value") or {} if isinstance(item, dict) else {}
            path = v.get("path")
            if not isinstance(path, str) or not path:
                raise HubError(400, f"Missing path in {key} operation")
            if key == "file":
                enc = v.get("encoding", "base64")
                content = v.get("content", "")
                try:
                    data = base64.b64decode(content, validate=True) if enc == "base64" \
                        else content.encode()
                except (binascii.Error, ValueError):
                    raise HubError(400, f"Invalid base64 content for {path}") from None
                ops.append(("file", path, data, v.get("oldPath")))
            elif key == "lfsFile":
                oid = str(v.get("oid", "")).lower()
                if v.get("algo", "sha256") not in ("sha256", "sha_256") or not OID_RE.match(oid):
                    raise HubError(400, f"Invalid LFS oid for {path}")
                ops.append(("lfsFile", path, (oid, v.get("size")), v.get("oldPath")))
            elif key == "deletedFile":
                ops.append(("deletedFile", path, None, None))
            elif key == "deletedFolder":
                ops.append(("deletedFolder", path, None, None))
            else:
                raise HubError(400, f"Unknown operation key: {key}")
        commit, pr_num = self.hub.commit(repo, rev, self.user.name, summary,
                                         hv.get("description") or "", ops,
                                         parent_commit=parent, create_pr=pr)
        base = f"{self.emu.main_url}/{repo.url_path()}"
        out = {"success": True, "commitOid": commit.oid,
               "commitUrl": f"{base}/commit/{commit.oid}", "hookOutput": ""}
        if pr_num is not None:
            out["pullRequestUrl"] = f"{base}/discussions/{pr_num}"
        return json_response(out)

    # ================================================================== non-api paths
    def route_repo_path(self, segs):
        if segs and segs[0] in ("datasets", "spaces") and len(segs) >= 4:
            rtype, segs = SINGULAR[segs[0]], segs[1:]
        else:
            rtype = "model"
        if len(segs) < 3:
            return self.not_found()
        ns, name, action = segs[0], segs[1], segs[2]
        if name.endswith(".git") and segs[2:5] == ["info", "lfs", "objects"]:
            rid = f"{ns}/{name[:-4]}"
            tail = segs[5:]
            if tail == ["batch"] and self.command == "POST":
                return self.h_lfs_batch(rtype, rid)
            if tail == ["verify"] and self.command == "POST":
                return self.h_lfs_verify(rtype, rid)
            return self.not_found()
        if action in ("resolve", "raw") and self.command in ("GET", "HEAD"):
            return self.h_resolve(rtype, f"{ns}/{name}", segs[3:], raw=action == "raw")
        return self.not_found()

    # ---------------------------------------------------------------- resolve / raw
    def h_resolve(self, rtype, rid, rest, raw):
        repo = self.load_repo(rtype, rid, gated=True)
        rev, path = self.split_rev(repo, rest, need_path=True)
        commit = self.need_rev(repo, rev)
        e = commit.files.get(path)
        if e is None:
            raise HubError(404, "Entry not found", "EntryNotFound",
                           headers={"X-Repo-Commit": commit.oid})
        base = path.rsplit("/", 1)[-1]
        disp_kind = "attachment" if _flag(self.query.get("download")) else "inline"
        disposition = (f"{disp_kind}; filename*=UTF-8''{urllib.parse.quote(base)}; "
                       f'filename="{base.encode("ascii", "replace").decode()}";')
        if e.lfs and not raw:
            loc = self.cdn_download_url(e.sha256, disposition)
            resp = text_response(f"Found. Redirecting to {loc}", 302)
            resp.headers += [("Location", loc), ("X-Repo-Commit", commit.oid),
                             ("X-Linked-Etag", f'"{e.sha256}"'),
                             ("X-Linked-Size", str(e.size)),
                             ("Accept-Ranges", "bytes")]
            return resp
        if e.lfs:  # raw: the pointer file is the git blob
            body = lfs_pointer(e.sha256, e.size)
            size = len(body)
        else:
            blob = self.hub.blobs.get(e.sha256)
            size = blob.size
            body = FileBody(blob.path, 0, size)
        ctype = mimetypes.guess_type(base)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype in ("application/json",):
            ctype += "; charset=utf-8"
        if raw:
            ctype = "text/plain; charset=utf-8"
        headers = [("Content-Type", ctype), ("X-Repo-Commit", commit.oid),
                   ("ETag", f'"{e.git_oid}"'), ("Accept-Ranges", "bytes"),
                   ("Content-Disposition", disposition)]
        return self.ranged(body, size, headers)

    def ranged(self, body, size, headers, xml_errors=False):
        r = parse_range(self.headers.get("Range"), size)
        if_range = self.headers.get("If-Range")
        if r is not None and if_range is not None:
            validators = [v for k, v in headers if k in ("ETag", "Last-Modified")]
            if if_range.strip() not in validators:
                r = None  # the representation changed: send all of it
        if r == "unsatisfiable":
            if xml_errors:
                resp = self.s3_error(416, "InvalidRange", "The requested range is not satisfiable")
            else:
                resp = json_response({"error": "Requested Range Not Satisfiable"}, 416)
            resp.headers.append(("Content-Range", f"bytes */{size}"))
            for k, v in headers:
                if k in ("X-Repo-Commit", "ETag", "Accept-Ranges"):
                    resp.headers.append((k, v))
            return resp
        if r is None:
            return Response(200, headers, body)
        start, end = r
        if isinstance(body, FileBody):
            part = FileBody(body.path, body.offset + start, end - start + 1)
        else:
            part = body[start:end + 1]
        return Response(206, headers + [("Content-Range", f"bytes {start}-{end}/{size}")], part)

    # ---------------------------------------------------------------- signed CDN URLs
    def sign(self, path, params):
        canon = path + "?" + "&".join(f"{k}={params[k]}" for k in sorted(params))
        mac = hmac.new(self.emu.secret, canon.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def signed_url(self, base, path, params):
        params = dict(params)
        params["Expires"] = str(int(time.time()) + int(self.hub.config["cdn_url_ttl"]))
        params["Key-Pair-Id"] = "HUBEMU"
        params["Signature"] = self.sign(path, params)
        return f"{base}{path}?{urllib.parse.urlencode(params)}"

    def check_signature(self):
        params = {k: v[-1] for k, v in self.query.items()}
        sig = params.pop("Signature", "")
        if not hmac.compare_digest(sig.encode(), self.sign(self.raw_path, params).encode()):
            raise HubError(403, "Invalid signature: this URL is not valid for this resource",
                           "AccessDenied")
        try:
            expires = int(params.get("Expires", "0"))
        except ValueError:
            expires = 0
        if expires < time.time():
            raise HubError(403, "Request has expired", "AccessDenied")
        return params

    def cdn_download_url(self, sha, disposition):
        path = f"/repos/{sha[:2]}/{sha[2:4]}/{sha}"
        return self.signed_url(self.emu.cdn_url, path,
                               {"response-content-disposition": disposition})

    # ---------------------------------------------------------------- CDN host
    def route_cdn(self):
        segs = self.raw_path.split("/")[1:]
        m = self.command
        if len(segs) == 4 and segs[0] == "repos" and m in ("GET", "HEAD"):
            params = self.check_signature()
            sha = segs[3]
            blob = self.hub.blobs.get(sha) if OID_RE.match(sha) else None
            if blob is None:
                raise HubError(404, "The specified key does not exist.", "NoSuchKey")
            headers = [("Content-Type", "application/octet-stream"),
                       ("ETag", f'"{sha}"'), ("Accept-Ranges", "bytes"),
                       ("Last-Modified", time.strftime("%a, %d %b %Y %H:%M:%S GMT",
                                                       time.gmtime(os.path.getmtime(blob.path))))]
            if params.get("response-content-disposition"):
                headers.append(("Content-Disposition", params["response-content-disposition"]))
            return self.ranged(FileBody(blob.path, 0, blob.size), blob.size, headers,
                               xml_errors=True)
        if segs and segs[0] == "lfs-upload" and m == "PUT":
            params = self.check_signature()
            if len(segs) == 2:
                return self.h_cdn_put(segs[1], params)
            if len(segs) == 4:
                return self.h_cdn_put_part(segs[1], segs[2], segs[3], params)
        self.drain()
        raise HubError(404, "The specified key does not exist.", "NoSuchKey")

    def _receive_to_tmp(self, want_md5=False):
        f, tmp = self.hub.blobs.new_tmp(".up")
        sha = hashlib.sha256()
        md5 = hashlib.md5() if want_md5 else None
        n = 0
        try:
            with f:
                for chunk in self.body_chunks():
                    sha.update(chunk)
                    if md5:
                        md5.update(chunk)
                    f.write(chunk)
                    n += len(chunk)
        except BaseException:
            os.unlink(tmp)
            raise
        return tmp, n, sha.hexdigest(), (md5.hexdigest() if md5 else None)

    def _upload_repo(self, params):
        rtype, _, rid = params.get("repo", "").partition(":")
        repo = self.hub.get(rtype, rid)
        if repo is None:
            self.drain()
            raise HubError(404, "The specified bucket does not exist", "NoSuchBucket")
        return repo

    def h_cdn_put(self, oid, params):
        repo = self._upload_repo(params)
        tmp, n, sha, _ = self._receive_to_tmp()
        if n != int(params.get("size", -1)) or sha != oid:
            os.unlink(tmp)
            raise HubError(400, f"The uploaded content (sha256 {sha}, {n} bytes) does not "
                           f"match the signed object {oid}", "BadDigest")
        self.hub.blobs.adopt(tmp, sha)
        with self.hub.lock:
            repo.lfs_objects.add(sha)
        return Response(200, [("ETag", f'"{sha[:32]}"'), ("Content-Type", "text/plain")], b"")

    def h_cdn_put_part(self, oid, upload_id, part, params):
        with self.emu.mp_lock:
            up = self.emu.multipart.get(upload_id)
        if up is None or up["oid"] != oid or not part.isdigit():
            self.drain()
            raise HubError(404, "The specified upload does not exist.", "NoSuchUpload")
        n_part = int(part)
        tmp, n, _, md5 = self._receive_to_tmp(want_md5=True)
        expect = min(up["chunk"], up["size"] - (n_part - 1) * up["chunk"])
        if n != expect:
            os.unlink(tmp)
            raise HubError(400, f"Part {n_part} must be {expect} bytes, got {n}",
                           "InvalidPart")
        dest = os.path.join(up["dir"], "%05d" % n_part)
        os.replace(tmp, dest)
        etag = f'"{md5}"'
        with self.emu.mp_lock:
            up["parts"][n_part] = etag
        return Response(200, [("ETag", etag), ("Content-Type", "text/plain")], b"")

    def h_complete_multipart(self):
        params = self.check_signature()
        body = self.read_json({}) or {}
        upload_id = params.get("uploadId", "")
        with self.emu.mp_lock:
            up = self.emu.multipart.get(upload_id)
        if up is None:
            raise HubError(404, "No such multipart upload")
        if str(body.get("oid", "")).lower() != up["oid"]:
            raise HubError(400, "oid does not match the multipart upload")
        parts = body.get("parts") or []
        nparts = up["nparts"]
        got = {}
        for p in parts:
            try:
                got[int(p["partNumber"])] = p.get("etag")
            except (KeyError, TypeError, ValueError):
                raise HubError(400, "Invalid parts list") from None
        if sorted(got) != list(range(1, nparts + 1)):
            raise HubError(400, f"Expected parts 1..{nparts}, got {sorted(got)}")
        for n, etag in got.items():
            if up["parts"].get(n) is None:
                raise HubError(400, f"Part {n} was not uploaded")
            if etag != up["parts"][n]:
                raise HubError(400, f"ETag mismatch for part {n}")
        f, tmp = self.hub.blobs.new_tmp(".mp")
        sha = hashlib.sha256()
        with f:
            for n in range(1, nparts + 1):
                with open(os.path.join(up["dir"], "%05d" % n), "rb") as pf:
                    while True:
                        chunk = pf.read(1 << 22)
                        if not chunk:
                            break
                        sha.update(chunk)
                        f.write(chunk)
        if sha.hexdigest() != up["oid"]:
            os.unlink(tmp)
            raise HubError(400, f"Assembled content has sha256 {sha.hexdigest()}, "
                           f"not {up['oid']}")
        self.hub.blobs.adopt(tmp, up["oid"])
        with self.hub.lock:
            repo = self.hub.get(up["type"], up["id"])
            if repo is not None:
                repo.lfs_objects.add(up["oid"])
        with self.emu.mp_lock:
            self.emu.multipart.pop(upload_id, None)
        shutil.rmtree(up["dir"], ignore_errors=True)
        return json_response({"success": True})

    # ---------------------------------------------------------------- git-LFS batch
    def h_lfs_batch(self, rtype, rid):
        body = self.read_json({}) or {}
        op = body.get("operation")
        if op not in ("upload", "download"):
            raise HubError(422, "operation must be upload or download")
        algo = body.get("hash_algo", "sha256")
        if algo not in ("sha256", "sha_256"):
            raise HubError(422, f"Unsupported hash algorithm: {algo}")
        ref = (body.get("ref") or {}).get("name")
        if op == "upload":
            if self.user is None:
                raise HubError(401, MSG_NO_AUTH)
            repo = self.load_repo(rtype, rid, write=True, pr=ref is None)
        else:
            repo = self.load_repo(rtype, rid, gated=True)
        transfers = body.get("transfers") or ["basic"]
        objects = []
        multipart_used = False
        cfg = self.hub.config
        for o in body.get("objects", []):
            oid = str(o.get("oid", "")).lower()
            size = o.get("size")
            if not OID_RE.match(oid) or not isinstance(size, int) or size < 0:
                objects.append({"oid": o.get("oid"), "size": size,
                                "error": {"code": 422, "message": "Invalid object: oid must "
                                          "be 64 lowercase hex and size a non-negative int"}})
                continue
            entry = {"oid": oid, "size": size, "authenticated": True}
            blob = self.hub.blobs.get(oid)
            if op == "download":
                if oid not in repo.lfs_objects or blob is None:
                    entry["error"] = {"code": 404, "message": "Object does not exist"}
                else:
                    entry["actions"] = {"download": {
                        "href": self.cdn_download_url(oid, "attachment"), "header": {}}}
                objects.append(entry)
                continue
            if oid in repo.lfs_objects and blob is not None and blob.size == size:
                objects.append(entry)  # already stored: no actions
                continue
            verify = {"href": f"{self.emu.main_url}/{TYPE_PREFIX[rtype]}{rid}.git/info/lfs/"
                              "objects/verify"}
            repo_key = f"{rtype}:{rid}"
            if "multipart" in transfers and size >= cfg["multipart_threshold"] and size > 0:
                chunk = int(cfg["multipart_chunk_size"])
                nparts = math.ceil(size / chunk)
                upload_id = secrets.token_hex(12)
                updir = os.path.join(self.hub.blobs.tmp, "mp-" + upload_id)
                os.makedirs(updir, exist_ok=True)
                with self.emu.mp_lock:
                    self.emu.multipart[upload_id] = {
                        "oid": oid, "size": size, "chunk": chunk, "nparts": nparts,
                        "parts": {}, "dir": updir, "type": rtype, "id": rid}
                header = {"chunk_size": str(chunk)}
                for i in range(1, nparts + 1):
                    header["%05d" % i] = self.signed_url(
                        self.emu.cdn_url, f"/lfs-upload/{oid}/{upload_id}/{i}",
                        {"repo": repo_key})
                href = self.signed_url(self.emu.main_url, "/api/complete_multipart",
                                       {"uploadId": upload_id, "oid": oid})
                entry["actions"] = {"upload": {"href": href, "header": header},
                                    "verify": verify}
                multipart_used = True
            else:
                href = self.signed_url(self.emu.cdn_url, f"/lfs-upload/{oid}",
                                       {"repo": repo_key, "size": str(size)})
                entry["actions"] = {"upload": {"href": href}, "verify": verify}
            objects.append(entry)
        return json_response({"transfer": "multipart" if multipart_used else "basic",
                              "objects": objects, "hash_algo": "sha256"},
                             content_type="application/vnd.git-lfs+json")

    def h_lfs_verify(self, rtype, rid):
        repo = self.load_repo(rtype, rid, pr=True)
        body = self.read_json({}) or {}
        oid = str(body.get("oid", "")).lower()
        blob = self.hub.blobs.get(oid) if OID_RE.match(oid) else None
        if blob is None or oid not in repo.lfs_objects:
            raise HubError(404, f"Object {oid} not found")
        if body.get("size") is not None and int(body["size"]) != blob.size:
            raise HubError(422, f"Object {oid} has size {blob.size}, not {body['size']}")
        return json_response({"message": "Verified"},
                             content_type="application/vnd.git-lfs+json")
