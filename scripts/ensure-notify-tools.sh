#!/bin/sh
# What the notification-channel tests need besides npm packages: Debian's `apprise` command (the apprise
# channel runs it with argv, never through a shell; its test sends to a loopback json:// receiver).
# As root, installs it with apt-get; otherwise stops with a message naming it.
set -eu
command -v apprise >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-notify-tools: installing apprise (the apprise channel's tests run it)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends apprise >/dev/null 2>&1 || {
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends apprise >/dev/null
  }
  exit 0
fi
cat >&2 <<MSG
ensure-notify-tools: the apprise channel's tests need Debian's apprise command.
Install it (as root):  apt-get install apprise
MSG
exit 1
