#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Cache interoperability with the official JS client (@huggingface/hub,
tests/peers, driven through tests/peers/interop-helper.mjs): a cache written
by hfhub is read by the JS scanCacheDir, and files the JS client cached are
used by hfhub without fetching their bytes again. TAP on stdout; see
harness.py. Skipped (1..0 # SKIP) without node or `npm ci --prefix tests/peers`.

What the JS client does differently (shared/reference/hub-protocol.md §3.6,
§15), and what these tests therefore expect:
- scanCacheDir lists only the top-level entries of a snapshot folder (files
  in sub-folders are not counted) and only top-level files of refs/ (so
  refs/refs/pr/N is not seen); a repo's size is the sum of the unique blobs
  it found, a revision's size the sum over its files.
- downloadFileToCacheDir files a download under the last commit that touched
  the file (paths-info expand=true, lastCommit.id), not the branch head, and
  writes no refs/ file.
"""

import json
import os
import shutil
import subprocess
import sys
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import ALICE_TOKEN, MiB, Failure, check, eq, expect_succeeded  # noqa: E402

NODE = os.environ.get("NODE") or shutil.which("node")
PEERS = os.path.join(harness.SRCDIR, "tests", "peers")
HELPER = os.path.join(PEERS, "interop-helper.mjs")
JS_HUB = os.path.join(PEERS, "node_modules", "@huggingface", "hub", "package.json")


def js(t, request, timeout=60):
    """Runs one interop-helper operation; returns its JSON result."""
    argv = [NODE, HELPER, json.dumps(request)]
    env = t.base_env()  # scrubbed: no HF_* from the caller
    try:
        p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL, cwd=t.tmp)
    except subprocess.TimeoutExpired:
        raise Failure(f"JS {request.get('op')} did not finish within {timeout} s") from None
    lines = [ln for ln in p.stdout.splitlines() if ln.strip()]
    try:
        res = json.loads(lines[-1]) if lines else None
    except ValueError:
        res = None
    t.cli_log.append(harness.CliResult(["node", "interop-helper.mjs", request.get("op", "?")],
                                       p.returncode, p.stdout, p.stderr, 0))
    if p.returncode != 0 or not isinstance(res, dict) or "error" in res:
        err = res.get("error") if isinstance(res, dict) else p.stdout.strip()[-800:]
        raise Failure(f"JS {request.get('op')} failed (exit {p.returncode}): {err} "
                      f"{p.stderr.strip()[-800:]}")
    return res


def api(t, method, path, body, token=ALICE_TOKEN):
    req = urllib.request.Request(t.emu.url + path, data=json.dumps(body).encode(), method=method,
                                 headers={"Content-Type": "application/json",
                                          "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        raw = resp.read()
    return json.loads(raw) if raw.strip() else None


def byte_gets(counters, paths=None):
    """{path: GETs} of requests that carry file bytes: resolve on the main
    host, anything on the CDN. With paths, only those (repo paths)."""
    out = {}
    for path, st in counters.get("paths", {}).items():
        if not ("/resolve/" in path or path.startswith("/repos/")):
            continue
        if paths is not None and "/resolve/" in path and \
                not any(path.endswith("/" + p) for p in paths):
            continue
        n = harness.gets(st)
        if n:
            out[path] = n
    return out


def blob_path(t, rid, etag, repo_type="model"):
    return os.path.join(t.repo_dir(rid, repo_type), "blobs", etag)


# --------------------------------------------------------------------------- hfhub → JS

FILES = {
    "config.json": '{"interop": 1}\n',
    "README.md": "# interop\n",
    "model.safetensors": {"size": 2 * MiB + 123, "seed": 11},   # LFS (CDN)
    "sub/dir/nested.txt": "nested\n",                           # not seen by the JS scan
    "sub/weights.bin": {"size": 4096, "seed": 12},               # LFS by .gitattributes
}


def expected_scan(desc, revisions):
    """What the JS scanCacheDir must report for the revisions {commit: (refs,
    {path: info})} that hfhub downloaded: top-level files only."""
    blobs = {}
    revs = {}
    for commit, (refs, files) in revisions.items():
        top = {p: i for p, i in files.items() if "/" not in p}
        for i in top.values():
            blobs[i["etag"]] = i["size"]
        revs[commit] = {"refs": sorted(refs), "names": sorted(top),
                        "size": sum(i["size"] for i in top.values())}
    return {"size": sum(blobs.values()), "filesCount": len(blobs), "revisions": revs}


def test_js_scans_hfhub_cache(t):
    rid = "alice/interop"
    desc = t.emu.seed({"id": rid, "files": FILES,
                       "commits": [{"message": "v2", "files": {"README.md": "# interop v2\n"}}],
                       "branches": {"dev": {"config.json": '{"dev": true}\n',
                                            "dev-only.txt": "dev\n"}}})
    main, dev = desc["sha"], desc["refs"]["dev"]
    old = desc["commits"][1]                     # "Upload files", before "v2"
    check(len({main, dev, old}) == 3, "three distinct commits (sanity)")
    api(t, "POST", f"/api/models/{rid}/tag/{old}", {"tag": "v1"})
    dsid = "alice/interop-data"
    ds = t.emu.seed({"type": "dataset", "id": dsid, "files": {"data.csv": "a,b\n1,2\n"}})

    t.start_daemon()
    expect_succeeded(t.download(rid))                                    # snapshot of main
    expect_succeeded(t.download(rid, args=["--revision", "dev"]))        # a branch
    expect_succeeded(t.download(rid, "README.md", "model.safetensors",   # a tag
                                args=["--revision", "v1"]))
    expect_succeeded(t.download(dsid, "data.csv", args=["--repo-type", "dataset"]))

    # the tag's files, as the emulator describes the commit it points at
    v1_files = {p: desc["files"][p] for p in ("model.safetensors",)}
    v1_files["README.md"] = {"etag": harness.git_blob_sha1(b"# interop\n"),
                             "size": len(b"# interop\n")}
    exp = expected_scan(desc, {main: (["main"], desc["files"]),
                               dev: (["dev"], desc["revisions"]["dev"]["files"]),
                               old: (["v1"], v1_files)})
    # hfhub wrote the nested file too (a Python scan counts it; JS does not look)
    nested = os.path.join(t.snapshot_dir(rid, main), "sub", "dir", "nested.txt")
    check(os.path.islink(nested), f"{nested} should be a symlink")
    eq(os.path.realpath(nested), blob_path(t, rid, desc["files"]["sub/dir/nested.txt"]["etag"]),
       "the nested file's blob")

    # huggingface_hub's scan_cache_dir counts (it descends into sub-folders),
    # computed here from the file system: what hfhub's layout stands for
    py_blobs = {}
    for commit, (_, files) in ((main, (None, desc["files"])),
                               (dev, (None, desc["revisions"]["dev"]["files"])),
                               (old, (None, v1_files))):
        snap = t.snapshot_dir(rid, commit)
        eq(harness.list_files(snap), sorted(files), f"files in snapshots/{commit[:8]}")
        for path in harness.list_files(snap):
            real = os.path.realpath(os.path.join(snap, path))
            py_blobs[real] = os.stat(real).st_size
    want = {blob_path(t, rid, i["etag"]): i["size"]
            for fs in (desc["files"], desc["revisions"]["dev"]["files"], v1_files)
            for i in fs.values()}
    eq(py_blobs, want, "blobs referenced by the snapshots (recursive, as Python scans)")

    scan = js(t, {"op": "scan", "cacheDir": t.cache})
    eq(scan["warnings"], [], "scanCacheDir warnings on a cache written by hfhub")
    repos = {(r["type"], r["name"]): r for r in scan["repos"]}
    eq(sorted(repos), [("dataset", dsid), ("model", rid)], "repos found by scanCacheDir")

    r = repos[("model", rid)]
    eq(r["size"], exp["size"], "repo size (sum of the unique blobs of top-level files)")
    eq(r["filesCount"], exp["filesCount"], "filesCount (unique blobs)")
    got_revs = {v["commitOid"]: v for v in r["revisions"]}
    eq(sorted(got_revs), sorted(exp["revisions"]), "revisions (commit hashes)")
    for commit, e in exp["revisions"].items():
        v = got_revs[commit]
        eq(v["refs"], e["refs"], f"refs of {commit[:8]}")
        eq(sorted(f["name"] for f in v["files"]), e["names"], f"files of {commit[:8]}")
        eq(v["size"], e["size"], f"size of revision {commit[:8]}")
        for f in v["files"]:
            check(f["blob"].startswith(os.path.join(t.repo_dir(rid), "blobs") + os.sep),
                  f"{f['name']} resolves into blobs/: {f['blob']}")

    d = repos[("dataset", dsid)]
    info = ds["files"]["data.csv"]
    eq((d["size"], d["filesCount"]), (info["size"], 1), "dataset size and filesCount")
    eq([(v["commitOid"], v["refs"]) for v in d["revisions"]], [(ds["sha"], ["main"])],
       "dataset revisions")
    eq(scan["size"], exp["size"] + info["size"], "total size")


# --------------------------------------------------------------------------- JS → hfhub


def test_hfhub_uses_js_cached_file(t):
    rid = "alice/interop-js"
    lfs_spec = {"size": 3 * MiB + 5, "seed": 21}
    desc = t.emu.seed({"id": rid,
                       "files": {"model.safetensors": lfs_spec, "config.json": '{"js": 1}\n'},
                       # a later commit that touches neither file: the JS client files
                       # them under the older commit, hfhub under main's head
                       "commits": [{"message": "notes", "files": {"NOTES.md": "n\n"}}]})
    head, older = desc["sha"], desc["commits"][1]
    check(head != older, "head differs from the files' last commit (sanity)")
    t.start_daemon()
    os.makedirs(t.cache, exist_ok=True)

    for path in ("model.safetensors", "config.json"):
        info = desc["files"][path]
        res = js(t, {"op": "downloadFileToCacheDir", "hubUrl": t.emu.url, "repo": rid,
                     "path": path, "cacheDir": t.cache})
        eq(res["path"], os.path.join(t.snapshot_dir(rid, older), path),
           f"JS files {path} under the last commit that touched it")
        eq(harness.sha256_file(blob_path(t, rid, info["etag"])), info["sha256"],
           f"the JS client's blob of {path}")
    check(not os.path.exists(os.path.join(t.repo_dir(rid), "refs")),
          "the JS client wrote refs/ (it did not, as of 2.17.5; update this test)")

    for path in ("model.safetensors", "config.json"):
        info = desc["files"][path]
        t.emu.reset_counters()
        job = expect_succeeded(t.download(rid, path))
        res = job.get("result") or {}
        got = byte_gets(t.emu.counters())
        eq(got, {}, f"GETs of {path}'s bytes by hfhub after the JS client cached it "
                    f"(hfhub downloaded it again)")
        eq(res.get("downloaded-files"), 0, f"downloaded-files of {path}")
        want = os.path.join(t.snapshot_dir(rid, head), path)
        eq(res.get("path"), want, f"result path of {path}")
        eq(os.path.realpath(want), blob_path(t, rid, info["etag"]),
           f"{path} links to the JS client's blob")
        eq(harness.sha256_file(want), info["sha256"], f"bytes of {path} through hfhub's path")

    # control: into an empty cache the same download does GET the bytes, so
    # the zero above is not the counters missing them
    t.emu.reset_counters()
    expect_succeeded(t.download(rid, "model.safetensors",
                                env={"HF_HUB_CACHE": t.path("control-cache")}))
    got = byte_gets(t.emu.counters())
    check(any(p.startswith("/repos/") for p in got) and
          any(p.endswith("/resolve/" + head + "/model.safetensors") for p in got),
          f"a fresh download's byte GETs (control): {got}")

    # the cache as a whole now reads cleanly: hfhub wrote refs/main
    scan = js(t, {"op": "scan", "cacheDir": t.cache})
    eq(scan["warnings"], [], "scanCacheDir warnings after hfhub completed the JS cache")
    (r,) = scan["repos"]
    revs = {v["commitOid"]: v["refs"] for v in r["revisions"]}
    eq(revs, {head: ["main"], older: []}, "revisions and refs")
    eq(r["filesCount"], 2, "filesCount: both clients share the two blobs")
    eq(r["size"], sum(desc["files"][p]["size"] for p in ("model.safetensors", "config.json")),
       "size")


def test_hfhub_uses_js_snapshot(t):
    rid = "alice/interop-snap"
    files = {"config.json": '{"snap": 1}\n', "model.safetensors": {"size": MiB + 1, "seed": 31},
             "sub/a.txt": "a\n", "sub/b.bin": {"size": 2048, "seed": 32}}
    desc = t.emu.seed({"id": rid, "files": files})
    t.start_daemon()
    os.makedirs(t.cache, exist_ok=True)
    res = js(t, {"op": "snapshotDownload", "hubUrl": t.emu.url, "repo": rid,
                 "cacheDir": t.cache})
    eq(res["path"], t.snapshot_dir(rid, desc["sha"]), "JS snapshot folder")

    t.emu.reset_counters()
    job = expect_succeeded(t.download(rid))
    eq(byte_gets(t.emu.counters()), {}, "GETs of file bytes by hfhub after JS snapshotDownload")
    res = job.get("result") or {}
    eq(res.get("downloaded-files"), 0, "downloaded-files")
    eq(res.get("files"), len(desc["files"]), "files")
    for path, info in desc["files"].items():
        p = os.path.join(t.snapshot_dir(rid, desc["sha"]), path)
        eq(harness.sha256_file(p), info["sha256"], f"bytes of {path}")


if __name__ == "__main__":
    missing = [what for what, ok in (("node", NODE), ("tests/peers/interop-helper.mjs",
                                                      os.path.exists(HELPER)),
                                     ("@huggingface/hub (npm ci --prefix tests/peers)",
                                      os.path.exists(JS_HUB))) if not ok]
    if missing:
        print(f"1..0 # SKIP missing {', '.join(missing)}")
        sys.exit(0)
    sys.exit(harness.main(globals(), emulator=True))
