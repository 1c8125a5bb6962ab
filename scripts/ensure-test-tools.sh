#!/bin/sh
# What the HTTP surface's end-to-end tests need besides NUT (scripts/ensure-nut.sh):
# Debian's prometheus (the server a test scrapes nutguard with, and promtool: `check metrics`,
# `test rules`) and chromium (the headless browser the status page is tested in).
# As root, installs them with apt-get when missing; otherwise stops with a message naming them.
# The packages' services are not wanted: prometheus is only run by the tests, on a free loopback port.
set -eu
missing=""
pkgs=""
for pair in /usr/bin/prometheus:prometheus /usr/bin/promtool:prometheus /usr/bin/chromium:chromium; do
  f=${pair%%:*}
  p=${pair#*:}
  if [ ! -x "$f" ]; then
    missing="$missing $f"
    case " $pkgs " in *" $p "*) ;; *) pkgs="$pkgs $p" ;; esac
  fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-test-tools: installing$pkgs (missing:$missing)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  # shellcheck disable=SC2086
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $pkgs >/dev/null
  exit 0
fi
cat >&2 <<MSG
ensure-test-tools: the HTTP surface's tests need these and they are missing:$missing
Install them (as root):  apt-get install$pkgs
MSG
exit 1
