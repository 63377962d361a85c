#!/usr/bin/env bash
# Installs what hfhub needs to build, run and test on Debian 12, as root
# (or through sudo). Only missing packages are installed; safe to re-run.
set -euo pipefail

PKGS=(
  # build
  gcc pkg-config meson ninja-build gettext clang-format
  libglib2.0-dev libglib2.0-bin libsoup-3.0-dev libjson-glib-dev
  libsecret-1-dev libsqlite3-dev libgnutls28-dev
  # run and test
  glib-networking dbus-daemon dbus gnome-keyring libsecret-tools python3-dbusmock python3-dbus
  groff-base
  sqlite3 python3 curl git
)
command -v node >/dev/null 2>&1 || PKGS+=(nodejs npm)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

SUDO=()
[ "$(id -u)" -eq 0 ] || SUDO=(sudo)
APT=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y
     -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
echo "installing: ${missing[*]}" >&2
for try in 1 2 3; do
  if "${APT[@]}" update >&2 && "${APT[@]}" install --no-install-recommends "${missing[@]}" >&2; then
    exit 0
  fi
  echo "apt attempt $try failed" >&2
  sleep $((try * 5))
done
exit 1
