#!/usr/bin/env python3
"""Counts test cases from meson's testlog.json files and prints
"N passed, N failed[, N skipped]" as the last line.

Each TAP line is one case. For each failing case it also prints the TAP
diagnostics that follow it (and a crashed test's stderr tail), so that a
CI log says why without the testlog. A test binary that crashed, timed out or bailed
out counts the case that died plus every planned case that never ran; a
non-TAP test counts as one case. Usage: tap-summary.py RC LOG...
"""
import json
import os
import re
import sys

OK_RESULTS = ("OK", "EXPECTEDFAIL", "SKIP")


def count(test):
    out = test.get("stdout") or ""
    result = test.get("result", "ERROR")
    passed = failed = skipped = 0
    planned = None
    for line in out.splitlines():
        m = re.match(r"^\s*(not ok|ok)\b(.*)$", line)
        if m and not line.startswith(" "):
            directive = re.search(r"#\s*(SKIP|TODO)\b", m.group(2), re.I)
            if directive:
                skipped += 1
            elif m.group(1) == "ok":
                passed += 1
            else:
                failed += 1
            continue
        m = re.match(r"^1\.\.(\d+)", line)
        if m:
            planned = int(m.group(1))
    if planned is None and passed + failed + skipped == 0:
        if result in ("OK", "EXPECTEDFAIL"):
            return 1, 0, 0
        if result == "SKIP":
            return 0, 0, 1
        return 0, 1, 0
    if result not in OK_RESULTS and failed == 0:
        failed = max(1, (planned or 0) - passed - skipped)
    elif planned is not None and passed + failed + skipped < planned:
        failed += planned - (passed + failed + skipped)
    return passed, failed, skipped


def failures(test, limit=40):
    """The "not ok" lines of @test with the "#" lines after them."""
    shown = []
    keep = False
    for line in (test.get("stdout") or "").splitlines():
        if re.match(r"^not ok\b", line):
            keep = True
        elif re.match(r"^(ok\b|1\.\.)", line):
            keep = False
        if keep:
            shown.append(line)
    if not shown:
        shown = (test.get("stderr") or "").splitlines()[-limit:]
    if len(shown) > limit:
        shown = shown[:limit] + [f"... {len(shown) - limit} more lines in the testlog"]
    return shown


def main():
    rc = int(sys.argv[1])
    total = [0, 0, 0]
    for path in sys.argv[2:]:
        if not os.path.exists(path):
            print(f"  {path}: missing (the tests did not run)")
            total[1] += 1
            continue
        tag = os.path.basename(os.path.dirname(os.path.dirname(path)))
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.strip():
                    continue
                t = json.loads(line)
                p, fl, s = count(t)
                total = [total[0] + p, total[1] + fl, total[2] + s]
                print(f"  [{tag}] {t.get('name')}: {t.get('result')} "
                      f"({p} passed, {fl} failed, {s} skipped, {t.get('duration', 0):.1f}s)")
                if fl:
                    for shown in failures(t):
                        print(f"      {shown}")
    if rc != 0 and total[1] == 0:
        print(f"  meson test exited {rc} with no failing case: counted as 1 failure")
        total[1] = 1
    line = f"{total[0]} passed, {total[1]} failed"
    if total[2]:
        line += f", {total[2]} skipped"
    print(line)


if __name__ == "__main__":
    main()
