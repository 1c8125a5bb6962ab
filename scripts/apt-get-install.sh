#!/bin/sh
# Installs Debian packages for the ensure-*.sh scripts: apt-get-install.sh WHO PACKAGE... (as root).
set -eu
who=$1
shift
echo "$who: installing $*" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "$@" >/dev/null
