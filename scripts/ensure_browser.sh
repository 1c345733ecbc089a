#!/bin/sh
# Browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
# Install it when missing and we may; otherwise the browser tests skip and say why.
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk) >/dev/null 2>&1 \
    || echo "Could not install chromium; browser tests will be skipped." >&2
else
  echo "No /usr/bin/chromium and not root: browser tests will be skipped (apt-get install chromium)." >&2
fi
exit 0
