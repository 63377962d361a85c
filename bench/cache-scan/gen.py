#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes a synthetic Hugging Face cache in huggingface_hub's symlinked layout:
REPOS repos × FILES files (defaults 1,000 × 100 = 100,000 files), each repo with
one snapshot, refs/main, blobs named by their SHA-256, a few bytes each.

Files sit at the root of the snapshot so that the JS client's scanCacheDir,
which does not descend into sub-folders, sees the same files as
huggingface_hub's scan_cache_dir (hub-protocol.md §15).

    gen.py DIR [--repos N] [--files N]

Reuses DIR when it already holds a cache of this shape (DIR.stamp.json says so).
"""

import argparse
import hashlib
import json
import os
import shutil
import sys


def generate(root, repos, files):
    os.makedirs(root)
    with open(os.path.join(root, "CACHEDIR.TAG"), "w") as f:
        f.write("Signature: 8a477f597d28d172789f06886806bc55\n")
    total = 0
    for r in range(repos):
        folder = f"models--bench--repo{r:05d}"
        commit = hashlib.sha1(folder.encode()).hexdigest()
        base = os.path.join(root, folder)
        blobs = os.path.join(base, "blobs")
        snap = os.path.join(base, "snapshots", commit)
        os.makedirs(blobs)
        os.makedirs(snap)
        os.makedirs(os.path.join(base, "refs"))
        with open(os.path.join(base, "refs", "main"), "w") as f:
            f.write(commit)
        for i in range(files):
            data = f"{folder}/{i}\n".encode() * (1 + (i % 7))
            sha = hashlib.sha256(data).hexdigest()
            fd = os.open(os.path.join(blobs, sha), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            os.write(fd, data)
            os.close(fd)
            os.symlink(f"../../blobs/{sha}", os.path.join(snap, f"file-{i:04d}.bin"))
            total += len(data)
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--repos", type=int, default=1000)
    ap.add_argument("--files", type=int, default=100)
    a = ap.parse_args()
    # next to the cache, not in it: both scanners would see it at the root
    stamp = os.path.normpath(a.dir) + ".stamp.json"
    want = {"repos": a.repos, "files": a.files, "version": 1}
    try:
        with open(stamp) as f:
            have = json.load(f)
        if {k: have.get(k) for k in want} == want:
            print(json.dumps(have))
            return 0
    except (OSError, ValueError):
        pass
    shutil.rmtree(a.dir, ignore_errors=True)
    total = generate(a.dir, a.repos, a.files)
    have = dict(want, bytes=total)
    with open(stamp + ".tmp", "w") as f:
        json.dump(have, f)
    os.rename(stamp + ".tmp", stamp)
    print(json.dumps(have))
    return 0


if __name__ == "__main__":
    sys.exit(main())
