#!/bin/sh
# What `npm ci` needs besides Node: the unix-dgram dependency (sd_notify's datagram socket) is a C++
# addon that npm compiles with node-gyp at install time, which needs python3, make and a C++ compiler.
# A fresh Debian/Ubuntu with Node 20 (e.g. NodeSource's nodejs) has none of them.
# As root, installs the missing ones with apt-get; otherwise stops with a message naming them.
set -eu
missing=""
command -v python3 >/dev/null 2>&1 || missing="$missing python3"
command -v make >/dev/null 2>&1 || missing="$missing make"
command -v g++ >/dev/null 2>&1 || missing="$missing g++"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-build-tools: installing$missing (npm builds the unix-dgram addon)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
  exit 0
fi
cat >&2 <<MSG
ensure-build-tools: npm compiles the unix-dgram addon and needs:$missing
Install them (as root):  apt-get install$missing
MSG
exit 1
