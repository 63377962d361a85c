#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration tests of uploads (issue 7): `hfhub --json upload` and
`hfhub repo-files delete` through the built hfhubd against the Hub emulator.
What lands on the emulator is read back from it (tree, resolve, refs) and
compared byte for byte; the emulator's counters prove what went over the
wire (parts sent once, no token to the CDN, one commit POST). Interop with
the official JS client runs when node and tests/peers/node_modules are
there. TAP on stdout; see harness.py."""

import hashlib
import http.client
import http.server
import json
import os
import shutil
import socketserver
import subprocess
import sys
import threading
import urllib.parse
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import (ALICE_TOKEN, BOB_TOKEN, ERR, HEX40, MiB, Failure, check, eq,  # noqa: E402
                     expect_failed, expect_succeeded, wait_for)

NODE = os.environ.get("NODE") or shutil.which("node")
PEERS = os.path.join(harness.SRCDIR, "tests", "peers")
JS_HUB = os.path.join(PEERS, "node_modules", "@huggingface", "hub", "package.json")


# --------------------------------------------------------------------------- helpers


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return path


def upload(t, repo, local, *args, timeout=120, env=None):
    """hfhub --json upload REPO LOCAL ARGS → CliResult (the final job)."""
    r = t.cli("upload", repo, local, *args, timeout=timeout, env=env)
    harness.require_job(r)
    return r


def hub_get(t, path, token=ALICE_TOKEN, base=None):
    """GET on the emulator (following the CDN redirect) → (status, bytes)."""
    req = urllib.request.Request((base or t.emu.url) + path,
                                 headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def remote_file(t, repo, path, rev="main", repo_type="model"):
    prefix = {"model": "", "dataset": "datasets/", "space": "spaces/"}[repo_type]
    rev_q = urllib.parse.quote(rev, safe="")
    status, data = hub_get(t, f"/{prefix}{repo}/resolve/{rev_q}/{urllib.parse.quote(path)}")
    eq(status, 200, f"status of resolve {path}@{rev}")
    return data


def tree(t, repo, rev="main"):
    """{path: entry} of the revision (recursive tree listing)."""
    rev_q = urllib.parse.quote(rev, safe="")
    status, data = hub_get(t, f"/api/models/{repo}/tree/{rev_q}?recursive=true")
    eq(status, 200, f"tree of {repo}@{rev}")
    return {e["path"]: e for e in json.loads(data) if e["type"] == "file"}


def repo_state(t, repo):
    for r in t.emu.request("GET", "/_emu/repos"):
        if r["id"] == repo:
            return r
    raise Failure(f"the emulator has no repo {repo}")


def commits_of(t, repo, rev="main"):
    status, data = hub_get(t, f"/api/models/{repo}/commits/{urllib.parse.quote(rev, safe='')}")
    eq(status, 200, "commit list")
    return [c["id"] for c in json.loads(data)]


def main_requests(c, suffix):
    """Requests on the main host whose path ends with suffix."""
    return sum(st.get("requests", 0) for p, st in harness.main_paths(c).items()
               if p.endswith(suffix))


def part_puts(c):
    """{part path: PUTs} of multipart part uploads on the CDN."""
    return {p: (st.get("methods") or {}).get("PUT", 0)
            for p, st in harness.cdn_paths(c).items()
            if p.startswith("/lfs-upload/") and p.count("/") == 4}


def result_of(job):
    res = job.get("result") or {}
    check(isinstance(res, dict) and HEX40.match(res.get("commit") or ""),
          f"result should carry a commit: {res!r}")
    return res


def no_token_to_cdn(c):
    """No upload to the CDN carried the Hub token (our own test reads of
    the file go there with it, so only /lfs-upload/ counts)."""
    sent = {p: st.get("authorization_count", 0) for p, st in harness.cdn_paths(c).items()
            if p.startswith("/lfs-upload/")}
    check(sent, "there were uploads to the CDN")
    eq(sum(sent.values()), 0, f"uploads to the CDN with Authorization: {sent}")


# --------------------------------------------------------------------------- one file


def test_single_small_file(t):
    rid = "alice/single"
    t.start_daemon(token=ALICE_TOKEN)
    local = write(t.path("data", "config.json"), '{"hidden_size": 8}\n')
    r = upload(t, rid, local)
    job = expect_succeeded(r)
    res = result_of(job)
    eq(job["kind"], "upload", "kind")
    state = repo_state(t, rid)
    eq(res["commit"], state["branches"]["main"], "result commit = head of main (repo created)")
    eq(res["commits"], [res["commit"]], "one commit")
    eq(res["commit-url"], f"{t.emu.url}/{rid}/commit/{res['commit']}", "commit-url")
    eq(res["files"], 1, "files")
    eq(res["committed-files"], 1, "committed files")
    eq(res["uploaded-files"], 0, "no LFS upload for a small regular file")
    eq(remote_file(t, rid, "config.json"), b'{"hidden_size": 8}\n', "content on the Hub")
    c = t.emu.counters()
    eq(main_requests(c, "/preupload/main"), 1, "preupload calls")
    eq(main_requests(c, "/commit/main"), 1, "commit calls")
    eq(main_requests(c, ".git/info/lfs/objects/batch"), 0, "LFS batch calls")

    # into a path in the repo, then the same again: nothing changed, no commit
    r = upload(t, rid, local, "cfg/main.json")
    eq(remote_file(t, rid, "cfg/main.json"), b'{"hidden_size": 8}\n', "content at cfg/main.json")
    t.emu.reset_counters()
    r = upload(t, rid, local, "cfg/main.json")
    res = result_of(expect_succeeded(r))
    eq(res["no-op"], True, "no-op when nothing changed")
    eq(res["unchanged-files"], 1, "unchanged files")
    eq(res["hashed-files"], 0, "an unchanged file is not hashed again")
    eq(res["reused-hashes"], 1, "its hashes come from the store")
    eq(main_requests(t.emu.counters(), "/commit/main"), 0, "no commit for a no-op")

    # text mode prints the commit URL
    write(local, '{"hidden_size": 16}\n')
    r = t.cli("upload", rid, local, "-q", json_out=False)
    eq(r.rc, 0, f"exit status in text mode ({r.stderr.strip()})")
    head = repo_state(t, rid)["branches"]["main"]
    eq(r.stdout, f"{t.emu.url}/{rid}/commit/{head}\n", "stdout: the commit URL")


def test_lfs_basic(t):
    rid = "alice/lfs-basic"
    t.emu.seed({"id": rid, "files": {"README.md": "# r\n"}})
    t.start_daemon(token=ALICE_TOKEN)
    data = os.urandom(12 * MiB + 5)   # ≥ lfs_threshold, < multipart_threshold
    local = write(t.path("data", "weights.bin"), data)
    t.emu.reset_counters()
    job = expect_succeeded(upload(t, rid, local, "model/weights.bin"))
    res = result_of(job)
    sha = hashlib.sha256(data).hexdigest()
    eq(res["uploaded-files"], 1, "uploaded files")
    eq(res["uploaded-bytes"], len(data), "uploaded bytes")
    entry = tree(t, rid)["model/weights.bin"]
    eq((entry.get("lfs") or {}).get("oid"), sha, "LFS oid on the Hub")
    eq(remote_file(t, rid, "model/weights.bin"), data, "bytes on the Hub")
    c = t.emu.counters()
    puts = {p: st for p, st in harness.cdn_paths(c).items() if p == f"/lfs-upload/{sha}"}
    eq(len(puts), 1, "one basic PUT")
    eq(puts[f"/lfs-upload/{sha}"]["methods"], {"PUT": 1}, "PUT once")
    eq(main_requests(c, ".git/info/lfs/objects/batch"), 1, "LFS batch calls")
    eq(main_requests(c, ".git/info/lfs/objects/verify"), 1, "verify calls")
    no_token_to_cdn(c)
    check(sha in repo_state(t, rid)["lfs_objects"], "the object is in the repo's LFS store")


def test_lfs_multipart_parallel(t):
    rid = "alice/lfs-multipart"
    t.emu.set_config({"multipart_threshold": 2 * MiB, "multipart_chunk_size": MiB})
    t.start_daemon(token=ALICE_TOKEN)
    data = os.urandom(6 * MiB + 123)   # 7 parts
    sha = hashlib.sha256(data).hexdigest()
    local = write(t.path("data", "model.safetensors"), data)
    # every part waits 1 s before it is read: in sequence 7 s, in parallel ~1
    t.emu.add_fault({"kind": "stall", "host": "cdn", "method": "PUT",
                     "path": "/lfs-upload/*/*/*", "seconds": 1, "times": "forever"})
    r = upload(t, rid, local)
    job = expect_succeeded(r)
    t.emu.clear_faults()
    res = result_of(job)
    t.note(f"7 parts stalled 1 s each: upload took {r.elapsed:.1f} s")
    check(r.elapsed < 5.5, f"parts should go in parallel: {r.elapsed:.1f} s for 7 × 1 s")
    eq(remote_file(t, rid, "model.safetensors"), data, "bytes on the Hub")
    eq((tree(t, rid)["model.safetensors"].get("lfs") or {}).get("oid"), sha, "LFS oid")
    c = t.emu.counters()
    parts = part_puts(c)
    eq(len(parts), 7, f"part URLs used: {sorted(parts)}")
    eq(sorted(parts.values()), [1] * 7, "each part PUT once")
    eq(harness.main_paths(c)["/api/complete_multipart"]["methods"], {"POST": 1},
       "one completion, checked by the emulator")
    eq(harness.main_paths(c)["/api/complete_multipart"]["authorization_count"], 0,
       "completion without a token")
    no_token_to_cdn(c)
    eq(res["uploaded-bytes"], len(data), "uploaded bytes")


# --------------------------------------------------------------------------- folders


def test_folder_include_exclude_delete(t):
    rid = "alice/folder"
    t.emu.seed({"id": rid, "files": {"keep.md": "keep\n", "old/a.txt": "a\n",
                                     "old/b.txt": "b\n", "logs/x.log": "x\n",
                                     "nested/old.log": "o\n", "nested/keep.cfg": "k\n"}})
    t.start_daemon(token=ALICE_TOKEN)
    d = t.path("folder")
    write(os.path.join(d, "a.txt"), "A\n")
    write(os.path.join(d, "b.json"), "{}\n")
    write(os.path.join(d, "c.log"), "log\n")
    write(os.path.join(d, "sub", "d.txt"), "D\n")
    write(os.path.join(d, "sub", "skip", "e.txt"), "E\n")
    write(os.path.join(d, ".git", "config"), "[core]\n")
    write(os.path.join(d, "sub", ".git", "HEAD"), "ref\n")
    write(os.path.join(d, ".cache", "huggingface", "download", "a.txt.metadata"), "m\n")
    job = expect_succeeded(upload(t, rid, d, "--include", "*.txt", "--include", "*.json",
                                  "--exclude", "sub/skip/*", "--delete", "old/*",
                                  "--delete", "logs/"))
    res = result_of(job)
    files = tree(t, rid)
    eq(sorted(files), sorted([".gitattributes", "keep.md", "nested/keep.cfg", "nested/old.log",
                              "a.txt", "b.json", "sub/d.txt"]),
       "files after the upload (old/ and logs/ deleted, filters applied, .git and "
       ".cache/huggingface never sent)")
    eq(res["deleted-files"], 3, "deleted files")
    eq(res["files"], 3, "selected files")
    eq(remote_file(t, rid, "sub/d.txt"), b"D\n", "content of sub/d.txt")
    eq(len(res["commits"]), 1, "one commit for files and deletions")

    # into a folder of the repo: delete patterns are relative to it
    d2 = t.path("folder2")
    write(os.path.join(d2, "new.cfg"), "n\n")
    expect_succeeded(upload(t, rid, d2, "nested", "--delete", "*.log"))
    files = tree(t, rid)
    check("nested/old.log" not in files and "nested/new.cfg" in files and
          "nested/keep.cfg" in files, f"nested after the second upload: {sorted(files)}")


def test_multi_commit(t):
    rid = "alice/many"
    t.start_daemon(token=ALICE_TOKEN)
    d = t.path("many")
    for i in range(25):
        write(os.path.join(d, f"f{i:02d}.txt"), f"file {i}\n")
    job = expect_succeeded(upload(t, rid, d, "--files-per-commit", "10",
                                  "--commit-message", "Bulk"))
    res = result_of(job)
    eq(len(res["commits"]), 3, "25 files in commits of 10")
    eq(res["commit"], repo_state(t, rid)["branches"]["main"], "last commit is the head")
    files = tree(t, rid)
    eq(len([p for p in files if p.startswith("f")]), 25, "every file landed")
    status, data = hub_get(t, f"/api/models/{rid}/commits/main")
    titles = [c["title"] for c in json.loads(data)][:3]
    eq(titles, ["Bulk (part 3 of 3)", "Bulk (part 2 of 3)", "Bulk (part 1 of 3)"], "titles")


# --------------------------------------------------------------------------- PRs, conflicts


def test_create_pr(t):
    rid = "alice/pr"
    desc = t.emu.seed({"id": rid, "files": {"README.md": "# r\n"}})
    t.start_daemon(token=ALICE_TOKEN)
    local = write(t.path("data", "proposal.txt"), "please merge\n")
    res = result_of(expect_succeeded(upload(t, rid, local, "--create-pr")))
    state = repo_state(t, rid)
    check(res.get("pr-revision", "").startswith("refs/pr/"), f"pr-revision: {res}")
    n = int(res["pr-revision"].split("/")[-1])
    check(res["pr-revision"] in state["prs"], f"{res['pr-revision']} exists: {state['prs']}")
    eq(res["pr-url"], f"{t.emu.url}/{rid}/discussions/{n}", "pr-url")
    eq(state["branches"]["main"], desc["sha"], "main did not move")
    eq(remote_file(t, rid, "proposal.txt", rev=res["pr-revision"]), b"please merge\n",
       "the file is on the pull request")
    r = t.cli("upload", rid, local, "--create-pr", "-q", json_out=False)
    eq(r.stdout.strip(), f"{t.emu.url}/{rid}/discussions/{n + 1}", "text mode prints the PR URL")
    # several commits: the first opens the pull request, the others land on it
    d = t.path("many")
    for i in range(5):
        write(os.path.join(d, f"p{i}.txt"), f"p{i}\n")
    res = result_of(expect_succeeded(upload(t, rid, d, "--create-pr", "--files-per-commit", "2")))
    eq(len(res["commits"]), 3, "5 files in commits of 2")
    pr = res["pr-revision"]
    eq(repo_state(t, rid)["prs"][pr], res["commit"], f"{pr} is at the last commit")
    eq(sorted(p for p in tree(t, rid, pr) if p.startswith("p")),
       [f"p{i}.txt" for i in range(5)], f"every file is on {pr}")
    eq(repo_state(t, rid)["branches"]["main"], desc["sha"], "main still did not move")


def test_parent_commit_conflict(t):
    rid = "alice/conflict"
    desc = t.emu.seed({"id": rid, "files": {"a.txt": "a\n"},
                       "commits": [{"message": "someone else", "files": {"b.txt": "b\n"}}]})
    stale = desc["commits"][1]
    head = desc["sha"]
    t.start_daemon(token=ALICE_TOKEN)
    local = write(t.path("data", "c.txt"), "c\n")
    job = expect_failed(upload(t, rid, local, "--parent-commit", stale), ERR + "Conflict")
    msg = job["error"]["message"]
    check("moved" in msg and stale[:12] in msg and head[:12] in msg,
          f"the error should say the branch moved from {stale[:12]} to {head[:12]}: {msg}")
    eq(repo_state(t, rid)["branches"]["main"], head, "main did not move")
    eq(main_requests(t.emu.counters(), "/commit/main"), 1, "one commit attempt")
    # allowed: committed on the new head
    res = result_of(expect_succeeded(upload(t, rid, local, "--parent-commit", stale,
                                            "--allow-concurrent")))
    eq(commits_of(t, rid)[1], head, "the commit sits on the head it found")
    eq(res["commit"], repo_state(t, rid)["branches"]["main"], "result commit is the head")
    # a parent that is the head: fine
    write(local, "c2\n")
    expect_succeeded(upload(t, rid, local, "--parent-commit", res["commit"]))


class LoseCommitAnswer:
    """An endpoint in front of the emulator that forwards everything, but
    answers the first commit POST with a 500 after the emulator applied it
    (the case lhoestq saw on the real Hub)."""

    def __init__(self, upstream):
        self.upstream = urllib.parse.urlparse(upstream)
        self.lost = 0
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
                    status, reason, rh = resp.status, resp.reason, resp.getheaders()
                finally:
                    conn.close()
                if self.command == "POST" and "/commit/" in self.path and proxy.lost == 0:
                    proxy.lost += 1
                    data = b'{"error":"Internal Error - We\'re working hard to fix this"}'
                    status, reason = 500, "Internal Server Error"
                    rh = [("Content-Type", "application/json")]
                self.send_response(status, reason)
                for k, v in rh:
                    if k.lower() not in ("connection", "keep-alive", "transfer-encoding",
                                         "content-length", "date", "server"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

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


def test_5xx_after_commit_landed(t):
    rid = "alice/lost-answer"
    desc = t.emu.seed({"id": rid, "files": {"README.md": "# r\n"}})
    proxy = LoseCommitAnswer(t.emu.url)
    t.cleanups.append(proxy.stop)
    # the token goes to the configured endpoint only: the daemon's is the proxy
    t.start_daemon(token=ALICE_TOKEN, env={"HF_ENDPOINT": proxy.url})
    d = t.path("data")
    write(os.path.join(d, "a.txt"), "a\n")
    write(os.path.join(d, "w.bin"), os.urandom(11 * MiB))
    job = expect_succeeded(upload(t, rid, d, env={"HF_ENDPOINT": proxy.url}))
    res = result_of(job)
    eq(proxy.lost, 1, "the proxy lost one commit answer")
    eq(res["recovered"], True, "the commit was found on the branch")
    head = repo_state(t, rid)["branches"]["main"]
    eq(res["commit"], head, "result commit = the head that holds the changes")
    eq(commits_of(t, rid)[1], desc["sha"], "exactly one new commit")
    eq(main_requests(t.emu.counters(), "/commit/main"), 1, "the commit was not sent twice")


def test_5xx_before_commit_retried(t):
    rid = "alice/retry"
    desc = t.emu.seed({"id": rid, "files": {"README.md": "# r\n"}})
    t.start_daemon(token=ALICE_TOKEN)
    local = write(t.path("data", "a.txt"), "a\n")
    t.emu.add_fault({"kind": "status", "status": 503, "host": "main", "method": "POST",
                     "path": f"/api/models/{rid}/commit/*", "times": 1})
    res = result_of(expect_succeeded(upload(t, rid, local)))
    eq(res["recovered"], False, "not recovered: it had not landed")
    commits = commits_of(t, rid)
    eq(commits[0], res["commit"], "head is the result")
    eq(commits[1], desc["sha"], "one commit on top of the old head")
    eq(main_requests(t.emu.counters(), "/commit/main"), 2, "sent again after the 503")


# --------------------------------------------------------------------------- restarts


def test_sigkill_during_hashing(t):
    rid = "alice/hash-restart"
    n, size = 64, 16 * MiB
    block = os.urandom(size)   # one content: one LFS object actually goes up
    d = t.path("big")
    first = write(os.path.join(d, "shard-00.bin"), block)
    for i in range(1, n):   # hard links: 64 files to hash, 16 MiB on disk
        os.link(first, os.path.join(d, f"shard-{i:02d}.bin"))
    d1 = t.start_daemon(token=ALICE_TOKEN)
    job_id = harness.require_job(t.cli("upload", rid, d, "--detach"))["id"]

    def hashing_some():
        j = t.job_not_final(job_id)
        return j if j["state_reason"] == "hashing" and j["files_done"] >= 6 else None
    wait_for(hashing_some, 60, "the job to be hashing with 6 files done")

    def six_hashes_stored():
        t.job_not_final(job_id)
        return len([r for r in t.stored_job_files(job_id) if r["oid"]]) >= 6
    wait_for(six_hashes_stored, 60, "6 hashes to be committed to the store")
    j = t.job(job_id)
    t.note(f"SIGKILL while {j['state_reason']} at {j['files_done']}/{j['files_total']} files")
    eq(j["state_reason"], "hashing", "still hashing when killed")
    d1.kill()
    t.start_daemon(token=ALICE_TOKEN)
    final = t.wait_job(job_id, timeout=180)
    eq(final["state"], "succeeded", f"state after the restart (error {final.get('error')})")
    res = result_of(final)
    t.note(f"after the restart: hashed {res['hashed-files']} of {n}")
    check(res["hashed-files"] <= n - 6,
          f"files hashed before the kill are not hashed again: {res['hashed-files']} of {n}")
    files = tree(t, rid)
    eq(len([p for p in files if p.startswith("shard-")]), n, "every shard landed")
    sha = hashlib.sha256(block).hexdigest()
    check(all((files[f"shard-{i:02d}.bin"].get("lfs") or {}).get("oid") == sha
              for i in range(n)), "every shard has the right oid")


def test_sigkill_during_multipart(t):
    rid = "alice/mp-restart"
    t.emu.set_config({"multipart_threshold": 2 * MiB, "multipart_chunk_size": MiB})
    data = os.urandom(12 * MiB)   # 12 parts
    sha = hashlib.sha256(data).hexdigest()
    local = write(t.path("data", "model.safetensors"), data)
    # part 12 hangs: the others finish, then the daemon dies
    t.emu.add_fault({"kind": "stall", "host": "cdn", "method": "PUT",
                     "path": "/lfs-upload/*/*/12", "seconds": 60, "times": 1})
    d1 = t.start_daemon(token=ALICE_TOKEN)
    job_id = harness.require_job(t.cli("upload", rid, local, "--detach"))["id"]

    def eleven_parts():
        t.job_not_final(job_id)
        c = t.emu.counters()
        done = [p for p, st in harness.cdn_paths(c).items()
                if p.startswith("/lfs-upload/") and p.count("/") == 4 and
                (st.get("statuses") or {}).get("200", 0) >= 1]
        return done if len(done) >= 11 else None
    wait_for(eleven_parts, 60, "11 of 12 parts to be stored")

    def eleven_etags_kept():
        t.job_not_final(job_id)
        row = {r["path"]: r for r in t.stored_job_files(job_id)}.get("model.safetensors")
        parts = ((row or {}).get("transfer") or {}).get("parts") or []
        return len([p for p in parts if p.get("etag")]) >= 11
    wait_for(eleven_etags_kept, 60, "the daemon to commit the 11 parts' ETags")
    d1.kill()
    t.emu.reset_counters()
    t.start_daemon(token=ALICE_TOKEN)
    final = t.wait_job(job_id, timeout=60)
    eq(final["state"], "succeeded", f"state after the restart (error {final.get('error')})")
    c = t.emu.counters()
    parts = part_puts(c)
    t.note(f"PUTs after the restart: {parts}")
    eq(len(parts), 1, f"only the missing part is sent again: {parts}")
    check(list(parts)[0].endswith("/12"), f"the part sent again is 12: {parts}")
    eq(main_requests(c, ".git/info/lfs/objects/batch"), 0,
       "no new LFS batch: the stored part URLs are reused")
    eq(harness.main_paths(c)["/api/complete_multipart"]["methods"], {"POST": 1}, "completion")
    eq(remote_file(t, rid, "model.safetensors"), data, "bytes on the Hub")
    eq((tree(t, rid)["model.safetensors"].get("lfs") or {}).get("oid"), sha, "LFS oid")
    t.emu.clear_faults()


# --------------------------------------------------------------------------- refusals


def test_bad_paths_refused_before_any_request(t):
    rid = "alice/bad"
    t.start_daemon(token=ALICE_TOKEN)
    local = write(t.path("data", "a.txt"), "a\n")
    t.emu.reset_counters()
    for bad in ("../evil.txt", "/etc/evil.txt", ".git/config", "a/../../b.txt", "x/.git/y",
                "a//b.txt"):
        r = t.cli("upload", rid, local, bad)
        check(r.rc not in (0, None), f"upload to {bad!r} should fail, got exit {r.rc}")
        check(r.error_name in (ERR + "UnsafePath", ERR + "InvalidArgument"),
              f"error for {bad!r}: {r.error_name} {r.error_message}")
        check(not isinstance(r.json, dict) or "state" not in r.json,
              f"no job should be created for {bad!r}")
    # a folder holding a file the Hub would refuse: the job fails before any request
    d = t.path("folder")
    write(os.path.join(d, "ok.txt"), "ok\n")
    write(os.path.join(d, ".cache", "pip", "x.txt"), "x\n")
    job = expect_failed(upload(t, rid, d), ERR + "UnsafePath")
    check(".cache" in job["error"]["message"], f"message: {job['error']['message']}")
    c = t.emu.counters()
    eq(c["requests_total"], 0, f"requests sent to the Hub: {list(c['paths'])}")
    eq(t.jobs()[0]["state"], "failed", "the only job failed")


def test_read_token_cannot_commit(t):
    rid = "alice/readonly"
    t.emu.seed({"id": rid, "files": {"README.md": "# r\n"}})
    t.start_daemon(token=BOB_TOKEN)
    local = write(t.path("data", "a.txt"), "a\n")
    job = expect_failed(upload(t, rid, local), ERR + "Forbidden")
    check("create_pr" in job["error"]["message"] or "orbidden" in job["error"]["message"],
          f"message: {job['error']['message']}")
    # a read token may open a pull request
    res = result_of(expect_succeeded(upload(t, rid, local, "--create-pr")))
    check(res["pr-revision"].startswith("refs/pr/"), "a PR was opened")


# --------------------------------------------------------------------------- commits


def test_repo_files_delete(t):
    rid = "alice/prune"
    t.emu.seed({"id": rid, "files": {"a.bin": {"size": 100, "seed": 1}, "b.bin": "b",
                                     "docs/x.md": "x", "docs/y.md": "y", "keep.txt": "k"}})
    t.start_daemon(token=ALICE_TOKEN)
    r = t.cli("repo-files", "delete", rid, "*.bin", "docs/", timeout=60)
    job = expect_succeeded(r)
    eq(job["kind"], "commit", "kind")
    res = result_of(job)
    eq(res["deleted-files"], 4, "deleted files")
    eq(sorted(tree(t, rid)), [".gitattributes", "keep.txt"], "files left")
    r = t.cli("repo-files", "delete", rid, "*.nothing")
    expect_failed(r, ERR + "EntryNotFound")


def test_commit_copy_over_dbus(t):
    rid = "alice/copy"
    desc = t.emu.seed({"id": rid, "files": {"w.safetensors": {"size": 2 * MiB, "seed": 4},
                                            "c.json": "{}", "gone.txt": "old\n"},
                       "commits": [{"message": "drop", "files": {"gone.txt": None}}]})
    old = desc["commits"][1]
    t.start_daemon(token=ALICE_TOKEN)
    ops = ('[{"op": <"copy">, "from": <"w.safetensors">, "path": <"copy/w.safetensors">}, '
           '{"op": <"copy">, "from": <"c.json">, "path": <"copy/c.json">}, '
           '{"op": <"delete">, "path": <"c.json">}, '
           f'{{"op": <"copy">, "from": <"gone.txt">, "from-revision": <"{old}">, '
           '"path": <"back.txt">}]')
    rc, out, err = t.gdbus_call(harness.OBJ_PATH, harness.IFACE_MANAGER + ".Commit", rid,
                                "model", "main", ops,
                                # gdbus exits at once: a job that is not detached
                                # would be cancelled with its caller gone
                                "{'commit-message': <'Copy'>, 'detach': <true>}")
    eq(rc, 0, f"Commit call: {out} {err}")
    job_id = int(out.strip().rsplit("/", 1)[1].rstrip("',)"))
    final = t.wait_job(job_id)
    eq(final["state"], "succeeded", f"state (error {final.get('error')})")
    files = tree(t, rid)
    eq(sorted(files), sorted([".gitattributes", "w.safetensors", "copy/w.safetensors",
                              "copy/c.json", "back.txt"]), "files after copy and delete")
    eq(remote_file(t, rid, "back.txt"), b"old\n", "a file copied from an older revision")
    eq(final["result"]["copied-files"], 3, "copied files")
    eq(final["result"]["deleted-files"], 1, "deleted files")
    eq(files["copy/w.safetensors"]["lfs"]["oid"], desc["files"]["w.safetensors"]["sha256"],
       "the LFS copy points at the same object")
    eq(remote_file(t, rid, "copy/c.json"), b"{}", "regular copy content")


# --------------------------------------------------------------------------- interop


def js_available():
    return NODE is not None and os.path.exists(JS_HUB)


def js(t, request, helper="upload-helper.mjs", timeout=300):
    argv = [NODE, os.path.join(PEERS, helper), json.dumps(request)]
    p = subprocess.run(argv, env=t.base_env(), capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL, cwd=t.tmp)
    lines = [ln for ln in p.stdout.splitlines() if ln.strip()]
    res = json.loads(lines[-1]) if lines else None
    if p.returncode != 0 or not isinstance(res, dict) or "error" in res:
        raise Failure(f"JS {request.get('op')} failed: {res} {p.stderr.strip()[-800:]}")
    return res


def test_interop_js_downloads_hfhub_upload(t):
    if not js_available():
        t.note("SKIP: node or tests/peers/node_modules missing (npm ci --prefix tests/peers)")
        return
    rid = "alice/interop-up"
    t.emu.set_config({"multipart_threshold": 4 * MiB, "multipart_chunk_size": 2 * MiB})
    t.start_daemon(token=ALICE_TOKEN)
    d = t.path("data")
    contents = {"config.json": b'{"a": 1}\n', "nested/notes.txt": "héllo\n".encode(),
                "model.safetensors": os.urandom(5 * MiB + 7),    # multipart
                "small.bin": os.urandom(300 * 1024)}             # LFS by .gitattributes
    for p, data in contents.items():
        write(os.path.join(d, p), data)
    expect_succeeded(upload(t, rid, d))
    for p, data in contents.items():
        dest = t.path("js", p.replace("/", "_"))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        r = js(t, {"op": "downloadFile", "hubUrl": t.emu.url, "repo": rid, "path": p,
                   "dest": dest, "accessToken": ALICE_TOKEN}, helper="interop-helper.mjs")
        with open(dest, "rb") as f:
            eq(f.read(), data, f"{p} as the JS client downloads it")
        eq(r["bytes"], len(data), f"size of {p}")


def test_interop_hfhub_downloads_js_upload(t):
    if not js_available():
        t.note("SKIP: node or tests/peers/node_modules missing (npm ci --prefix tests/peers)")
        return
    rid = "alice/interop-js"
    t.emu.set_config({"multipart_threshold": 4 * MiB, "multipart_chunk_size": 2 * MiB})
    t.start_daemon(token=ALICE_TOKEN)
    d = t.path("js-data")
    contents = {"config.json": b'{"b": 2}\n', "deep/dir/readme.md": b"# hi\n",
                "model.safetensors": os.urandom(6 * MiB + 1)}
    for p, data in contents.items():
        write(os.path.join(d, p), data)
    js(t, {"op": "createRepo", "hubUrl": t.emu.url, "repo": rid, "accessToken": ALICE_TOKEN})
    res = js(t, {"op": "uploadFiles", "hubUrl": t.emu.url, "repo": rid,
                 "accessToken": ALICE_TOKEN, "local": d})
    check(HEX40.match(res["commit"]), f"JS commit {res}")
    job = expect_succeeded(t.download(rid, timeout=120))
    snap = job["result"]["path"]
    for p, data in contents.items():
        with open(os.path.join(snap, p), "rb") as f:
            eq(f.read(), data, f"{p} as hfhub downloads it")
    # and hfhub sees them as unchanged when it uploads the same folder
    res = result_of(expect_succeeded(upload(t, rid, d)))
    eq(res["no-op"], True, "the JS client's files are recognised as unchanged")


if __name__ == "__main__":
    sys.exit(harness.main(globals(), emulator=True))
