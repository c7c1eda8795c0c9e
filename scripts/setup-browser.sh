#!/usr/bin/env bash
# The browser the dashboard's end-to-end tests drive (e2e/dashboard.test.ts): Debian's
# `chromium` package, driven by playwright-core (browser downloads are not used). A separate
# step from setup.sh, so only test runs that include the dashboard tests install it; quick
# when it is there. ACME_TS_CHROMIUM names another Chromium binary instead.
set -euo pipefail
chromium="${ACME_TS_CHROMIUM:-/usr/bin/chromium}"
[ -x "$chromium" ] && exit 0
if [ -n "${ACME_TS_CHROMIUM:-}" ]; then
  echo "ACME_TS_CHROMIUM=$chromium is not an executable" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "the dashboard tests need Chromium: sudo apt-get install -y chromium (or set ACME_TS_CHROMIUM)" >&2
  exit 1
fi
echo "[setup] installing chromium (for the dashboard's browser tests)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
