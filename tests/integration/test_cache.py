#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration tests of cache management (issue 8): `hfhub cache ls|rm|prune|
verify` through the built hfhubd, on caches written here the way
huggingface_hub (with and without symlinks) and the JS client write them, and
on caches the daemon downloaded from the Hub emulator. The expected numbers
follow huggingface_hub's scan_cache_dir() rules (hub-protocol.md §3.6, §3.7)
from the sizes and times set here. TAP on stdout; see harness.py."""

import fcntl
import os
import sys
import threading

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import ERR, MiB, check, eq, expect_succeeded, wait_for  # noqa: E402

C1 = "1" * 40
C2 = "2" * 40
C3 = "3" * 40
C4 = "4" * 40
C6 = "6" * 40
B1 = "b1" * 20
B2 = "b2" * 32
B3 = "b3" * 32
B4 = "b4" * 20
T0 = 1600000000.0

REPO_A = "models--org--a"
REPO_B = "datasets--org--b"
REPO_JS = "models--js--c"


# --------------------------------------------------------------------------- building caches


def put(t, rel, data):
    path = os.path.join(t.cache, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return path


def put_blob(t, folder, name, size, atime, mtime):
    path = put(t, f"{folder}/blobs/{name}", b"x" * size)
    os.utime(path, (atime, mtime))


def link(t, folder, commit, file, name):
    """snapshots/<commit>/<file> → ../../blobs/<name>, as huggingface_hub makes it."""
    pointer = os.path.join(t.cache, folder, "snapshots", commit, file)
    os.makedirs(os.path.dirname(pointer), exist_ok=True)
    blob = os.path.join(t.cache, folder, "blobs", name)
    os.symlink(os.path.relpath(blob, os.path.dirname(pointer)), pointer)


def ref(t, folder, name, commit):
    put(t, f"{folder}/refs/{name}", commit)


def build_python_repo(t, unreferenced=True):
    """C1: config.json → B1 (10 B), model.bin → B2 (100 B), sub/dir/x.txt → B1;
    C2: config.json → B1, model.bin → B3 (1000 B); main → C2, refs/pr/1 → C1;
    B4 (5000 B) linked by nothing; .no_exist, trees/, two partial files (110 B)."""
    put_blob(t, REPO_A, B1, 10, T0 + 50, T0 + 1)
    put_blob(t, REPO_A, B2, 100, T0 + 20, T0 + 2)
    put_blob(t, REPO_A, B3, 1000, T0 + 30, T0 + 3)
    if unreferenced:
        put_blob(t, REPO_A, B4, 5000, T0 + 90, T0 + 90)
    link(t, REPO_A, C1, "config.json", B1)
    link(t, REPO_A, C1, "model.bin", B2)
    link(t, REPO_A, C1, "sub/dir/x.txt", B1)
    link(t, REPO_A, C2, "config.json", B1)
    link(t, REPO_A, C2, "model.bin", B3)
    ref(t, REPO_A, "main", C2)
    ref(t, REPO_A, "refs/pr/1", C1)
    put(t, f"{REPO_A}/.no_exist/{C1}/missing.txt", "")
    put(t, f"{REPO_A}/trees/{C1}.json", '{"format_version":1,"files":{}}')
    put(t, f"{REPO_A}/blobs/{B3}.incomplete", b"p" * 77)
    put(t, f"{REPO_A}/blobs/{B2}.0123abcd.incomplete", b"p" * 33)


def build_no_symlink_repo(t):
    """HF_HUB_DISABLE_SYMLINKS=1: two copies (20 + 30 B) in the snapshot."""
    a = put(t, f"{REPO_B}/snapshots/{C3}/a.txt", b"a" * 20)
    c = put(t, f"{REPO_B}/snapshots/{C3}/b/c.txt", b"a" * 30)
    os.utime(a, (T0 + 7, T0 + 5))
    os.utime(c, (T0 + 4, T0 + 6))
    os.makedirs(os.path.join(t.cache, REPO_B, "blobs"), exist_ok=True)
    ref(t, REPO_B, "main", C3)


def build_js_repo(t):
    """JS downloadFileToCacheDir: blobs and links, no refs/."""
    put_blob(t, REPO_JS, B1, 40, T0 + 8, T0 + 8)
    link(t, REPO_JS, C4, "model.gguf", B1)


def build_damage(t):
    put(t, "version.txt", "1")  # stray file at the root
    put_blob(t, "kernels--org--k", B1, 10, T0, T0)  # not a repo type scan_cache_dir knows
    link(t, "kernels--org--k", C1, "k.so", B1)
    put_blob(t, "models--org--broken", B1, 10, T0, T0)
    link(t, "models--org--broken", C1, "gone.bin", B2)  # broken symlink
    put(t, "CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n")
    os.makedirs(os.path.join(t.cache, ".locks", REPO_A), exist_ok=True)


def data_bytes(t):
    """Bytes of the regular files under every blobs/ and snapshots/: what a
    deletion frees (refs and .no_exist markers are not data)."""
    total = 0
    for entry in os.listdir(t.cache):
        for sub in ("blobs", "snapshots"):
            root = os.path.join(t.cache, entry, sub)
            for d, _, files in os.walk(root):
                for name in files:
                    p = os.path.join(d, name)
                    if not os.path.islink(p):
                        total += os.lstat(p).st_size
    return total


def ls(t, *args):
    r = t.cli("cache", "ls", *args)
    eq(r.rc, 0, f"exit status of cache ls {' '.join(args)} ({r.stderr.strip()})")
    check(isinstance(r.json, dict) and "entries" in r.json, f"cache ls JSON: {r.stdout[:300]}")
    return r.json


def ids(listing):
    return [e["id"] for e in listing["entries"]]


def close(a, b, what):
    check(abs(a - b) < 1e-3, f"{what}: expected {b}, got {a}")


# --------------------------------------------------------------------------- ls


def test_ls_python_js_and_damage(t):
    build_python_repo(t)
    build_no_symlink_repo(t)
    build_js_repo(t)
    build_damage(t)
    t.start_daemon()

    j = ls(t)
    eq(ids(j), ["dataset/org/b", "model/js/c", "model/org/a"], "repos, by id")
    by_id = {e["id"]: e for e in j["entries"]}
    a = by_id["model/org/a"]
    # unique blobs linked by a snapshot: B1 + B2 + B3; not B4, .no_exist,
    # trees/ or the partial files
    eq(a["size_on_disk"], 10 + 100 + 1000, "size of org/a")
    eq(a["nb_files"], 3, "files of org/a")
    eq(a["refs"], ["main", "refs/pr/1"], "refs of org/a")
    eq(a["repo_type"], "model", "type of org/a")
    close(a["last_accessed"], T0 + 50, "last_accessed of org/a (newest blob atime)")
    close(a["last_modified"], T0 + 3, "last_modified of org/a (newest blob mtime)")
    b = by_id["dataset/org/b"]
    eq((b["size_on_disk"], b["nb_files"], b["refs"]), (50, 2, ["main"]),
       "no-symlink copies: each its own blob")
    close(b["last_modified"], T0 + 6, "last_modified of org/b")
    c = by_id["model/js/c"]
    eq((c["size_on_disk"], c["refs"]), (40, []), "JS repo without refs/: detached")
    eq(j["cache_size_on_disk"], 1200, "cache total")
    eq(j["revisions"], 4, "revisions")
    eq(sorted(os.path.basename(f["path"]) for f in j["incomplete_files"]),
       sorted([f"{B3}.incomplete", f"{B2}.0123abcd.incomplete"]), "partial files")
    eq(j["incomplete_size"], 110, "partial bytes")
    warned = sorted(os.path.relpath(w["path"], t.cache) for w in j["warnings"])
    eq(warned, ["kernels--org--k", f"models--org--broken/blobs/{B2}", "version.txt"],
       "warnings (damaged entries are skipped, not fatal)")

    j = ls(t, "--revisions")
    revs = {e["revision"]: e for e in j["entries"]}
    eq(sorted(revs), [C1, C2, C3, C4], "revisions")
    eq((revs[C1]["size_on_disk"], revs[C1]["nb_files"], revs[C1]["refs"]), (110, 3, ["refs/pr/1"]),
       "C1: three files, B1 once")
    eq((revs[C2]["size_on_disk"], revs[C2]["refs"]), (1010, ["main"]), "C2")
    close(revs[C1]["last_modified"], T0 + 2, "C1 last_modified")
    eq(revs[C4]["refs"], [], "JS revision")

    # filters and sorts as hf has them
    eq(ids(ls(t, "--filter", "type=dataset")), ["dataset/org/b"], "type=dataset")
    eq(ids(ls(t, "--filter", "size>100")), ["model/org/a"], "size>100")
    eq(ids(ls(t, "--filter", "size<=1k", "--filter", "refs=main")), ["dataset/org/b"],
       "size<=1k and refs=main")
    eq(ids(ls(t, "--filter", "accessed>1y")), ["dataset/org/b", "model/js/c", "model/org/a"],
       "accessed>1y")
    eq(ids(ls(t, "--filter", "modified<1d")), [], "modified<1d")
    eq(ids(ls(t, "--sort", "size")), ["model/org/a", "dataset/org/b", "model/js/c"], "size desc")
    eq(ids(ls(t, "--sort", "size:asc")), ["model/js/c", "dataset/org/b", "model/org/a"],
       "size:asc")
    eq(ids(ls(t, "--sort", "name:desc", "--limit", "2")), ["model/org/a", "model/js/c"],
       "name:desc, limit 2")
    eq([e["revision"] for e in ls(t, "--revisions", "--filter", "refs=main",
                                    "--sort", "modified:asc")["entries"]],
       [C2, C3], "revisions with main, oldest first")

    r = t.cli("cache", "ls", "-q", json_out=False)
    eq(r.stdout.split(), ["dataset/org/b", "model/js/c", "model/org/a"], "-q")
    r = t.cli("cache", "ls", "--format", "csv", json_out=False)
    lines = r.stdout.strip().splitlines()
    eq(lines[0], "repo_id,repo_type,size_on_disk,last_accessed,last_modified,refs", "csv header")
    eq(lines[3].split(",")[:3] + lines[3].split(",")[5:], ["org/a", "model", "1110", "main refs/pr/1"],
       "csv row of org/a")
    r = t.cli("cache", "ls", "--filter", "bogus=1", json_out=False)
    eq(r.rc, 2, "unknown filter key is a usage error")
    r = t.cli("cache", "ls", "--filter", "type>model", json_out=False)
    eq(r.rc, 2, "type only takes =")

    # a narrow terminal: lines wrap, nothing is cut
    r = t.cli("cache", "ls", "--revisions", json_out=False, env={"COLUMNS": "50"})
    eq(r.rc, 0, "table exit status")
    table = r.stdout.split("\n\n")[0]
    for line in table.splitlines():
        check(len(line) <= 50, f"table line wider than the terminal: {line!r}")
    check("…" not in r.stdout, "the table must wrap, never cut")
    flat = "".join(r.stdout.split())
    for commit in (C1, C2, C3, C4):
        check(commit[:20] in flat, f"revision {commit[:8]}… is missing from the table")
    check("3 warnings" in r.stderr or "3 warnings" in r.stdout,
          f"the warnings are announced: {r.stderr!r}")


def test_ls_missing_cache(t):
    t.start_daemon()
    r = t.cli("cache", "ls", env={"HF_HUB_CACHE": t.path("nowhere")})
    eq(r.rc, 0, "exit status")
    eq(r.json["entries"], [], "no entries")


# --------------------------------------------------------------------------- rm


def test_rm_revision_keeps_shared_blob(t):
    build_python_repo(t, unreferenced=False)
    t.start_daemon()
    before = data_bytes(t)

    r = t.cli("cache", "rm", C1, "--dry-run")
    eq(r.rc, 0, "dry run exit")
    plan = r.json["plan"]
    eq(r.json["job"], None, "a dry run queues no job")
    # C1 and its ref go; B1 stays (C2 links it); B2 goes
    eq(plan["freed-bytes"], 100, "announced bytes")
    eq([os.path.basename(p) for p in plan["blobs"]], [B2], "blobs to delete")
    eq(plan["refs"], [os.path.join(t.cache, REPO_A, "refs", "refs", "pr", "1")], "refs")
    eq(data_bytes(t), before, "a dry run deletes nothing")

    r = t.cli("cache", "rm", C1, "--yes")
    eq(r.rc, 0, f"rm exit ({r.stdout[-300:]})")
    job = r.json["job"]
    eq((job["kind"], job["state"]), ("cache-delete", "succeeded"), "the deletion job")
    eq(job["result"]["freed-bytes"], 100, "freed bytes in the result")
    eq(before - data_bytes(t), 100, "bytes freed on disk = bytes announced")
    check(os.path.isfile(os.path.join(t.cache, REPO_A, "blobs", B1)), "shared blob B1 kept")
    check(not os.path.exists(os.path.join(t.cache, REPO_A, "snapshots", C1)), "C1 gone")
    with open(os.path.join(t.cache, REPO_A, "snapshots", C2, "config.json"), "rb") as f:
        eq(f.read(), b"x" * 10, "C2 still reads B1")

    # the rest of the repo: by name, "org/a" alone is the model
    before = data_bytes(t)
    r = t.cli("cache", "rm", "org/a", "--yes")
    eq(r.rc, 0, "rm repo exit")
    eq(r.json["plan"]["repos"], [os.path.join(t.cache, REPO_A)], "the whole folder")
    # B1 + B3 and the partial files
    eq(r.json["plan"]["freed-bytes"], 10 + 1000 + 110, "announced")
    eq(before - data_bytes(t), 10 + 1000 + 110, "freed = announced")
    check(not os.path.exists(os.path.join(t.cache, REPO_A)), "repo folder gone")


def test_rm_confirmation_and_missing(t):
    build_python_repo(t)
    t.start_daemon()
    before = data_bytes(t)
    r = t.cli("cache", "rm", "model/org/a")
    eq(r.rc, 2, "without --yes and no terminal: refused as a usage error")
    eq(data_bytes(t), before, "nothing deleted")
    r = t.cli("cache", "rm", "model/nope/nope", C6)
    eq(r.rc, 0, "nothing to delete is not an error")
    eq(sorted(r.json["plan"]["missing"]), sorted(["model/nope/nope", C6]), "missing targets")
    r = t.cli("cache", "rm", "model/nope/nope", json_out=False)
    check("Could not find" in r.stdout and "Nothing to delete" in r.stdout, r.stdout)


# --------------------------------------------------------------------------- prune


def test_prune_detached_and_orphans(t):
    build_python_repo(t)
    build_js_repo(t)
    link(t, REPO_A, C6, "extra.bin", B4)  # detached; only it links B4
    t.start_daemon()
    # someone writes B3: its partial file is not an orphan
    lock_path = os.path.join(t.cache, ".locks", REPO_A, f"{B3}.lock")
    os.makedirs(os.path.dirname(lock_path), exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o664)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        before = data_bytes(t)
        r = t.cli("cache", "prune", "--dry-run")
        plan = r.json["plan"]
        eq(plan["repos"], [os.path.join(t.cache, REPO_JS)], "JS repo: all detached, whole")
        eq(plan["snapshots"], [os.path.join(t.cache, REPO_A, "snapshots", C6)], "C6")
        eq([os.path.basename(p) for p in plan["incomplete"]], [f"{B2}.0123abcd.incomplete"],
           "orphaned partial file")
        eq([os.path.basename(p) for p in plan["in-use"]], [f"{B3}.incomplete"],
           "partial file being written")
        eq(plan["freed-bytes"], 40 + 5000 + 33, "announced")
        r = t.cli("cache", "prune", "--yes")
        eq(r.rc, 0, f"prune exit ({r.stdout[-300:]})")
        eq(before - data_bytes(t), 40 + 5000 + 33, "freed = announced")
        check(os.path.exists(os.path.join(t.cache, REPO_A, "blobs", f"{B3}.incomplete")),
              "the locked partial file stays")
        check(os.path.exists(os.path.join(t.cache, REPO_A, "snapshots", C1)), "C1 (a ref) stays")
    finally:
        os.close(fd)
    r = t.cli("cache", "prune", "--dry-run", json_out=False)
    check("partial download" in r.stdout, f"the released partial file is now an orphan: "
                                          f"{r.stdout}")


# --------------------------------------------------------------------------- locks and downloads


def find_delete_job(t):
    for j in t.jobs():
        if j["kind"] == "cache-delete" and j["state"] not in harness.FINAL_STATES:
            return j
    return None


def run_in_thread(fn):
    out = {}

    def body():
        try:
            out["result"] = fn()
        except Exception as e:  # noqa: BLE001 - reported by the caller
            out["error"] = e
    th = threading.Thread(target=body, daemon=True)
    th.start()
    return th, out


def test_rm_waits_for_or_refuses_a_foreign_lock(t):
    build_python_repo(t, unreferenced=False)
    t.write_config({"daemon": {"max-running-jobs": 4}})
    t.start_daemon()
    lock_path = os.path.join(t.cache, ".locks", REPO_A, f"{B2}.lock")
    os.makedirs(os.path.dirname(lock_path), exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o664)
    fcntl.flock(fd, fcntl.LOCK_EX)  # what huggingface_hub holds while it writes B2
    released = False
    try:
        r = t.cli("cache", "rm", "model/org/a", "--yes")
        eq(r.rc, 1, "refused")
        eq(r.error_name, ERR + "Conflict", "error name")
        check(lock_path in r.error_message, f"the message names the lock: {r.error_message}")
        check(os.path.isdir(os.path.join(t.cache, REPO_A)), "nothing deleted")

        th, out = run_in_thread(lambda: t.cli("cache", "rm", "model/org/a", "--yes", "--wait",
                                              timeout=60))
        job = wait_for(lambda: (lambda j: j if j and "another program" in j["state_reason"]
                                else None)(find_delete_job(t)),
                       20, "the deletion job to wait for the lock")
        t.note(f"waiting: {job['state_reason']}")
        check(os.path.isdir(os.path.join(t.cache, REPO_A)), "nothing deleted while it waits")
        os.close(fd)
        released = True
        th.join(60)
        check("error" not in out, f"rm --wait raised {out.get('error')}")
        r = out["result"]
        eq(r.rc, 0, f"rm --wait exit ({r.stdout[-300:]})")
        eq(r.json["job"]["result"]["waited"], True, "the result says it waited")
        check(not os.path.exists(os.path.join(t.cache, REPO_A)), "deleted once released")
    finally:
        if not released:
            os.close(fd)


def test_rm_during_download_refuses_then_waits(t):
    rid = "org/busy"
    size = 8 * MiB
    desc = t.emu.seed({"id": rid, "files": {"config.json": '{"a": 1}\n',
                                            "big.safetensors": {"size": size, "seed": 5}}})
    sha = desc["files"]["big.safetensors"]["sha256"]
    t.write_config({"daemon": {"max-running-jobs": 4}})
    t.start_daemon()
    expect_succeeded(t.download(rid, "config.json"))
    # keeps the big download running for a while, then lets it finish
    t.emu.add_fault({"kind": "stall", "host": "cdn", "method": "GET", "path": "/repos/*",
                     "after_bytes": MiB, "seconds": 6, "times": 1})
    dl = harness.require_job(t.cli("download", rid, "big.safetensors", "--detach"))
    blobs = os.path.join(t.repo_dir(rid), "blobs")

    def partial():
        t.job_not_final(dl["id"])
        return [n for n in os.listdir(blobs) if n.endswith(".incomplete")] \
            if os.path.isdir(blobs) else None
    wait_for(partial, 20, "the big download to be under way")

    r = t.cli("cache", "rm", rid, "--yes")
    eq(r.rc, 1, f"refused while the download runs ({r.stdout[-300:]})")
    eq(r.error_name, ERR + "Conflict", "error name")
    check(f"job {dl['id']}" in r.error_message, f"names the download: {r.error_message}")
    check(os.path.isdir(t.repo_dir(rid)), "nothing deleted")

    th, out = run_in_thread(lambda: t.cli("cache", "rm", rid, "--yes", "--wait", timeout=90))
    job = wait_for(lambda: (lambda j: j if j and "waiting for download job" in j["state_reason"]
                            else None)(find_delete_job(t)),
                   20, "the deletion to wait for the download")
    t.note(f"waiting: {job['state_reason']}")
    th.join(90)
    check("error" not in out, f"rm --wait raised {out.get('error')}")
    r = out["result"]
    eq(r.rc, 0, f"rm --wait exit ({r.stdout[-400:]})")
    eq(r.json["job"]["result"]["waited"], True, "it waited")
    final = t.job(dl["id"])
    eq(final["state"], "succeeded", f"the download was not disturbed ({final.get('error')})")
    check(final["updated"] <= r.json["job"]["updated"], "the deletion finished after it")
    check(not os.path.exists(t.repo_dir(rid)), "deleted after the download")
    t.note(f"big file sha {sha[:12]}…")


# --------------------------------------------------------------------------- verify


def test_verify_flipped_byte_and_repair(t):
    rid = "org/verify"
    size = 3 * MiB + 5
    desc = t.emu.seed({"id": rid, "files": {"config.json": '{"a": 1}\n',
                                            "model.safetensors": {"size": size, "seed": 11}}})
    sha = desc["files"]["model.safetensors"]["sha256"]
    eq(sha, harness.gen_sha256(size, 11), "emulator's sha256 (sanity)")
    t.start_daemon()
    job = expect_succeeded(t.download(rid))
    commit = job["result"]["commit"]
    blob = os.path.join(t.repo_dir(rid), "blobs", sha)

    r = t.cli("cache", "verify", rid)
    eq(r.rc, 0, f"a clean cache verifies ({r.stdout[-300:]})")
    res = r.json["job"]["result"]
    eq((res["checked"], res["ok"], res["corrupted"]), (3, 3, 0),
       "config.json, .gitattributes and the weights checked")

    with open(blob, "r+b") as f:
        f.seek(1234567)
        b = f.read(1)
        f.seek(1234567)
        f.write(bytes([b[0] ^ 0x40]))
    r = t.cli("cache", "verify", rid)
    eq(r.rc, 1, "a damaged blob fails the verification")
    res = r.json["job"]["result"]
    eq(res["corrupted"], 1, "one damaged blob")
    p = res["problems"][0]
    eq((p["blob"], p["expected"], p["algorithm"]), (blob, sha, "sha256"), "the damaged blob")
    eq(p["files"], [f"{commit}/model.safetensors"], "where it is used")
    check(p["actual"] != sha, "the digest found differs")
    r = t.cli("cache", "verify", rid, json_out=False)
    check("expected" in r.stderr and sha in r.stderr, f"text report: {r.stderr}")

    t.emu.reset_counters()
    r = t.cli("cache", "verify", rid, "--repair", timeout=60)
    eq(r.rc, 0, f"repair exit ({r.stdout[-500:]})")
    eq(len(r.json["repair_jobs"]), 1, "one download job repairs it")
    rj = r.json["repair_jobs"][0]
    eq((rj["kind"], rj["state"], rj["revision"]), ("download", "succeeded", commit),
       "the repair download")
    eq(harness.sha256_file(blob), sha, "the blob is whole again")
    served = harness.cdn_paths(t.emu.counters())
    check(any(harness.gets(s) for s in served.values()), f"downloaded again: {served}")
    r = t.cli("cache", "verify")
    eq((r.rc, r.json["job"]["result"]["corrupted"]), (0, 0), "all clean afterwards")


# --------------------------------------------------------------------------- D-Bus


def test_dbus_contract(t):
    build_python_repo(t)
    t.start_daemon()
    iface = "io.github.hfhub.Hub1.Cache"
    rc, out, err = t.gdbus_call(harness.OBJ_PATH, iface + ".Scan",
                                "{'cache-dir': <'%s'>, 'files': <true>}" % t.cache)
    eq(rc, 0, f"Scan ({err.strip()})")
    check("'size-on-disk': <uint64 1110>" in out, f"repo size in the reply: {out[:400]}")
    check("'sub/dir/x.txt'" in out, "files listed with files=true")
    rc, out, err = t.gdbus_call(harness.OBJ_PATH, iface + ".Scan", "{'bogus': <1>}")
    check(rc != 0 and "InvalidArgument" in err, f"unknown option: {err.strip()}")
    rc, out, err = t.gdbus_call(harness.OBJ_PATH, iface + ".Scan", "{'cache-dir': <1>}")
    check(rc != 0 and "InvalidArgument" in err, f"mistyped option: {err.strip()}")
    rc, out, err = t.gdbus_call(harness.OBJ_PATH, iface + ".Scan", "{'cache-dir': <'rel'>}")
    check(rc != 0 and "InvalidArgument" in err, f"relative cache dir: {err.strip()}")
    rc, out, err = t.gdbus_call(harness.OBJ_PATH, iface + ".Delete", "@as []", "@a{sv} {}")
    check(rc != 0 and "InvalidArgument" in err, f"no target: {err.strip()}")
    rc, out, err = t.gdbus_call(harness.OBJ_PATH, iface + ".PlanDelete", f"['{C1}']",
                                "{'cache-dir': <'%s'>}" % t.cache)
    eq(rc, 0, f"PlanDelete ({err.strip()})")
    check("'freed-bytes': <uint64 100>" in out, f"plan: {out[:400]}")


if __name__ == "__main__":
    sys.exit(harness.main(globals(), emulator=True))
