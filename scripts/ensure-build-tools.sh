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
  # npm builds the unix-dgram addon
  # shellcheck disable=SC2086
  sh "$(dirname "$0")/apt-get-install.sh" ensure-build-tools $missing
  exit 0
fi
cat >&2 <<MSG
ensure-build-tools: npm compiles the unix-dgram addon and needs:$missing
Install them (as root):  apt-get install$missing
MSG
exit 1
