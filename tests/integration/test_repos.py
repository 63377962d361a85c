#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration tests of repositories and Hub browsing (issue 9): `hfhub repo
…`, `hfhub models|datasets|spaces ls|info` and the Repos D-Bus interface of
the built hfhubd against the Hub emulator: every verb, named errors, search
pagination over several pages, answers kept for offline use, and tables that
fit the terminal without cutting a cell silently. TAP on stdout; see
harness.py."""

import csv
import io
import os
import re
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import ALICE_TOKEN, BOB_TOKEN, ERR, HEX40, check, eq  # noqa: E402

IFACE_REPOS = "io.github.hfhub.Hub1.Repos"

FILES = {
    "config.json": '{"a": 1}\n',
    "README.md": "---\nlicense: mit\n---\n# repo\n",
    "model.safetensors": {"size": 300000, "seed": 5, "lfs": True},
    "sub/dir/data.txt": "nested\n",
    "sub/other.bin": {"size": 1000, "seed": 3},
}


def seed(t, rid, files=None, **extra):
    spec = {"id": rid, "files": dict(FILES if files is None else files)}
    spec.update(extra)
    return t.emu.seed(spec)


def ok(r, what):
    """The JSON object of a command that must succeed."""
    if r.rc != 0 or not isinstance(r.json, dict) or "error" in r.json:
        raise harness.Failure(f"{what}: expected success, got exit {r.rc}: "
                              f"{r.stdout.strip()[:600]} {r.stderr.strip()[:600]}")
    return r.json


def fails(r, name, rc, what):
    eq(r.error_name, ERR + name, f"{what}: error name")
    eq(r.rc, rc, f"{what}: exit status")
    return r.error_message


def main_requests(t, path=None):
    """Requests the emulator's main host saw (to one path, or all)."""
    paths = harness.main_paths(t.emu.counters())
    if path is None:
        return sum(st.get("requests", 0) for st in paths.values())
    return (paths.get(path) or {}).get("requests", 0)


# --------------------------------------------------------------------------- create, delete


def test_create_409_with_and_without_exist_ok(t):
    t.start_daemon(token=ALICE_TOKEN)
    r = ok(t.cli("repo", "create", "acme/fresh"), "create")
    eq(r["created"], True, "created")
    eq(r["repo-id"], "acme/fresh", "repo-id")
    eq(r["url"], t.endpoint + "/acme/fresh", "url")
    info = ok(t.cli("repo", "info", "acme/fresh"), "info of the new repo")
    eq(info["id"], "acme/fresh", "the Hub has it")
    eq([s["path"] for s in info["siblings"]], [".gitattributes"], "the initial commit's files")

    msg = fails(t.cli("repo", "create", "acme/fresh"), "Conflict", 1, "second create")
    check("taken" in msg, f"the 409 should say the name is taken: {msg!r}")

    r = ok(t.cli("repo", "create", "acme/fresh", "--exist-ok"), "create --exist-ok")
    eq(r["created"], False, "created with --exist-ok on an existing repo")
    eq(r["url"], t.endpoint + "/acme/fresh", "url with --exist-ok")

    # in the user's own namespace, private, and the other types
    r = ok(t.cli("repo", "create", "mine", "--private"), "create in the user's namespace")
    eq(r["repo-id"], "alice/mine", "repo-id in alice's namespace")
    eq(ok(t.cli("repo", "info", "alice/mine"), "info")["private"], True, "private")
    ok(t.cli("repo", "create", "acme/data", "--repo-type", "dataset"), "create a dataset")
    eq(ok(t.cli("datasets", "info", "acme/data"), "dataset info")["id"], "acme/data", "dataset")
    ok(t.cli("repo", "create", "acme/app", "--repo-type", "space", "--space-sdk", "gradio"),
       "create a Space")
    eq(ok(t.cli("spaces", "info", "acme/app"), "space info").get("sdk"), "gradio", "the SDK")

    # checked locally: nothing reaches the Hub
    t.emu.reset_counters()
    fails(t.cli("repo", "create", "acme/app2", "--repo-type", "space"), "InvalidArgument", 2,
          "a Space without an SDK")
    fails(t.cli("repo", "create", "acme/m", "--space-sdk", "gradio"), "InvalidArgument", 2,
          "an SDK for a model")
    fails(t.cli("repo", "create", "acme/app3", "--repo-type", "space", "--space-sdk", "php"),
          "InvalidArgument", 2, "an unknown SDK")
    eq(main_requests(t, "/api/repos/create"), 0, "requests to create after local refusals")


def test_invalid_names_checked_locally(t):
    t.start_daemon(token=ALICE_TOKEN)
    t.emu.reset_counters()
    for bad, rule in (("acme/a..b", ".."), ("acme/a--b", "--"), ("acme/x.git", ".git"),
                      ("a/b/c", "namespace"), ("acme/" + "x" * 97, "96")):
        msg = fails(t.cli("repo", "create", bad), "InvalidArgument", 2, f"create {bad!r}")
        check(rule in msg or "Invalid repo id" in msg, f"{bad!r}: the rule should be named: "
              f"{msg!r}")
        fails(t.cli("repo", "info", bad), "InvalidArgument", 2, f"info {bad!r}")
    fails(t.cli("repo", "branch", "create", "acme/x", "bad..branch"), "InvalidArgument", 2,
          "a bad branch name")
    eq(main_requests(t), 0, "requests the emulator saw")
    # unknown and mistyped option keys, over D-Bus
    rc, _, err = t.gdbus_call(harness.OBJ_PATH, IFACE_REPOS + ".GetRepoInfo", "acme/x", "", "",
                              "{'bogus': <true>}")
    check(rc != 0 and "InvalidArgument" in err and "bogus" in err, f"unknown key: {err}")
    rc, _, err = t.gdbus_call(harness.OBJ_PATH, IFACE_REPOS + ".Search", "model",
                              "{'limit': <'ten'>}")
    check(rc != 0 and "InvalidArgument" in err and "limit" in err, f"mistyped key: {err}")
    rc, _, err = t.gdbus_call(harness.OBJ_PATH, IFACE_REPOS + ".Search", "model",
                              "{'limit': <uint32 5000>}")
    check(rc != 0 and "InvalidArgument" in err and "1000" in err, f"limit over the cap: {err}")


def test_delete(t):
    seed(t, "acme/doomed")
    t.start_daemon(token=ALICE_TOKEN)
    fails(t.cli("repo", "delete", "acme/doomed"), "InvalidArgument", 2,
          "delete without --yes and without a terminal")
    r = ok(t.cli("repo", "delete", "acme/doomed", "--yes"), "delete")
    eq(r["deleted"], True, "deleted")
    fails(t.cli("repo", "info", "acme/doomed"), "RepoNotFound", 4, "info after delete")
    fails(t.cli("repo", "delete", "acme/doomed", "-y"), "RepoNotFound", 4, "delete again")
    r = ok(t.cli("repo", "delete", "acme/doomed", "-y", "--missing-ok"), "delete --missing-ok")
    eq(r["deleted"], False, "deleted with --missing-ok on a missing repo")
    text = t.cli("repo", "delete", "acme/doomed", "-y", "--missing-ok", json_out=False)
    eq(text.rc, 0, "text mode exit")
    check("did not exist" in text.stdout, f"text output: {text.stdout!r}")


def test_forbidden_delete_with_read_token(t):
    seed(t, "acme/keep")
    seed(t, "bob/own")
    t.start_daemon(token=BOB_TOKEN)
    msg = fails(t.cli("repo", "delete", "acme/keep", "--yes"), "Forbidden", 1,
                "delete another's repo with a read token")
    check("read" in msg, f"the 403 should name the role of the token: {msg!r}")
    # even in its own namespace a read token cannot write
    msg = fails(t.cli("repo", "delete", "bob/own", "--yes"), "Forbidden", 1,
                "delete with a read token")
    check("role “read”" in msg, f"the role of the token: {msg!r}")
    msg = fails(t.cli("repo", "create", "bob/new"), "Forbidden", 1, "create with a read token")
    check("read" in msg, f"create: {msg!r}")
    eq(ok(t.cli("repo", "info", "acme/keep"), "info")["id"], "acme/keep", "still there")


def test_anonymous_write(t):
    seed(t, "acme/keep")
    t.start_daemon()
    fails(t.cli("repo", "delete", "acme/keep", "--yes"), "Unauthorized", 1,
          "delete without a token")


# --------------------------------------------------------------------------- settings, move


def test_settings(t):
    seed(t, "acme/s")
    t.start_daemon(token=ALICE_TOKEN)
    fails(t.cli("repo", "settings", "acme/s"), "InvalidArgument", 2, "nothing to change")
    fails(t.cli("repo", "settings", "acme/s", "--gated", "sometimes"), "InvalidArgument", 2,
          "bad gating")
    r = ok(t.cli("repo", "settings", "acme/s", "--private"), "settings --private")
    eq(r["private"], True, "answer: private")
    eq(ok(t.cli("repo", "info", "acme/s"), "info")["private"], True, "info: private")
    ok(t.cli("repo", "settings", "acme/s", "--gated", "auto", "--public"), "gated auto")
    info = ok(t.cli("repo", "info", "acme/s"), "info")
    eq((info["private"], info["gated"]), (False, "auto"), "public and gated")
    ok(t.cli("repo", "settings", "acme/s", "--gated", "false"), "gated false")
    eq(ok(t.cli("repo", "info", "acme/s"), "info")["gated"], "false", "not gated")


def test_move(t):
    seed(t, "acme/old")
    t.start_daemon(token=ALICE_TOKEN)
    r = ok(t.cli("repo", "move", "acme/old", "alice/new"), "move")
    eq((r["from"], r["to"]), ("acme/old", "alice/new"), "moved")
    eq(r["url"], t.endpoint + "/alice/new", "url")
    eq(ok(t.cli("repo", "info", "alice/new"), "info")["id"], "alice/new", "new name")
    fails(t.cli("repo", "move", "acme/old", "acme/../x"), "InvalidArgument", 2, "bad target")


# --------------------------------------------------------------------------- branches, tags


def test_branches_and_tags(t):
    desc = seed(t, "acme/refs", branches={"exp": {"x.txt": "x"}}, tags=["v1"])
    main = desc["refs"]["main"]
    t.start_daemon(token=ALICE_TOKEN)

    r = ok(t.cli("repo", "branch", "create", "acme/refs", "dev"), "branch create")
    eq(r["created"], True, "created")
    msg = fails(t.cli("repo", "branch", "create", "acme/refs", "dev"), "Conflict", 1,
                "branch exists")
    check("dev" in msg, f"message names the branch: {msg!r}")
    eq(ok(t.cli("repo", "branch", "create", "acme/refs", "dev", "--exist-ok"),
          "--exist-ok")["created"], False, "created with --exist-ok")
    ok(t.cli("repo", "branch", "create", "acme/refs", "from-exp", "--revision", "exp"),
       "branch from a revision")
    branches = {b["name"]: b["target-commit"]
                for b in ok(t.cli("repo", "branch", "list", "acme/refs"), "list")["branches"]}
    eq(sorted(branches), ["dev", "exp", "from-exp", "main"], "branches")
    eq(branches["dev"], main, "dev starts at main")
    eq(branches["from-exp"], desc["refs"]["exp"], "from-exp starts at exp")

    r = ok(t.cli("repo", "tag", "create", "acme/refs", "v2", "--revision", "exp", "-m", "two"),
           "tag create")
    eq(r["created"], True, "tag created")
    fails(t.cli("repo", "tag", "create", "acme/refs", "v2"), "Conflict", 1, "tag exists")
    eq(ok(t.cli("repo", "tag", "create", "acme/refs", "v2", "--exist-ok"),
          "tag --exist-ok")["created"], False, "tag created with --exist-ok")
    tags = ok(t.cli("repo", "tag", "list", "acme/refs"), "tag list")["tags"]
    eq({x["name"]: x["target-commit"] for x in tags}, {"v1": main, "v2": desc["refs"]["exp"]},
       "tags and their commits")
    eq(tags[0]["ref"], "refs/tags/v1", "ref")

    # text tables and CSV
    text = t.cli("repo", "tag", "list", "acme/refs", json_out=False)
    eq(text.rc, 0, "tag list text")
    check("v2" in text.stdout and desc["refs"]["exp"] in text.stdout, text.stdout)
    rows = list(csv.reader(io.StringIO(t.cli("repo", "tag", "list", "acme/refs", "--format",
                                             "csv", json_out=False).stdout)))
    eq(rows[0], ["name", "target_commit", "ref"], "CSV header")
    eq(sorted(r[0] for r in rows[1:]), ["v1", "v2"], "CSV rows")
    eq(t.cli("repo", "tag", "list", "acme/refs", "-q", json_out=False).stdout.split(),
       ["v1", "v2"], "-q")

    fails(t.cli("repo", "tag", "delete", "acme/refs", "v2"), "InvalidArgument", 2,
          "tag delete without --yes")
    eq(ok(t.cli("repo", "tag", "delete", "acme/refs", "v2", "-y"), "tag delete")["deleted"],
       True, "tag deleted")
    fails(t.cli("repo", "tag", "delete", "acme/refs", "v2", "-y"), "RevisionNotFound", 4,
          "delete a missing tag")
    eq([x["name"] for x in ok(t.cli("repo", "tag", "list", "acme/refs"), "list")["tags"]],
       ["v1"], "tags after delete")

    ok(t.cli("repo", "branch", "delete", "acme/refs", "dev"), "branch delete")
    fails(t.cli("repo", "branch", "delete", "acme/refs", "dev"), "RevisionNotFound", 4,
          "delete a missing branch")
    fails(t.cli("repo", "branch", "delete", "acme/refs", "main"), "Forbidden", 1,
          "delete the default branch")
    eq(sorted(b["name"] for b in ok(t.cli("repo", "branch", "list", "acme/refs"),
                                    "list")["branches"]), ["exp", "from-exp", "main"],
       "branches after delete")


# --------------------------------------------------------------------------- info, files, commits


def test_info_at_revisions(t):
    desc = seed(t, "acme/info", info={"cardData": {"license": "mit", "language": ["en", "fr"]},
                                      "pipeline_tag": "text-generation",
                                      "library_name": "transformers", "tags": ["t1"]},
                branches={"dev": {"dev.txt": "d"}}, tags=["v1"], downloads=12, likes=3)
    t.start_daemon()
    info = ok(t.cli("models", "info", "acme/info"), "models info")
    eq(info["sha"], desc["sha"], "sha of main")
    eq(info["revision"], "main", "revision")
    eq(info["private"], False, "private")
    eq(info["gated"], "false", "gated")
    eq((info["downloads"], info["likes"]), (12, 3), "downloads and likes")
    eq((info["pipeline-tag"], info["library-name"], info["tags"]),
       ("text-generation", "transformers", ["t1"]), "pipeline, library, tags")
    eq(info["card-data"], {"license": "mit", "language": ["en", "fr"]}, "card data")
    check(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", info["last-modified"]),
          f"last-modified {info['last-modified']!r}")
    eq(info["stale"], False, "stale")
    eq(info["cached"], False, "cached")
    sib = {s["path"]: s for s in info["siblings"]}
    eq(sorted(sib), sorted(desc["files"]), "siblings")
    for path, f in desc["files"].items():
        eq(sib[path]["size"], f["size"], f"size of {path}")
        eq(sib[path]["blob-id"], f["oid"], f"blob id of {path}")
        if f["lfs"]:
            eq(sib[path]["lfs-sha256"], f["sha256"], f"LFS sha256 of {path}")
            eq(sib[path]["lfs-size"], f["size"], f"LFS size of {path}")
            eq(sib[path]["lfs-pointer-size"], f["pointer_size"], f"pointer size of {path}")
        else:
            check("lfs-sha256" not in sib[path], f"{path} is not LFS")

    dev = ok(t.cli("repo", "info", "acme/info", "--revision", "dev"), "info at dev")
    eq(dev["sha"], desc["refs"]["dev"], "sha of dev")
    check("dev.txt" in [s["path"] for s in dev["siblings"]], "dev's files")
    eq(ok(t.cli("repo", "info", "acme/info", "--revision", "v1"), "at v1")["sha"],
       desc["refs"]["v1"], "sha of v1")
    fails(t.cli("repo", "info", "acme/info", "--revision", "nope"), "RevisionNotFound", 4,
          "missing revision")
    fails(t.cli("repo", "info", "acme/none"), "RepoNotFound", 4, "missing repo")

    text = t.cli("models", "info", "acme/info", json_out=False)
    eq(text.rc, 0, "text info")
    for needle in (desc["sha"], "model.safetensors", "text-generation", "license"):
        check(needle in text.stdout, f"{needle!r} in the text info:\n{text.stdout}")


def test_files(t):
    desc = seed(t, "acme/files", branches={"dev": {"dev.txt": "d"}})
    t.start_daemon()
    top = ok(t.cli("repo", "files", "acme/files"), "files")
    eq(top["commit"], desc["sha"], "commit of the listing")
    eq({e["path"]: e["type"] for e in top["entries"]},
       {".gitattributes": "file", "README.md": "file", "config.json": "file",
        "model.safetensors": "file", "sub": "directory"}, "top level")
    rec = ok(t.cli("repo", "files", "acme/files", "-R"), "files -R")
    files = {e["path"]: e for e in rec["entries"] if e["type"] == "file"}
    eq(sorted(files), sorted(desc["files"]), "every file, recursively")
    check({"sub", "sub/dir"} <= {e["path"] for e in rec["entries"]
                                 if e["type"] == "directory"}, "folders")
    for path, f in desc["files"].items():
        eq(files[path]["size"], f["size"], f"size of {path}")
        eq(files[path]["oid"], f["oid"], f"oid of {path}")
        check(HEX40.match(files[path]["oid"]), "oid is 40 hex")
        if f["lfs"]:
            eq(files[path]["lfs-sha256"], f["sha256"], f"LFS sha256 of {path}")
    sub = ok(t.cli("repo", "files", "acme/files", "--path", "sub"), "files --path")
    eq(sorted(e["path"] for e in sub["entries"]), ["sub/dir", "sub/other.bin"], "a folder")
    dev = ok(t.cli("repo", "files", "acme/files", "--revision", "dev", "-R"), "at dev")
    eq(dev["commit"], desc["refs"]["dev"], "dev's commit")
    check("dev.txt" in [e["path"] for e in dev["entries"]], "dev's file")
    # hf's grammar: models ls REPO [-R]
    eq(ok(t.cli("models", "ls", "acme/files", "-R"), "models ls REPO -R")["entries"],
       rec["entries"], "models ls REPO -R is the same listing")
    q = t.cli("repo", "files", "acme/files", "-R", "-q", json_out=False).stdout.split("\n")
    check("sub/dir/data.txt" in q and "sub/" in q, f"-q: {q}")
    rows = list(csv.DictReader(io.StringIO(
        t.cli("repo", "files", "acme/files", "-R", "--format", "csv", json_out=False).stdout)))
    by_path = {r["path"]: r for r in rows}
    eq(int(by_path["model.safetensors"]["size"]), desc["files"]["model.safetensors"]["size"],
       "CSV carries exact sizes")
    eq(by_path["model.safetensors"]["lfs_sha256"],
       desc["files"]["model.safetensors"]["sha256"], "CSV LFS sha256")
    fails(t.cli("repo", "files", "acme/files", "--path", "../x"), "InvalidArgument", 2,
          "a path that escapes")
    fails(t.cli("repo", "files", "acme/files", "--path", "nope"), "EntryNotFound", 4,
          "a missing folder")


def test_commits_paginated(t):
    commits = [{"message": f"Change {i}", "files": {f"f{i}.txt": str(i)}} for i in range(5)]
    desc = seed(t, "acme/hist", commits=commits)
    history = desc["commits"]  # newest first
    check(len(history) == 7, f"seeded history {len(history)}")
    t.start_daemon()
    r = ok(t.cli("repo", "commits", "acme/hist"), "commits")
    eq([c["id"] for c in r["commits"]], history, "every commit, newest first")
    eq(r["total"], 7, "total")
    eq(r["more"], False, "more")
    eq(r["commits"][0]["title"], "Change 4", "title of the newest")
    eq(r["commits"][-1]["authors"], ["system"], "the initial commit's author")

    t.emu.set_config({"commits_page_size": 2})
    t.emu.reset_counters()
    r = ok(t.cli("repo", "commits", "acme/hist", "--limit", "5"), "commits --limit 5")
    eq([c["id"] for c in r["commits"]], history[:5], "five, across pages")
    eq(r["more"], True, "more")
    eq(main_requests(t, "/api/models/acme/hist/commits/main"), 3, "pages fetched")
    text = t.cli("repo", "commits", "acme/hist", json_out=False)
    eq(text.rc, 0, "text")
    check(history[0] in text.stdout and "Change 4" in text.stdout, text.stdout)


# --------------------------------------------------------------------------- search


def seed_many(t, n=7, prefix="acme/m", **extra):
    out = []
    for i in range(n):
        out.append(t.emu.seed({"id": f"{prefix}{i}", "files": {"a.txt": str(i)},
                               "downloads": 100 * (i + 1), "likes": i,
                               "info": {"tags": ["even" if i % 2 == 0 else "odd"],
                                        "pipeline_tag": "text-generation"}, **extra}))
    return out


def test_search_pagination(t):
    seed_many(t)
    t.emu.seed({"id": "other/zzz", "files": {"a.txt": "z"}})
    t.emu.set_config({"search_page_size": 2})
    t.start_daemon()

    t.emu.reset_counters()
    r = ok(t.cli("models", "ls", "--author", "acme", "--limit", "5"), "ls --limit 5")
    eq(len(r["repos"]), 5, "five results")
    eq(r["more"], True, "more")
    eq(main_requests(t, "/api/models"), 3, "pages followed")

    t.emu.reset_counters()
    r = ok(t.cli("models", "ls", "--author", "acme", "--limit", "100"), "ls all")
    eq(sorted(x["id"] for x in r["repos"]), [f"acme/m{i}" for i in range(7)], "every result")
    eq(r["more"], False, "more")
    eq(main_requests(t, "/api/models"), 4, "pages followed to the end")

    r = ok(t.cli("models", "ls", "--author", "acme", "--sort", "downloads", "--limit", "3"),
           "sorted")
    eq([x["id"] for x in r["repos"]], ["acme/m6", "acme/m5", "acme/m4"], "most downloads first")
    eq([x["downloads"] for x in r["repos"]], [700, 600, 500], "downloads")
    r = ok(t.cli("models", "ls", "--author", "acme", "--sort", "downloads", "--ascending",
                 "--limit", "2"), "ascending")
    eq([x["id"] for x in r["repos"]], ["acme/m0", "acme/m1"], "fewest downloads first")
    r = ok(t.cli("models", "ls", "--search", "m3"), "search")
    eq([x["id"] for x in r["repos"]], ["acme/m3"], "search by text")
    r = ok(t.cli("models", "ls", "--author", "acme", "--filter", "odd", "--limit", "50"),
           "filter")
    eq(sorted(x["id"] for x in r["repos"]), ["acme/m1", "acme/m3", "acme/m5"], "filter by tag")
    eq(ok(t.cli("models", "ls", "--author", "nobody"), "none")["repos"], [], "no results")
    q = t.cli("models", "ls", "--author", "acme", "-q", json_out=False)
    eq(sorted(q.stdout.split()), [f"acme/m{i}" for i in range(7)], "-q prints ids")
    rows = list(csv.DictReader(io.StringIO(
        t.cli("models", "ls", "--author", "acme", "--format", "csv", json_out=False).stdout)))
    eq(len(rows), 7, "CSV rows")
    check({"id", "downloads", "likes"} <= set(rows[0]), f"CSV columns {list(rows[0])}")
    fails(t.cli("models", "ls", "--limit", "0"), "InvalidArgument", 2, "limit 0")


def test_search_datasets_and_spaces(t):
    t.emu.seed({"type": "dataset", "id": "acme/d1", "files": {"a.csv": "a,b\n"}})
    t.emu.seed({"type": "space", "id": "acme/s1", "files": {"app.py": "print()\n"},
                "sdk": "gradio"})
    t.emu.seed({"id": "acme/model", "files": {"a.txt": "a"}})
    t.start_daemon()
    eq([x["id"] for x in ok(t.cli("datasets", "ls", "--author", "acme"), "datasets")["repos"]],
       ["acme/d1"], "datasets")
    spaces = ok(t.cli("spaces", "ls", "--author", "acme"), "spaces")["repos"]
    eq([x["id"] for x in spaces], ["acme/s1"], "spaces")
    eq(spaces[0].get("sdk"), "gradio", "the SDK of a Space")
    eq([e["path"] for e in ok(t.cli("datasets", "ls", "acme/d1"), "files")["entries"]],
       [".gitattributes", "a.csv"], "datasets ls REPO lists its files")


# --------------------------------------------------------------------------- offline


def test_offline_answers(t):
    desc = seed(t, "acme/off", tags=["v1"])
    t.start_daemon()
    online = {
        "info": ok(t.cli("repo", "info", "acme/off"), "info"),
        "files": ok(t.cli("repo", "files", "acme/off", "-R"), "files"),
        "refs": ok(t.cli("repo", "tag", "list", "acme/off"), "refs"),
    }
    for name, r in online.items():
        eq((r["stale"], r["cached"], r["age"]), (False, False, 0), f"{name}: fresh")
    time.sleep(1.1)  # so that the age shows

    t.emu.reset_counters()
    off = {"HF_HUB_OFFLINE": "1"}
    answers = {
        "info": ok(t.cli("repo", "info", "acme/off", env=off), "info offline"),
        "files": ok(t.cli("repo", "files", "acme/off", "-R", env=off), "files offline"),
        "refs": ok(t.cli("repo", "tag", "list", "acme/off", env=off), "refs offline"),
    }
    eq(main_requests(t), 0, "requests while offline")
    for name, r in answers.items():
        eq((r["stale"], r["cached"], r["stale-reason"]), (True, True, "offline"),
           f"{name}: marked stale")
        check(r["age"] >= 1, f"{name}: age {r['age']}")
        eq(r["fetched"], online[name]["fetched"], f"{name}: when it was fetched")
    eq(answers["info"]["sha"], desc["sha"], "the kept info")
    eq(answers["files"]["entries"], online["files"]["entries"], "the kept listing")
    eq(answers["refs"]["tags"], online["refs"]["tags"], "the kept refs")
    text = t.cli("repo", "info", "acme/off", env=off, json_out=False)
    eq(text.rc, 0, "text")
    check("Offline" in text.stderr and "ago" in text.stderr, f"text says so: {text.stderr!r}")

    # a request never answered before fails clearly
    msg = fails(t.cli("repo", "info", "acme/never", env=off), "Offline", 1, "never seen")
    check("never fetched" in msg and "acme/never" in msg, f"message: {msg!r}")
    fails(t.cli("repo", "files", "acme/off", env=off), "Offline", 1,
          "another request (not recursive) never made")
    fails(t.cli("repo", "info", "acme/off", "--revision", "v1", env=off), "Offline", 1,
          "another revision")
    # calls that need the Hub refuse
    fails(t.cli("models", "ls", env=off), "Offline", 1, "search offline")
    fails(t.cli("repo", "create", "acme/new", env=off), "Offline", 1, "create offline")
    eq(main_requests(t), 0, "requests while offline")


def test_unreachable_hub(t):
    seed(t, "acme/flaky")
    t.start_daemon()
    fresh = ok(t.cli("repo", "info", "acme/flaky"), "info")
    ok(t.cli("repo", "files", "acme/flaky"), "files")
    # every connection to the API is cut
    t.emu.add_fault({"kind": "reset", "host": "main", "path": "/api/*", "times": "forever"})
    r = ok(t.cli("repo", "info", "acme/flaky"), "info with the Hub unreachable")
    eq((r["stale"], r["cached"], r["stale-reason"]), (True, True, "unreachable"), "marked")
    eq(r["sha"], fresh["sha"], "the kept answer")
    check(r.get("hub-error"), "says why")
    eq(ok(t.cli("repo", "files", "acme/flaky"), "files")["stale"], True, "files stale")
    fails(t.cli("repo", "info", "acme/other"), "Network", 1, "never seen and unreachable")
    t.emu.clear_faults()
    eq(ok(t.cli("repo", "info", "acme/flaky"), "info again")["stale"], False, "fresh again")


def test_pinned_commit_without_network(t):
    desc = seed(t, "acme/pin")
    t.start_daemon()
    ok(t.cli("repo", "info", "acme/pin"), "info at main")
    ok(t.cli("repo", "files", "acme/pin", "-R"), "files at main")
    t.emu.reset_counters()
    r = ok(t.cli("repo", "info", "acme/pin", "--revision", desc["sha"]), "info at the commit")
    eq((r["cached"], r["stale"]), (True, False), "from the store, not stale")
    eq(r["sha"], desc["sha"], "sha")
    r = ok(t.cli("repo", "files", "acme/pin", "-R", "--revision", desc["sha"]),
           "files at the commit")
    eq((r["cached"], r["stale"], r["commit"]), (True, False, desc["sha"]), "files kept")
    eq(main_requests(t), 0, "requests for a pinned commit")
    # a commit never seen is asked of the Hub, then kept
    old = desc["commits"][-1]
    r = ok(t.cli("repo", "info", "acme/pin", "--revision", old), "an older commit")
    eq((r["cached"], r["sha"]), (False, old), "fetched")
    check(main_requests(t) > 0, "the Hub was asked")


def test_deleted_repo_forgets_answers(t):
    seed(t, "acme/gone")
    t.start_daemon(token=ALICE_TOKEN)
    ok(t.cli("repo", "info", "acme/gone"), "info")
    ok(t.cli("repo", "delete", "acme/gone", "-y"), "delete")
    fails(t.cli("repo", "info", "acme/gone", env={"HF_HUB_OFFLINE": "1"}), "Offline", 1,
          "no offline answer for a deleted repo")


# --------------------------------------------------------------------------- tables


LONG = "acme/an-unusually-long-model-name-that-needs-room-{}"


def parse_note(stderr):
    m = re.search(r"Not shown for lack of width: ([^.]*)\.", stderr)
    return [h.strip() for h in m.group(1).split(",")] if m else []


def test_models_ls_fits_60_100_200_columns(t):
    for i in range(4):
        t.emu.seed({"id": LONG.format(i), "files": {"a.txt": "a"}, "downloads": 123456 * (i + 1),
                    "likes": 1000 + i, "info": {"pipeline_tag": "automatic-speech-recognition",
                                                "library_name": "sentence-transformers"}})
    t.start_daemon()
    data = ok(t.cli("models", "ls", "--author", "acme"), "json")["repos"]
    by_id = {x["id"]: x for x in data}
    # the columns with a value (the Hub lists no dates unless asked)
    headers = ["ID", "DOWNLOADS", "LIKES", "PIPELINE", "LIBRARY"]
    cells = {"DOWNLOADS": "downloads", "LIKES": "likes", "PIPELINE": "pipeline-tag",
             "LIBRARY": "library-name"}
    for width in (60, 100, 200):
        r = t.cli("models", "ls", "--author", "acme", env={"COLUMNS": width}, json_out=False)
        eq(r.rc, 0, f"exit at {width}")
        lines = r.stdout.rstrip("\n").split("\n")
        hidden = parse_note(r.stderr)
        shown = lines[0].split()
        t.note(f"width {width}: shown {shown}, hidden {hidden}")
        # every column is shown or said to be hidden; ID never goes
        eq(sorted(shown + hidden), sorted(headers), f"{width}: shown + hidden columns")
        check("ID" in shown, f"{width}: the ID column stays")
        for line in lines:
            check(harness_width(line) <= width, f"{width}: line wider than the terminal: "
                                                f"{line!r}")
        # each row on one line, each shown cell whole in it
        eq(len(lines), 1 + len(data), f"{width}: one line per model")
        for line in lines[1:]:
            rid = line.split()[0]
            check(rid in by_id, f"{width}: the id {rid!r} is whole")
            for h in shown:
                if h in cells:
                    check(str(by_id[rid][cells[h]]) in line,
                          f"{width}: {h} of {rid} ({by_id[rid][cells[h]]}) in {line!r}")
        if width == 200:
            eq(hidden, [], "nothing hidden at 200 columns")
        if width == 60:
            check(hidden, "something must be hidden at 60 columns, and said so")
    # --no-truncate: every column, whatever the width
    r = t.cli("models", "ls", "--author", "acme", "--no-truncate", env={"COLUMNS": 60},
              json_out=False)
    eq(r.stdout.split("\n")[0].split(), headers, "--no-truncate shows every column")
    eq(parse_note(r.stderr), [], "no note with --no-truncate")
    eq(len(r.stdout.rstrip("\n").split("\n")), 1 + len(by_id),
       f"--no-truncate wraps no cell either: {r.stdout!r}")
    # a width narrower than the id: wrapped, never cut
    r = t.cli("models", "ls", "--author", "acme", env={"COLUMNS": 30}, json_out=False)
    flat = "".join(r.stdout.split())
    for rid in by_id:
        check(rid in flat, f"{rid} wrapped whole at 30 columns: {r.stdout!r}")


def harness_width(line):
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


if __name__ == "__main__":
    sys.exit(harness.main(globals(), emulator=True))
