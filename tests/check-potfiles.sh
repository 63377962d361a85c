#!/usr/bin/env bash
# Every C file that marks strings for translation is listed in
# po/POTFILES.in, and every listed file exists. Prints TAP.
set -u
src="${HFHUB_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}"
cd "$src" || exit 1
listed=$(grep -v '^#' po/POTFILES.in | sed '/^$/d' | sort)
marked=$(grep -lE '(^|[^A-Za-z0-9_])N?_\("' client/*.c daemon/*.c dbus/*.c 2>/dev/null | sort)
n=0
fail=0
echo "1..2"
missing=$(comm -13 <(echo "$listed") <(echo "$marked"))
n=$((n + 1))
if [ -z "$missing" ]; then echo "ok $n - every file with _() is in po/POTFILES.in"
else echo "not ok $n - not in po/POTFILES.in: $(echo $missing)"; fail=1; fi
gone=""
for f in $listed; do [ -f "$f" ] || gone="$gone $f"; done
n=$((n + 1))
if [ -z "$gone" ]; then echo "ok $n - every file in po/POTFILES.in exists"
else echo "not ok $n - listed but missing:$gone"; fail=1; fi
exit $fail
