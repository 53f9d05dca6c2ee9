#!/bin/sh
# Chromium from Debian's packages for the browser tests (tests/browser/), installed only when
# missing: `apt-get install chromium` as root (CI and the developers' machines run as root).
# Playwright drives it through executable_path; Playwright's own browser download is never
# used (it cannot be fetched here, and Debian's build is the one that gets security updates).
set -eu
CHROMIUM=${SFR3_CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "chromium is missing and this is not root: run 'sudo apt-get install -y chromium'" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
test -x "$CHROMIUM"
