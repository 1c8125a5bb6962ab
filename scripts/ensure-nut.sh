#!/bin/sh
# Make sure the real NUT binaries the interoperability tests run against are present:
# Debian's nut-server (upsd, dummy-ups) and nut-client (upsc, upscmd, upsrw, upslog, upsmon), plus the
# certificate tools the STARTTLS tests use: openssl, and NSS's certutil/pk12util (libnss3-tools), because
# Debian's upsd is built against NSS and reads its certificate from an NSS database.
# As root, installs them with apt-get when missing; otherwise stops with a message naming them.
set -eu
missing=""
for f in /lib/nut/upsd /lib/nut/dummy-ups /lib/nut/upsmon /usr/bin/upsc /usr/bin/upscmd /usr/bin/upsrw /usr/bin/upslog \
  /usr/bin/openssl /usr/bin/certutil /usr/bin/pk12util; do
  [ -x "$f" ] || missing="$missing $f"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-nut: installing nut-server nut-client openssl libnss3-tools (missing:$missing)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nut-server nut-client openssl libnss3-tools >/dev/null
  exit 0
fi
cat >&2 <<MSG
ensure-nut: the tests need real NUT and these are missing:$missing
Install them (as root):  apt-get install nut-server nut-client openssl libnss3-tools
MSG
exit 1
