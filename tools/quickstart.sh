#!/usr/bin/env bash
# Sets hfhub up on Debian 12 and runs its main job: a real download through
# the daemon. From huggingface.co when it answers, else from the project's
# Hub emulator seeded with a small model repo. Everything it writes (cache,
# state, the daemon's socket) lives under one temporary folder, which it
# names at the end; your own ~/.cache/huggingface is not touched.
set -euo pipefail

SRC="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$SRC/_build"
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

say "installing Debian packages (only what is missing)"
bash "$SRC/tools/install-deps.sh"

say "building into $BUILD"
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" "$SRC" >/dev/null
meson compile -C "$BUILD" >/dev/null

DEMO="$(mktemp -d /tmp/hfhub-quickstart.XXXXXX)"
export XDG_RUNTIME_DIR="$DEMO/run" XDG_STATE_HOME="$DEMO/state" XDG_CONFIG_HOME="$DEMO/config"
export HF_HUB_CACHE="$DEMO/cache" HFHUBD="$BUILD/daemon/hfhubd" GSETTINGS_BACKEND=memory
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
# a private daemon for this demo, behind a socket in $DEMO
unset DBUS_SESSION_BUS_ADDRESS HF_ENDPOINT HF_HUB_OFFLINE
HFHUB="$BUILD/client/hfhub"

emu_pid=""
cleanup() {
  for pid in $(pgrep -f "$HFHUBD --peer" || true); do
    grep -qz "XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR" "/proc/$pid/environ" 2>/dev/null && kill "$pid" || true
  done
  [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null || true
}
trap cleanup EXIT

if curl -fsS -m 5 -o /dev/null https://huggingface.co/api/models/hf-internal-testing/tiny-random-bert 2>/dev/null; then
  REPO=hf-internal-testing/tiny-random-bert
  say "huggingface.co answers: downloading $REPO from it"
else
  say "huggingface.co is not reachable: using the Hub emulator (tests/hubemu) with a small model repo"
  cat >"$DEMO/seed.json" <<'JSON'
[{"type": "model", "id": "hfhub-demo/tiny-model",
  "files": {
    "README.md": {"text": "# tiny-model\nA small model repo served by hfhub's Hub emulator.\n"},
    "config.json": {"text": "{\"architectures\": [\"BertModel\"], \"hidden_size\": 32}\n"},
    "tokenizer.json": {"size": 200000, "seed": 1},
    "model.safetensors": {"size": 4000000, "seed": 2, "lfs": true}
  }}]
JSON
  python3 "$SRC/tests/hubemu/hubemu.py" --port 0 --cdn-host 127.0.0.2 --seed "$DEMO/seed.json" \
    >"$DEMO/hubemu.out" 2>"$DEMO/hubemu.err" &
  emu_pid=$!
  for _ in $(seq 1 100); do
    grep -q '^hubemu listening on ' "$DEMO/hubemu.out" 2>/dev/null && break
    kill -0 "$emu_pid" 2>/dev/null || { cat "$DEMO/hubemu.err" >&2; exit 1; }
    sleep 0.1
  done
  export HF_ENDPOINT="$(sed -n 's/^hubemu listening on //p' "$DEMO/hubemu.out")"
  REPO=hfhub-demo/tiny-model
  say "emulator at $HF_ENDPOINT"
fi

say "hfhub download $REPO (through hfhubd)"
"$HFHUB" download "$REPO"
say "the daemon and its jobs"
"$HFHUB" daemon status
"$HFHUB" jobs ls
say "done: the cache is $HF_HUB_CACHE (remove $DEMO when you no longer need it)"
