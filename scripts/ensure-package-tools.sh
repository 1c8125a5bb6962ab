#!/bin/sh
# Prerequisites of `npm run package` and of the package tests (test/package/*.container.test.ts), all from
# Debian's archive: dpkg-deb (dpkg), strip (binutils), lintian; for the arm64 package the cross compiler
# (g++-aarch64-linux-gnu, with its arm64 libraries that qemu-user runs the arm64 Node against) and
# qemu-user-static. As root, installs what is missing with apt-get; otherwise names it and stops.
set -eu
missing=""
command -v dpkg-deb >/dev/null 2>&1 || missing="$missing dpkg"
command -v strip >/dev/null 2>&1 || missing="$missing binutils"
command -v lintian >/dev/null 2>&1 || missing="$missing lintian"
command -v aarch64-linux-gnu-g++ >/dev/null 2>&1 || missing="$missing g++-aarch64-linux-gnu"
command -v qemu-aarch64-static >/dev/null 2>&1 || missing="$missing qemu-user-static"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  # shellcheck disable=SC2086
  sh "$(dirname "$0")/apt-get-install.sh" ensure-package-tools $missing
else
  echo "ensure-package-tools: packaging needs:$missing (as root: sh scripts/ensure-package-tools.sh)" >&2
  exit 1
fi
