#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration tests of downloads (issue 4): `hfhub --json download` through
the built hfhubd against the Hub emulator, checking the Hugging Face cache
layout byte for byte, revisions, errors, offline mode, local_dir, dry runs,
resume after SIGKILL, recovered and unrecoverable faults, token hygiene and
unsafe paths. TAP on stdout; see harness.py."""

import json
import os
import re
import secrets
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import (ALICE_TOKEN, ERR, HEX40, MiB, check, eq, expect_failed,  # noqa: E402
                     expect_succeeded, wait_for)

# A small repo: regular files (git blob sha1 etags), LFS files (sha256 etags,
# served by the CDN host), nested paths.
BASIC = {
    "config.json": '{"a": 1}\n',
    "README.md": "# basic\n",
    "model.safetensors": {"size": 3 * MiB + 17, "seed": 7},
    "sub/dir/data.txt": "nested\n",
    "sub/other.bin": {"size": 1000, "seed": 3},
    "docs/a.md": "a\n",
    "docs/b.json": {"json": {"k": 1}},
}


JOB_KEYS = ("id", "path", "kind", "state", "state_reason", "repo_type", "repo_id", "revision",
            "priority", "owner", "owner_app", "owner_executable", "created", "updated",
            "bytes_done", "bytes_total",
            "files_done", "files_total", "error", "result", "options")


def content_of(spec):
    """The bytes a seed spec stands for, computed here (not asked of the emulator)."""
    if isinstance(spec, str):
        return spec.encode()
    if "text" in spec:
        return spec["text"].encode()
    if "json" in spec:
        return json.dumps(spec["json"], indent=2).encode()
    if "size" in spec:
        return harness.gen_content(spec["size"], spec.get("seed", 0))
    raise ValueError(spec)


def seed(t, rid, files=None, **extra):
    spec = {"id": rid, "files": dict(BASIC if files is None else files)}
    spec.update(extra)
    return t.emu.seed(spec)


def expected_files(desc_files, specs, include=None, exclude=None):
    """{path: (sha256, etag)} of what a snapshot download must produce."""
    out = {}
    for path, info in desc_files.items():
        if not harness.hf_match(path, include, exclude):
            continue
        if path in specs:
            data = content_of(specs[path])
            sha = harness.sha256_bytes(data)
            etag = sha if info["lfs"] else harness.git_blob_sha1(data)
            eq(info["sha256"], sha, f"emulator's sha256 of {path} (sanity)")
        else:  # .gitattributes written by the emulator
            sha, etag = info["sha256"], info["etag"]
        eq(info["etag"], etag, f"emulator's etag of {path} (sanity)")
        out[path] = (sha, etag)
    return out


def no_incomplete(root):
    left = [p for p in harness.list_files(root) if p.endswith(".incomplete")]
    eq(left, [], f".incomplete files left under {root}")


def check_pointer(t, rid, commit, path, sha, etag, repo_type="model"):
    """snapshots/<commit>/<path> is a relative symlink to ../../blobs/<etag>
    (deeper for nested paths) and the bytes are right."""
    repo = t.repo_dir(rid, repo_type)
    pointer = os.path.join(repo, "snapshots", commit, path)
    blob = os.path.join(repo, "blobs", etag)
    check(os.path.islink(pointer), f"{pointer} should be a symlink")
    target = os.readlink(pointer)
    check(not os.path.isabs(target), f"{pointer} → {target}: the link must be relative")
    eq(target, os.path.relpath(blob, os.path.dirname(pointer)), f"link target of {path}")
    check(os.path.isfile(blob) and not os.path.islink(blob), f"blob {blob} missing")
    eq(harness.sha256_file(pointer), sha, f"sha256 of the downloaded {path}")


def check_snapshot(t, rid, commit, expected, repo_type="model", exact=True):
    snap = t.snapshot_dir(rid, commit, repo_type)
    check(os.path.isdir(snap), f"no snapshot folder {snap}")
    if exact:
        eq(harness.list_files(snap), sorted(expected), f"files in snapshots/{commit[:8]}…")
    for path, (sha, etag) in expected.items():
        check_pointer(t, rid, commit, path, sha, etag, repo_type)
    no_incomplete(t.repo_dir(rid, repo_type))


def read_ref(t, rid, ref, repo_type="model"):
    p = os.path.join(t.repo_dir(rid, repo_type), "refs", *ref.split("/"))
    check(os.path.isfile(p), f"no ref file {p}")
    with open(p) as f:
        return f.read()


def result_of(job):
    res = job.get("result") or {}
    check(isinstance(res, dict), f"result should be an object: {res!r}")
    return res


# --------------------------------------------------------------------------- basic layout


def test_single_file(t):
    rid = "org/single"
    desc = seed(t, rid)
    commit = desc["sha"]
    exp = expected_files(desc["files"], BASIC)
    t.start_daemon()

    r = t.download(rid, "config.json")
    job = expect_succeeded(r)
    res = result_of(job)
    eq(sorted(job), sorted(JOB_KEYS), "keys of the job object")
    eq(job["path"], f"{harness.JOBS_PATH}/{job['id']}", "job path")
    eq(job["kind"], "download", "kind")
    eq(job["repo_id"], rid, "repo_id")
    eq(job["error"], None, "error of a succeeded job")
    check(HEX40.match(res.get("commit") or ""), f"result commit {res.get('commit')!r}")
    eq(res.get("commit"), commit, "result commit (main's head)")
    eq(res.get("path"), os.path.join(t.snapshot_dir(rid, commit), "config.json"),
       "result path of a single file")
    check_pointer(t, rid, commit, "config.json", *exp["config.json"])
    eq(harness.list_files(t.snapshot_dir(rid, commit)), ["config.json"],
       "only the named file is in the snapshot")
    eq(read_ref(t, rid, "main"), commit, "refs/main (40 hex, no newline)")
    no_incomplete(t.repo_dir(rid))

    # nested regular file, and an LFS file (blob named by its sha256)
    for path in ("sub/dir/data.txt", "model.safetensors"):
        job = expect_succeeded(t.download(rid, path))
        eq(result_of(job).get("path"), os.path.join(t.snapshot_dir(rid, commit), path),
           f"result path of {path}")
        check_pointer(t, rid, commit, path, *exp[path])
    eq(os.readlink(os.path.join(t.snapshot_dir(rid, commit), "sub/dir/data.txt")),
       "../../../../blobs/" + exp["sub/dir/data.txt"][1], "link of a nested file")

    # without --json, stdout is just the path
    r = t.cli("download", rid, "README.md", json_out=False)
    eq(r.rc, 0, f"exit status of a text-mode download (stderr {r.stderr.strip()!r})")
    eq(r.stdout, os.path.join(t.snapshot_dir(rid, commit), "README.md") + "\n",
       "stdout of a text-mode download")


def test_hf_variables_without_effect_are_named(t):
    """huggingface_hub#4219: a variable that is silently ignored makes users
    think something is broken. hfhub names each one it does not honour, and
    HF_HUB_DISABLE_PROGRESS_BARS turns the progress bar off on a terminal."""
    rid = "org/env-notes"
    seed(t, rid)
    t.start_daemon()
    env = {"HF_HUB_ENABLE_HF_TRANSFER": "1", "HF_XET_HIGH_PERFORMANCE": "1",
           "HF_HUB_DOWNLOAD_TIMEOUT": "60"}
    r = t.cli("download", rid, "config.json", env=env)
    expect_succeeded(r)
    for name in env:
        check(f"{name} is set but has no effect on hfhub" in r.stderr,
              f"no word on {name} in stderr: {r.stderr!r}")
    r = t.cli("download", rid, "config.json")
    expect_succeeded(r)
    check("has no effect" not in r.stderr, f"notes without such variables: {r.stderr!r}")

    def stderr_on_a_terminal(extra):
        """hfhub download with stderr on a pseudo-terminal → what it drew there."""
        rc, drawn, _ = t.cli_on_terminal(["download", rid, "--force-download"], "stderr", extra)
        eq(rc, 0, "exit status of a download on a terminal")
        return drawn
    drawn = stderr_on_a_terminal(None)
    check("Downloading" in drawn or "files" in drawn, f"no progress on a terminal: {drawn!r}")
    drawn = stderr_on_a_terminal({"HF_HUB_DISABLE_PROGRESS_BARS": "1"})
    eq(drawn, "", "stderr on a terminal with HF_HUB_DISABLE_PROGRESS_BARS=1")


def test_snapshot_whole(t):
    rid = "org/whole"
    desc = seed(t, rid)
    commit = desc["sha"]
    exp = expected_files(desc["files"], BASIC)
    t.start_daemon()
    job = expect_succeeded(t.download(rid))
    res = result_of(job)
    eq(res.get("commit"), commit, "result commit")
    eq(res.get("path"), t.snapshot_dir(rid, commit), "result path: the snapshot folder")
    check(".gitattributes" in exp, "the emulator's .gitattributes is part of the snapshot")
    check_snapshot(t, rid, commit, exp)
    eq(read_ref(t, rid, "main"), commit, "refs/main")
    eq(job["files_total"], len(exp), "files_total")
    eq(job["files_done"], len(exp), "files_done")
    total = sum(info["size"] for info in desc["files"].values())
    eq(job["bytes_total"], total, "bytes_total")
    eq(job["bytes_done"], total, "bytes_done")
    # the daemon's view agrees
    eq([j["id"] for j in t.jobs()], [job["id"]], "jobs ls after the download")
    eq(t.job(job["id"])["state"], "succeeded", "jobs show after the download")
    status = t.cli("daemon", "status").json
    eq(status.get("state"), "idle", "daemon state after the download")
    eq(status.get("job_counts", {}).get("succeeded"), 1, "succeeded jobs in daemon status")


def test_snapshot_include_exclude(t):
    rid = "org/filters"
    desc = seed(t, rid)
    commit = desc["sha"]
    t.start_daemon()
    cases = [
        (["*.json", "sub/"], ["*.bin"],
         {"config.json", "docs/b.json", "sub/dir/data.txt"}),
        ([], ["docs/", "*.safetensors"],
         {".gitattributes", "README.md", "config.json", "sub/dir/data.txt", "sub/other.bin"}),
        (["*.md"], [], {"README.md", "docs/a.md"}),   # "*" crosses "/" (fnmatch)
        (["sub/*.txt"], [], {"sub/dir/data.txt"}),
    ]
    for n, (inc, exc, names) in enumerate(cases):
        cache = t.path(f"cache-{n}")
        exp = expected_files(desc["files"], BASIC, inc, exc)
        eq(set(exp), names, f"test's own filter (sanity) for {inc} {exc}")
        args = [a for p in inc for a in ("--include", p)] + \
               [a for p in exc for a in ("--exclude", p)]
        job = expect_succeeded(t.download(rid, args=args, env={"HF_HUB_CACHE": cache}))
        snap = os.path.join(cache, "models--org--filters", "snapshots", commit)
        eq(result_of(job).get("path"), snap, f"result path with {args}")
        eq(harness.list_files(snap), sorted(names), f"files with {args}")
    check(not os.path.exists(t.cache), "HF_HUB_CACHE of the CLI was not honoured: "
          f"something was written to the default {t.cache}")


def test_dataset_repo_type(t):
    rid = "org/data"
    files = {"data.csv": "a,b\n1,2\n"}
    desc = t.emu.seed({"type": "dataset", "id": rid, "files": files})
    commit = desc["sha"]
    t.start_daemon()
    job = expect_succeeded(t.download(rid, "data.csv", args=["--repo-type", "dataset"]))
    eq(job["repo_type"], "dataset", "repo_type")
    exp = expected_files(desc["files"], files)
    eq(result_of(job).get("path"),
       os.path.join(t.snapshot_dir(rid, commit, "dataset"), "data.csv"), "result path")
    check_pointer(t, rid, commit, "data.csv", *exp["data.csv"], repo_type="dataset")
    check(not os.path.exists(t.repo_dir(rid, "model")), "a model folder was created")


# --------------------------------------------------------------------------- revisions

REV_SPEC = dict(
    commits=[{"message": "v2", "files": {"README.md": "# v2\n"}}],
    branches={"dev": {"config.json": '{"dev": true}\n', "dev-only.txt": "dev\n"}},
    tags={"v1": "main", "v0": "dev"},
    pr=True,
)


def test_revision_branch(t):
    rid = "org/revs-branch"
    desc = seed(t, rid, **REV_SPEC)
    dev = desc["refs"]["dev"]
    check(dev != desc["sha"], "dev differs from main (sanity)")
    t.start_daemon()
    job = expect_succeeded(t.download(rid, args=["--revision", "dev"]))
    eq(job["revision"], "dev", "revision")
    eq(result_of(job).get("commit"), dev, "result commit of dev")
    eq(result_of(job).get("path"), t.snapshot_dir(rid, dev), "result path")
    exp = {p: (i["sha256"], i["etag"]) for p, i in desc["revisions"]["dev"]["files"].items()}
    check("dev-only.txt" in exp, "dev-only.txt on dev (sanity)")
    check_snapshot(t, rid, dev, exp)
    with open(os.path.join(t.snapshot_dir(rid, dev), "config.json"), "rb") as f:
        eq(f.read(), b'{"dev": true}\n', "config.json of dev")
    eq(read_ref(t, rid, "dev"), dev, "refs/dev")
    check(not os.path.exists(os.path.join(t.repo_dir(rid), "refs", "main")),
          "refs/main written by a download of dev")


def test_revision_tag(t):
    rid = "org/revs-tag"
    desc = seed(t, rid, **REV_SPEC)
    t.start_daemon()
    for tag in ("v1", "v0"):
        oid = desc["refs"][tag]
        job = expect_succeeded(t.download(rid, "config.json", args=["--revision", tag]))
        eq(result_of(job).get("commit"), oid, f"result commit of tag {tag}")
        eq(read_ref(t, rid, tag), oid, f"refs/{tag}")
        info = desc["revisions"][tag]["files"]["config.json"]
        check_pointer(t, rid, oid, "config.json", info["sha256"], info["etag"])


def test_revision_commit_hash(t):
    rid = "org/revs-hash"
    desc = seed(t, rid, **REV_SPEC)
    old = desc["commits"][1]  # "Upload files", before the "v2" commit
    check(old != desc["sha"], "an older commit (sanity)")
    t.start_daemon()
    job = expect_succeeded(t.download(rid, "README.md", args=["--revision", old]))
    eq(result_of(job).get("commit"), old, "result commit of a commit hash")
    p = os.path.join(t.snapshot_dir(rid, old), "README.md")
    eq(result_of(job).get("path"), p, "result path")
    with open(p, "rb") as f:
        eq(f.read(), b"# basic\n", "README.md at the older commit")
    refs = os.path.join(t.repo_dir(rid), "refs")
    left = harness.list_files(refs) if os.path.isdir(refs) else []
    eq(left, [], "refs written for a commit-hash revision")


def test_revision_pr(t):
    rid = "org/revs-pr"
    desc = seed(t, rid, **REV_SPEC)
    pr = desc["refs"]["refs/pr/1"]
    t.start_daemon()
    job = expect_succeeded(t.download(rid, args=["--revision", "refs/pr/1"]))
    eq(result_of(job).get("commit"), pr, "result commit of refs/pr/1")
    exp = {p: (i["sha256"], i["etag"])
           for p, i in desc["revisions"]["refs/pr/1"]["files"].items()}
    check("pr-1.txt" in exp, "pr-1.txt in the PR (sanity)")
    check_snapshot(t, rid, pr, exp)
    eq(read_ref(t, rid, "refs/pr/1"), pr, "refs/refs/pr/1 (nested)")


# --------------------------------------------------------------------------- errors


def test_private_repo_without_token(t):
    rid = "alice/secret"
    seed(t, rid, {"config.json": "{}\n"}, private=True)
    t.start_daemon()
    r = t.download(rid)
    job = expect_failed(r, ERR + "RepoNotFound")
    check("token" in job["error"]["message"].lower(),
          f"the message should say that no token was used: {job['error']['message']!r}")
    eq(r.rc, 4, "exit status (not found)")
    check(not os.path.exists(os.path.join(t.repo_dir(rid), "snapshots")),
          "a snapshot folder for a repo we could not see")


def test_private_repo_with_token(t):
    rid = "alice/secret2"
    files = {"config.json": "{}\n", "w.bin": {"size": 2 * MiB, "seed": 5}}
    desc = seed(t, rid, files, private=True)
    t.start_daemon(token=ALICE_TOKEN)
    job = expect_succeeded(t.download(rid))
    check_snapshot(t, rid, desc["sha"], expected_files(desc["files"], files))
    # the token never shows in the job
    check(ALICE_TOKEN not in json.dumps(job), "the token appears in the job object")


def test_gated_repo(t):
    rid = "org/gated"
    seed(t, rid, {"config.json": "{}\n"}, gated="auto")
    t.start_daemon()
    r = t.download(rid, "config.json")
    expect_failed(r, ERR + "GatedRepo")


def test_missing_repo(t):
    t.start_daemon()
    r = t.download("org/does-not-exist", "config.json")
    expect_failed(r, ERR + "RepoNotFound")
    eq(r.rc, 4, "exit status (not found)")


def test_missing_revision(t):
    rid = "org/norev"
    seed(t, rid, {"config.json": "{}\n"})
    t.start_daemon()
    for files in ([], ["config.json"]):
        r = t.download(rid, *files, args=["--revision", "no-such-branch"])
        expect_failed(r, ERR + "RevisionNotFound")
        eq(r.rc, 4, "exit status (not found)")


def test_missing_file(t):
    rid = "org/nofile"
    seed(t, rid, {"config.json": "{}\n"})
    t.start_daemon()
    r = t.download(rid, "missing.txt")
    expect_failed(r, ERR + "EntryNotFound")
    eq(r.rc, 4, "exit status (not found)")


# --------------------------------------------------------------------------- offline


def test_offline(t):
    rid = "org/offline"
    desc = seed(t, rid)
    seed(t, "org/never", {"config.json": "{}\n"})
    t.start_daemon()
    first = expect_succeeded(t.download(rid))
    single = expect_succeeded(t.download(rid, "config.json"))
    t.emu.reset_counters()
    off = {"HF_HUB_OFFLINE": "1"}
    job = expect_succeeded(t.download(rid, env=off))
    eq(result_of(job).get("path"), result_of(first).get("path"), "offline snapshot path")
    eq(result_of(job).get("commit"), desc["sha"], "offline commit (from refs/main)")
    job = expect_succeeded(t.download(rid, "config.json", env=off))
    eq(result_of(job).get("path"), result_of(single).get("path"), "offline single-file path")
    r = t.download("org/never", env=off)
    expect_failed(r, ERR + "Offline")
    eq(t.emu.counters()["requests_total"], 0, "requests at the emulator while offline")


# --------------------------------------------------------------------------- local_dir


def test_local_dir(t):
    rid = "org/local"
    desc = seed(t, rid)
    commit = desc["sha"]
    exp = expected_files(desc["files"], BASIC)
    local = t.path("local", "model")
    t.start_daemon()
    t0 = time.time()
    job = expect_succeeded(t.download(rid, args=["--local-dir", local]))
    t1 = time.time()
    eq(result_of(job).get("path"), os.path.realpath(local), "result path: the local dir")
    eq(result_of(job).get("commit"), commit, "result commit")
    files = [p for p in harness.list_files(local) if not p.startswith(".cache/")]
    eq(files, sorted(exp), "files in the local dir")
    for path, (sha, etag) in exp.items():
        p = os.path.join(local, path)
        check(os.path.isfile(p) and not os.path.islink(p), f"{p} should be a regular file")
        eq(harness.sha256_file(p), sha, f"sha256 of {path}")
        meta = os.path.join(local, ".cache", "huggingface", "download", path + ".metadata")
        check(os.path.isfile(meta), f"no metadata {meta}")
        with open(meta) as f:
            text = f.read()
        lines = text.split("\n")
        check(len(lines) == 4 and lines[3] == "",
              f"{path}.metadata should be 3 lines each ending with \\n: {text!r}")
        eq(lines[0], commit, f"commit in {path}.metadata")
        eq(lines[1], etag, f"etag in {path}.metadata")
        ts = float(lines[2])
        check(t0 - 5 <= ts <= t1 + 5, f"timestamp in {path}.metadata: {ts} not in [{t0}, {t1}]")
    no_incomplete(local)

    # one named file: the result is that file
    local2 = t.path("local2")
    job = expect_succeeded(t.download(rid, "sub/dir/data.txt", args=["--local-dir", local2]))
    eq(result_of(job).get("path"), os.path.join(os.path.realpath(local2), "sub/dir/data.txt"),
       "result path of one file in a local dir")


# --------------------------------------------------------------------------- dry run, re-runs


def test_dry_run(t):
    rid = "org/dry"
    desc = seed(t, rid)
    t.start_daemon()

    def files_of(job):
        files = result_of(job).get("files")
        check(isinstance(files, list), f"result files of a dry run: {files!r}")
        return {f["path"]: f for f in files}

    job = expect_succeeded(t.download(rid, args=["--dry-run"]))
    files = files_of(job)
    eq(sorted(files), sorted(desc["files"]), "files listed by the dry run")
    for path, f in files.items():
        eq(f.get("size"), desc["files"][path]["size"], f"size of {path}")
        eq(f.get("will-download"), True, f"will-download of {path} before a download")
    repo = t.repo_dir(rid)
    for sub in ("blobs", "snapshots"):
        d = os.path.join(repo, sub)
        eq(harness.list_files(d) if os.path.isdir(d) else [], [],
           f"{sub}/ after a dry run")

    expect_succeeded(t.download(rid))
    job = expect_succeeded(t.download(rid, args=["--dry-run"]))
    for path, f in files_of(job).items():
        eq(f.get("will-download"), False, f"will-download of {path} after a download")

    # the text output works too
    r = t.cli("download", rid, "--dry-run", json_out=False)
    eq(r.rc, 0, "exit status of a text dry run")


def file_gets(counters):
    """GETs that carry file bytes: resolve URLs on the main host, CDN objects."""
    out = {}
    for path, st in counters.get("paths", {}).items():
        if "/resolve/" in path or path.startswith("/repos/"):
            if harness.gets(st):
                out[path] = harness.gets(st)
    return out


def test_rerun_and_force(t):
    rid = "org/rerun"
    desc = seed(t, rid)
    t.start_daemon()
    expect_succeeded(t.download(rid))
    t.emu.reset_counters()
    job = expect_succeeded(t.download(rid))
    eq(result_of(job).get("commit"), desc["sha"], "commit of the re-run")
    c = t.emu.counters()
    eq(file_gets(c), {}, "GETs of file bytes when re-running a finished download")
    eq(c["hosts"]["cdn"]["requests"], 0, "CDN requests when re-running")

    t.emu.reset_counters()
    expect_succeeded(t.download(rid, args=["--force-download"]))
    c = t.emu.counters()
    got = file_gets(c)
    # every file was fetched again: one CDN GET per LFS file, one resolve GET
    # per regular file
    lfs = [p for p, i in desc["files"].items() if i["lfs"]]
    regular = [p for p, i in desc["files"].items() if not i["lfs"]]
    cdn_gets = sum(n for p, n in got.items() if p.startswith("/repos/"))
    check(cdn_gets >= len(lfs), f"CDN GETs with --force-download: {cdn_gets} < {len(lfs)}")
    for p in regular:
        check(any(k.endswith("/" + p) for k in got if "/resolve/" in k),
              f"no resolve GET of {p} with --force-download ({sorted(got)})")
    check_snapshot(t, rid, desc["sha"], expected_files(desc["files"], BASIC))


# --------------------------------------------------------------------------- resume, faults


def incomplete_files(blobs):
    if not os.path.isdir(blobs):
        return []
    return [os.path.join(blobs, n) for n in os.listdir(blobs) if n.endswith(".incomplete")]


def test_resume_after_sigkill(t):
    rid = "org/resume"
    size = 64 * MiB
    cut = 24 * MiB
    desc = t.emu.seed({"id": rid, "files": {"big.safetensors": {"size": size, "seed": 21}}})
    sha = desc["files"]["big.safetensors"]["sha256"]
    t.emu.add_fault({"kind": "stall", "host": "cdn", "method": "GET", "path": "/repos/*",
                     "after_bytes": cut, "seconds": 30, "times": "forever"})
    d = t.start_daemon()
    job = harness.require_job(t.cli("download", rid, "--detach"))
    job_id = job["id"]
    blobs = os.path.join(t.repo_dir(rid), "blobs")

    def partial():
        t.job_not_final(job_id)
        files = [p for p in incomplete_files(blobs) if os.path.basename(p).startswith(sha)]
        big = [p for p in files if os.path.getsize(p) >= cut - MiB]
        return big[0] if big else None
    part = wait_for(partial, 30, f"blobs/{sha[:12]}….incomplete to reach ~{cut // MiB} MiB")
    t.note(f"partial file before SIGKILL: {os.path.basename(part)} "
           f"{os.path.getsize(part)} bytes")
    d.kill()
    t.emu.clear_faults()
    t.emu.reset_counters()

    t.start_daemon()
    final = t.wait_job(job_id, timeout=60)
    eq(final["state"], "succeeded", f"state of job {job_id} after the restart "
       f"(error {final.get('error')})")
    blob = os.path.join(blobs, sha)
    check(os.path.isfile(blob), f"no blob {blob}")
    eq(harness.sha256_file(blob), harness.gen_sha256(size, 21), "sha256 of the resumed blob")
    eq(incomplete_files(blobs), [], ".incomplete files left")
    c = t.emu.counters()
    cdn = harness.cdn_paths(c)
    ranges = [rg for st in cdn.values() for rg in st.get("ranges", [])]
    t.note(f"CDN after the restart: {json.dumps(cdn)[:600]}")
    starts = [int(m.group(1)) for rg in ranges
              for m in [re.match(r"bytes=(\d+)-$", rg)] if m]
    check(starts and starts[0] > 0,
          f"the GET after the restart should carry Range: bytes=N- with N > 0, got {ranges}")
    n = starts[0]
    served = c["hosts"]["cdn"]["bytes_served"]
    check(served <= size - n + MiB,
          f"bytes served after the restart: {served} > size - N + 1 MiB = {size - n + MiB} "
          f"(N = {n})")
    check_pointer(t, rid, final["result"]["commit"], "big.safetensors", sha, sha)


def test_fault_reset_midbody(t):
    rid = "org/reset"
    files = {"w.safetensors": {"size": 4 * MiB, "seed": 9}}
    desc = seed(t, rid, files)
    fid = t.emu.add_fault({"kind": "reset", "host": "cdn", "method": "GET", "path": "/repos/*",
                           "after_bytes": MiB, "times": 1})[0]
    t.start_daemon()
    expect_succeeded(t.download(rid, "w.safetensors"))
    eq((t.emu.fault(fid) or {}).get("fired"), 1, "the reset fault fired")
    check_snapshot(t, rid, desc["sha"], expected_files(desc["files"], files,
                                                      include=["w.safetensors"]))
    cdn = harness.cdn_paths(t.emu.counters())
    ranges = [rg for st in cdn.values() for rg in st.get("ranges", [])]
    check(any(re.match(r"bytes=[1-9]\d*-", rg) for rg in ranges),
          f"after the reset the download should resume with a Range request, got {ranges}")


# any request of the Hub API or a resolve URL for the repo: whichever the
# engine makes first meets the fault
REPO_API = r"^/(api/models/)?{rid}(/(revision|resolve|tree|paths-info)(/.*)?)?$"


def test_fault_500_once(t):
    rid = "org/five-hundred"
    files = {"config.json": "{}\n", "w.safetensors": {"size": MiB, "seed": 2}}
    desc = seed(t, rid, files)
    fid = t.emu.add_fault({"kind": "status", "status": 500, "host": "main",
                           "path": REPO_API.format(rid=re.escape(rid)), "match": "regex",
                           "times": 1})[0]
    t.start_daemon()
    expect_succeeded(t.download(rid))
    eq((t.emu.fault(fid) or {}).get("fired"), 1, "the 500 fault fired")
    check_snapshot(t, rid, desc["sha"], expected_files(desc["files"], files))


def test_client_errors_are_never_retried(t):
    """401, 403 and 404 say something about the request, not the moment:
    asked once, at the Hub's API or at the CDN, and the job fails with a
    named error."""
    t.start_daemon()
    for n, (status, host) in enumerate([(401, "main"), (403, "main"), (404, "main"),
                                        (401, "cdn"), (403, "cdn"), (404, "cdn")]):
        rid = f"org/client-error-{n}"
        seed(t, rid, {"w.safetensors": {"size": MiB, "seed": 40 + n}})
        path = (REPO_API.format(rid=re.escape(rid)) if host == "main" else "/repos/.*")
        fid = t.emu.add_fault({"kind": "status", "status": status, "host": host,
                               "path": path, "match": "regex", "times": "forever"})[0]
        r = t.download(rid, "w.safetensors")
        job = harness.require_job(r)
        eq(job["state"], "failed", f"state after a {status} from {host}")
        check((job["error"] or {}).get("name", "").startswith(ERR),
              f"a named error after a {status} from {host}: {job['error']}")
        eq((t.emu.fault(fid) or {}).get("fired"), 1, f"requests that met the {status} at {host}")
        t.emu.clear_faults()


def test_fault_429_retry_after(t):
    rid = "org/ratelimited"
    files = {"config.json": "{}\n"}
    desc = seed(t, rid, files)
    fid = t.emu.add_fault({"kind": "ratelimit", "retry_after": 1, "host": "main",
                           "path": REPO_API.format(rid=re.escape(rid)), "match": "regex",
                           "times": 1})[0]
    t.start_daemon()
    r = t.download(rid)
    expect_succeeded(r)
    eq((t.emu.fault(fid) or {}).get("fired"), 1, "the 429 fault fired")
    check(r.elapsed >= 0.9, f"the download took {r.elapsed:.2f} s: Retry-After: 1 not honoured")
    check_snapshot(t, rid, desc["sha"], expected_files(desc["files"], files))


def test_corrupt_bytes(t):
    rid = "org/corrupt"
    files = {"config.json": "{}\n", "w.safetensors": {"size": 2 * MiB, "seed": 4}}
    desc = seed(t, rid, files)
    sha = desc["files"]["w.safetensors"]["sha256"]
    t.emu.add_fault({"kind": "corrupt", "host": "cdn", "method": "GET", "path": "/repos/*",
                     "offset": 12345, "count": 1, "times": "forever"})
    t.start_daemon()
    r = t.download(rid, "w.safetensors")
    expect_failed(r, ERR + "ChecksumMismatch")
    repo = t.repo_dir(rid)
    p = os.path.join(repo, "snapshots", desc["sha"], "w.safetensors")
    check(not os.path.lexists(p), f"{p} exists after a checksum mismatch")
    check(not os.path.lexists(os.path.join(repo, "blobs", sha)),
          "a blob was published with wrong bytes")
    cdn = harness.cdn_paths(t.emu.counters())
    n = sum(harness.gets(st) for st in cdn.values())
    eq(n, 2, "CDN GETs (the first, and one retry)")


def test_token_not_sent_to_cdn(t):
    rid = "org/hygiene"
    files = {"config.json": "{}\n", "w.safetensors": {"size": MiB + 3, "seed": 8}}
    desc = seed(t, rid, files)
    t.start_daemon(token=ALICE_TOKEN)
    expect_succeeded(t.download(rid))
    check_snapshot(t, rid, desc["sha"], expected_files(desc["files"], files))
    c = t.emu.counters()
    main, cdn = c["hosts"]["main"], c["hosts"]["cdn"]
    check(cdn["requests"] >= 1, "the LFS file did not come from the CDN host")
    check(main.get("authorization_seen"), "the token did not reach the Hub (main host)")
    eq(cdn.get("authorization_count"), 0, "requests with Authorization at the CDN host")
    eq(cdn.get("authorization_seen"), False, "authorization_seen at the CDN host")
    logs = "".join(open(d.log_path, errors="replace").read() for d in t.daemons)
    check(ALICE_TOKEN not in logs, "the token appears in hfhubd's log")


# --------------------------------------------------------------------------- unsafe paths


def unsafe_case(t, evil_name):
    """A tree listing that names evil_name (through a rewriting proxy: the
    emulator refuses to store such a path) must fail with UnsafePath and
    write nothing outside the cache."""
    placeholder = "EVILPLACEHOLDER.txt"
    rid = "org/unsafe"
    desc = t.emu.seed({"id": rid, "files": {"ok.txt": "fine\n", placeholder: "evil\n"}})
    repo = t.repo_dir(rid)
    # wherever a careless join would put it
    bases = [t.snapshot_dir(rid, desc["sha"]), repo, os.path.join(repo, "blobs"), t.cache,
             t.tmp]
    strays = sorted({os.path.normpath(os.path.join(b, evil_name)) for b in bases})
    proxy = harness.RewriteProxy(t.emu.url, {placeholder: evil_name})
    t.cleanups.append(proxy.stop)
    t.endpoint = proxy.url
    t.start_daemon()
    try:
        r = t.download(rid)
        expect_failed(r, ERR + "UnsafePath")
    finally:
        stray = [p for p in strays if os.path.lexists(p)]
        for p in stray:
            try:
                os.unlink(p)
            except OSError:
                pass
    eq(stray, [], "files written outside the cache")
    base = os.path.basename(evil_name)
    found = [p for p in harness.list_files(t.tmp) if os.path.basename(p) == base]
    eq(found, [], f"files named {base} anywhere in the test's directories")
    cache_parent = os.path.dirname(t.cache)
    outside = [p for p in harness.list_files(cache_parent) if not p.startswith("hub/")]
    eq(outside, [], f"files next to the cache dir {t.cache}")


def test_unsafe_path_dotdot(t):
    # from snapshots/<commit>/ seven levels up is the parent of the test's
    # temporary directory
    unsafe_case(t, "../" * 7 + f"hfhub-it-evil-{secrets.token_hex(4)}.txt")


def test_unsafe_path_nested_dotdot(t):
    unsafe_case(t, "sub/../../" + f"hfhub-it-evil-{secrets.token_hex(4)}.txt")


def test_unsafe_path_absolute(t):
    unsafe_case(t, f"/tmp/hfhub-it-abs-{secrets.token_hex(4)}.txt")


if __name__ == "__main__":
    sys.exit(harness.main(globals(), emulator=True))
