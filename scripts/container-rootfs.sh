#!/bin/sh
# Builds (once) and caches the Debian rootfs the systemd container tests boot with systemd-nspawn:
# a debootstrap'ed Debian release with nut-server, nut-client and what the host's node binary
# needs, one cache per release (rootfs-<suite>). Tests never write into it: each one boots an
# overlay of it (test/helpers/container.ts). Run as root.
#
# Usage: scripts/container-rootfs.sh [ensure|path|check] [SUITE...]
#   ensure  build each rootfs unless the cached one carries the current stamp (default); several
#           suites are built side by side
#   path    print the rootfs directory of each suite
#   check   exit 0 when every named rootfs is current, 1 otherwise (no building)
# SUITE: bookworm (Debian 12: systemd 252, NUT 2.8.0; the default), bullseye (Debian 11: systemd
#        247, NUT 2.7.4) or trixie (Debian 13: systemd 257, NUT 2.8.1); "all" = the three.
#
# Environment:
#   NUTGUARD_ROOTFS_CACHE  the directory holding rootfs-<suite> (default /var/cache/nutguard)
#   NUTGUARD_ROOTFS_DIR    the bookworm rootfs directory (default $NUTGUARD_ROOTFS_CACHE/rootfs-bookworm)
#   DEBOOTSTRAP_MIRROR     mirror URL; default: the first Debian archive URI of this host's apt
#                          sources, else debootstrap's own default
#
# The stamp file (.nutguard-rootfs-stamp inside the rootfs) names the content version below; change
# ROOTFS_VERSION or the package list and every cache rebuilds on its next run.
set -eu

PACKAGES=systemd,systemd-sysv,dbus,procps,libstdc++6,nut-client,nut-server
CACHE=${NUTGUARD_ROOTFS_CACHE:-/var/cache/nutguard}
PROG=container-rootfs

# sets SUITE, ROOTFS_VERSION, ROOTFS and STAMP for one suite
use_suite() {
  case $1 in
    bullseye | bookworm | trixie) SUITE=$1 ;;
    *) die "unknown suite '$1' (bullseye, bookworm, trixie or all)" ;;
  esac
  ROOTFS_VERSION="3 $SUITE $PACKAGES"
  ROOTFS=$CACHE/rootfs-$SUITE
  [ "$SUITE" = bookworm ] && ROOTFS=${NUTGUARD_ROOTFS_DIR:-$ROOTFS}
  STAMP=$ROOTFS/.nutguard-rootfs-stamp
}

die() { echo "$PROG: $*" >&2; exit 1; }

is_current() { [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$ROOTFS_VERSION" ]; }

mirror() {
  case ${DEBOOTSTRAP_MIRROR:-} in
    "") cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
          sed -n -e 's/^[[:space:]]*deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\).*/\2/p' \
                 -e 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' |
          grep -E '^(https?|file)://.*/debian/?$' | head -n1 || true ;;
    *) echo "$DEBOOTSTRAP_MIRROR" ;;
  esac
}

build() {
  [ "$(id -u)" = 0 ] || die "building the container rootfs needs root"
  command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install debootstrap)"
  parent=$(dirname "$ROOTFS")
  mkdir -p "$parent"
  tmp=$ROOTFS.partial
  rm -rf "$tmp"
  m=$(mirror)
  echo "$PROG: debootstrap $SUITE -> $ROOTFS (${m:-debootstrap's default mirror})" >&2
  start=$(date +%s)
  # shellcheck disable=SC2086
  debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$tmp" $m >"$parent/debootstrap-$SUITE.log" 2>&1 ||
    { tail -n 30 "$parent/debootstrap-$SUITE.log" >&2; die "debootstrap failed (log: $parent/debootstrap-$SUITE.log)"; }
  # With --private-network "localhost" must not go to DNS (upsmon 2.8.0 spins on ENETUNREACH).
  printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$tmp/etc/hosts"
  echo nutguard-test >"$tmp/etc/hostname"
  : >"$tmp/etc/resolv.conf"
  # NUT stays off until a test configures it (Debian's default MODE=none), and apt caches go.
  rm -rf "$tmp/var/cache/apt/archives/"*.deb "$tmp/var/lib/apt/lists/"*
  echo "$ROOTFS_VERSION" >"$tmp/.nutguard-rootfs-stamp"
  # An older tree may be the lower layer of containers that are running now (another checkout's
  # tests): move it aside, and delete old trees only while no overlay mount names the path.
  [ -e "$ROOTFS" ] && mv "$ROOTFS" "$ROOTFS.old.$(date +%s).$$"
  mv "$tmp" "$ROOTFS"
  if ! grep -q "lowerdir=$ROOTFS[,: ]" /proc/mounts; then
    for old in "$ROOTFS".old.*; do [ -e "$old" ] && rm -rf "$old"; done
  fi
  echo "$PROG: built $ROOTFS in $(( $(date +%s) - start )) s ($(du -sm "$ROOTFS" | cut -f1) MB)" >&2
}

ensure() {
  is_current && return 0
  mkdir -p "$(dirname "$ROOTFS")"
  # one builder per suite at a time; whoever waited finds the stamp current afterwards
  (
    flock 9
    is_current || build
  ) 9>"$(dirname "$ROOTFS")/.rootfs-$SUITE.lock"
}

action=${1:-ensure}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- bookworm
[ "$*" = all ] && set -- bullseye bookworm trixie
case $action in path | check | ensure) ;; *) die "usage: $0 [ensure|path|check] [SUITE...]" ;; esac
if [ "$action" = ensure ] && [ $# -gt 1 ]; then
  # several suites: debootstrap is mostly waiting on downloads and dpkg, so build them side by side
  pids=
  for suite in "$@"; do
    (use_suite "$suite" && ensure) &
    pids="$pids $!"
  done
  failed=0
  for pid in $pids; do wait "$pid" || failed=1; done
  exit $failed
fi
for suite in "$@"; do
  use_suite "$suite"
  case $action in
    path) echo "$ROOTFS" ;;
    check) is_current || exit 1 ;;
    ensure) ensure ;;
  esac
done
