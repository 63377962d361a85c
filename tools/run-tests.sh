#!/usr/bin/env bash
# The test command of the README: builds hfhub, then runs every suite
# (unit, dbus, integration, emulator, peers) inside a private session bus
# with a real, unlocked gnome-keyring, in a throw-away HOME. Ends with
# "N passed, N failed". Knobs: HFHUB_SANITIZE=1 (also an ASan/UBSan build),
# HFHUB_BUILD_DIR (default _build), MESON_TEST_ARGS.
set -uo pipefail
exec </dev/null

SRC="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${HFHUB_BUILD_DIR:-$SRC/_build}"
BUILD_SAN="${BUILD}-san"
WORK="$(mktemp -d /tmp/hfhub-tests.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
T0=$(date +%s)
log() { printf '[tests %4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*" >&2; }
die() { log "FAILED: $*"; echo "0 passed, 1 failed"; exit 1; }

export LC_ALL=C.UTF-8 LANG=C.UTF-8
unset DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS DBUS_STARTER_ADDRESS \
      DBUS_STARTER_BUS_TYPE GNOME_KEYRING_CONTROL SSH_AUTH_SOCK HF_TOKEN \
      HF_ENDPOINT HF_HOME HF_HUB_CACHE HF_HUB_OFFLINE

setup() {  # dir, meson args...
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$SRC" "$@" >"$WORK/setup.log" 2>&1
  else
    meson setup "$dir" "$SRC" "$@" >"$WORK/setup.log" 2>&1
  fi || { cat "$WORK/setup.log" >&2; return 1; }
}
log "build ($BUILD)"
setup "$BUILD" --buildtype=debugoptimized -Dwerror=true || die "meson setup"
meson compile -C "$BUILD" >"$WORK/build.log" 2>&1 || { tail -n 60 "$WORK/build.log" >&2; die "build"; }
if [ "${HFHUB_SANITIZE:-0}" = 1 ]; then
  log "build with ASan+UBSan ($BUILD_SAN)"
  setup "$BUILD_SAN" --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true || die "meson setup (sanitize)"
  meson compile -C "$BUILD_SAN" >"$WORK/build-san.log" 2>&1 || { tail -n 60 "$WORK/build-san.log" >&2; die "build (sanitize)"; }
fi
if [ -f "$SRC/tests/peers/package-lock.json" ] && [ ! -d "$SRC/tests/peers/node_modules/@huggingface/hub" ]; then
  log "npm ci (tests/peers)"
  (cd "$SRC/tests/peers" && npm ci --no-audit --no-fund >"$WORK/npm.log" 2>&1) ||
    { tail -n 30 "$WORK/npm.log" >&2; die "npm ci"; }
fi

# Private HOME and XDG dirs, exported before dbus-run-session: services that
# the bus activates (gnome-keyring) inherit its environment.
export HOME="$WORK/home" XDG_RUNTIME_DIR="$WORK/run"
export XDG_DATA_HOME="$HOME/.local/share" XDG_CONFIG_HOME="$HOME/.config"
export XDG_CACHE_HOME="$HOME/.cache" XDG_STATE_HOME="$HOME/.local/state"
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_STATE_HOME"
chmod 700 "$HOME" "$XDG_RUNTIME_DIR"
export GSETTINGS_BACKEND=memory NO_AT_BRIDGE=1 GIO_USE_VFS=local
export WORK BUILD BUILD_SAN SRC

cat >"$WORK/in-session.sh" <<'INNER'
set -uo pipefail
# unlock first, before anything activates org.freedesktop.secrets without a
# login keyring; the password must not be empty or no keyring is created
printf '%s' "hfhub-test-keyring" |
  gnome-keyring-daemon --replace --unlock --components=secrets >"$WORK/keyring.out" 2>"$WORK/keyring.err"
gdbus wait --session --timeout 20 org.freedesktop.secrets || { cat "$WORK/keyring.err" >&2; exit 90; }
printf '%s' smoke | secret-tool store --label='hfhub smoke' hfhub-smoke 1 &&
  [ "$(secret-tool lookup hfhub-smoke 1)" = smoke ] && secret-tool clear hfhub-smoke 1 ||
  { cat "$WORK/keyring.err" >&2; exit 91; }
rc=0
# shellcheck disable=SC2086
meson test -C "$BUILD" --print-errorlogs --num-processes 2 ${MESON_TEST_ARGS:-} >&2 || rc=$?
if [ "${HFHUB_SANITIZE:-0}" = 1 ]; then
  ASAN_OPTIONS="fast_unwind_on_malloc=0:halt_on_error=1:abort_on_error=1" \
  UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1" \
  LSAN_OPTIONS="suppressions=$SRC/tests/lsan.supp:print_suppressions=0" \
  meson test -C "$BUILD_SAN" --print-errorlogs --num-processes 2 --timeout-multiplier 3 \
    --no-suite peers --no-suite emulator ${MESON_TEST_ARGS:-} >&2 || rc=$?
fi
exit $rc
INNER
log "tests: private session bus + unlocked gnome-keyring"
rc=0
timeout --kill-after=30 "${HFHUB_TEST_TIMEOUT:-3000}" dbus-run-session -- bash "$WORK/in-session.sh" || rc=$?
case $rc in 90|91) die "keyring setup";; 124|137) log "the test phase timed out";; esac

logs=("$BUILD/meson-logs/testlog.json")
[ "${HFHUB_SANITIZE:-0}" = 1 ] && logs+=("$BUILD_SAN/meson-logs/testlog.json")
summary=$(python3 "$SRC/tools/tap-summary.py" "$rc" "${logs[@]}") || summary="0 passed, 1 failed"
printf '%s\n' "$summary" | sed '$d' >&2
log "done in $(( $(date +%s) - T0 ))s"
closing=$(printf '%s\n' "$summary" | tail -n 1)
echo "$closing"
failed=$(awk '{print $3}' <<<"$closing")
passed=$(awk '{print $1}' <<<"$closing")
[ "$rc" -eq 0 ] && [ "$failed" = 0 ] && [ "${passed:-0}" -gt 0 ]
