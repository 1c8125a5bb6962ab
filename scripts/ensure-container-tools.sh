#!/bin/sh
# Prerequisites of the systemd container tests (test/**/*.container.test.ts): root, debootstrap,
# systemd-nspawn (systemd-container), nsenter and flock (util-linux), overlayfs. As root, installs the
# missing packages with apt-get; otherwise stops with a message naming what is needed.
set -eu
if [ "$(id -u)" != 0 ]; then
  cat >&2 <<MSG
ensure-container-tools: the container tests boot a real systemd with systemd-nspawn and need root.
Run 'npm test' as root (outside CI, NUTGUARD_SKIP_CONTAINER_TESTS=1 npm test skips them, out loud).
MSG
  exit 1
fi
missing=""
command -v debootstrap >/dev/null 2>&1 || missing="$missing debootstrap"
command -v systemd-nspawn >/dev/null 2>&1 || missing="$missing systemd-container"
command -v nsenter >/dev/null 2>&1 || missing="$missing util-linux"
command -v flock >/dev/null 2>&1 || missing="$missing util-linux"
if [ -n "$missing" ]; then
  if command -v apt-get >/dev/null 2>&1; then
    # shellcheck disable=SC2086
    sh "$(dirname "$0")/apt-get-install.sh" ensure-container-tools $missing
  else
    echo "ensure-container-tools: the container tests need:$missing (no apt-get here: install them)" >&2
    exit 1
  fi
fi
if ! grep -qw overlay /proc/filesystems && ! modprobe overlay 2>/dev/null; then
  echo "ensure-container-tools: the container tests need overlayfs (kernel module 'overlay')" >&2
  exit 1
fi
