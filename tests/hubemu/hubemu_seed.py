# SPDX-License-Identifier: LGPL-2.1-or-later
"""Seeding: create a repository with content in one call (POST /_emu/seed,
or --seed FILE.json at startup). See README.md for the format."""

import base64
import json

from hubemu_store import DEFAULT_GITATTRIBUTES, HubError, TYPE_PREFIX, matches_lfs


def _content(emu, path, spec):
    """-> (blob, explicit lfs flag or None). Content is produced outside locks."""
    blobs = emu.blobs
    if spec is None:
        return None, None
    if isinstance(spec, str):
        return blobs.put_bytes(spec.encode()), None
    if not isinstance(spec, dict):
        raise HubError(400, f"seed: file {path!r} must be a string or an object")
    lfs = spec.get("lfs")
    if "text" in spec:
        blob = blobs.put_bytes(spec["text"].encode())
    elif "base64" in spec:
        blob = blobs.put_bytes(base64.b64decode(spec["base64"]))
    elif "json" in spec:
        blob = blobs.put_bytes(json.dumps(spec["json"], indent=2).encode())
    elif "size" in spec:
        size = int(spec["size"])
        if size < 0:
            raise HubError(400, f"seed: negative size for {path!r}")
        blob = blobs.generate(size, int(spec.get("seed", 0)))
    elif "file" in spec:
        blob = blobs.put_file(spec["file"])
    else:
        raise HubError(400, f"seed: file {path!r} needs text, base64, json, size(+seed) or file")
    return blob, lfs


def _prepare(emu, files):
    return {path: _content(emu, path, spec) for path, spec in (files or {}).items()}


def _ops(emu, prepared, attrs_text):
    hub = emu.hub
    ops = []
    for path, (blob, lfs) in prepared.items():
        if blob is None:
            ops.append(("deletedFile", path, None, None))
            continue
        if lfs is None:
            lfs = blob.size >= hub.config["lfs_threshold"] or matches_lfs(attrs_text, path)
        ops.append(("entry", path, hub.entry_for_blob(blob, bool(lfs)), None))
    return ops


def _attrs(emu, prepared, commit):
    if ".gitattributes" in prepared and prepared[".gitattributes"][0] is not None:
        return emu.blobs.read(prepared[".gitattributes"][0]).decode("utf-8", "replace")
    text = emu.hub.read_text(commit, ".gitattributes") if commit else None
    return DEFAULT_GITATTRIBUTES if text is None else text


def _files_of(spec):
    """A branch/PR/commit spec is either {"files": {...}, "message": ...} or
    directly the files map."""
    if isinstance(spec, dict) and ("files" in spec or "message" in spec or "from" in spec):
        return spec.get("files") or {}, spec.get("message"), spec.get("from")
    return spec if isinstance(spec, dict) else {}, None, None


def seed_repo(emu, spec):
    hub = emu.hub
    if not isinstance(spec, dict) or "id" not in spec:
        raise HubError(400, "seed: a repo needs at least an 'id'")
    rtype = spec.get("type", "model")
    rid = spec["id"]
    author = spec.get("author") or rid.split("/")[0]

    # produce every blob first (may take seconds), then mutate under the lock
    main_files = _prepare(emu, spec.get("files"))
    extra_commits = [(_prepare(emu, f), msg) for f, msg, _ in
                     (_files_of(c) for c in spec.get("commits", []))]
    branches = {}
    for name, bspec in (spec.get("branches") or {}).items():
        files, msg, start = _files_of(bspec)
        branches[name] = (_prepare(emu, files), msg, start)
    prs = spec.get("prs") or []
    if spec.get("pr"):
        prs = [spec["pr"]] + list(prs)
    pr_specs = []
    for i, p in enumerate(prs):
        if p is True:
            p = {"files": {f"pr-{i + 1}.txt": f"pull request {i + 1}\n"}}
        files, msg, start = _files_of(p)
        pr_specs.append((_prepare(emu, files), msg, start))

    with hub.lock:
        if hub.get(rtype, rid) is not None:
            if spec.get("replace", True):
                hub.delete_repo(hub.get(rtype, rid))
            else:
                raise HubError(409, f"seed: {rtype} {rid} exists")
        repo = hub.create_repo(rtype, rid, author, private=spec.get("private", False),
                               gated=spec.get("gated", False),
                               sdk=spec.get("sdk", "gradio" if rtype == "space" else None))
        repo.disabled = bool(spec.get("disabled", False))
        repo.granted.update(spec.get("granted", []))
        repo.info.update(spec.get("info", {}))
        repo.likes = int(spec.get("likes", 0))
        repo.downloads = int(spec.get("downloads", 0))

        def commit(rev, prepared, message, create_pr=False, parent=None):
            base = repo.head(rev) if not create_pr else repo.commits[parent or repo.resolve(rev)]
            ops = _ops(emu, prepared, _attrs(emu, prepared, base))
            c, pr = hub.commit(repo, rev, author, message, "", ops,
                               parent_commit=parent if create_pr else None,
                               create_pr=create_pr)
            return c, pr

        if main_files:
            commit("main", main_files, spec.get("message", "Upload files"))
        for prepared, msg in extra_commits:
            commit("main", prepared, msg or "Update files")
        tags = spec.get("tags") or []
        if isinstance(tags, list):
            tags = {t: "main" for t in tags}
        # tags on existing revisions first (branches may start from them), the rest after
        for tag, rev in tags.items():
            if repo.resolve(rev) is not None:
                repo.tags[tag] = repo.resolve(rev)
        for name, (prepared, msg, start) in branches.items():
            start_oid = repo.resolve(start or "main")
            if start_oid is None:
                raise HubError(400, f"seed: unknown start {start!r} for branch {name}")
            repo.branches[name] = start_oid
            if prepared:
                commit(name, prepared, msg or f"Update {name}")
        for tag, rev in tags.items():
            oid = repo.resolve(rev)
            if oid is None:
                raise HubError(400, f"seed: unknown revision {rev!r} for tag {tag}")
            repo.tags[tag] = oid
        for prepared, msg, start in pr_specs:
            parent = repo.resolve(start or "main")
            commit("main", prepared, msg or "Pull request", create_pr=True, parent=parent)
        return describe(emu, repo)


def describe(emu, repo):
    refs = {}
    refs.update({name: oid for name, oid in repo.branches.items()})
    refs.update({name: oid for name, oid in repo.tags.items()})
    refs.update({f"refs/pr/{n}": oid for n, oid in repo.prs.items()})
    revisions = {}
    for rev, oid in refs.items():
        c = repo.commits[oid]
        revisions[rev] = {"sha": oid,
                          "files": {p: e.describe() for p, e in sorted(c.files.items())}}
    main = repo.head("main")
    return {
        "type": repo.type,
        "id": repo.id,
        "_id": repo._id,
        "url": f"{emu.main_url}/{TYPE_PREFIX[repo.type]}{repo.id}",
        "private": repo.private,
        "gated": repo.gated,
        "sha": main.oid,
        "refs": refs,
        "commits": [c.oid for c in repo.history(main.oid)],
        "files": revisions["main"]["files"],
        "revisions": revisions,
    }
