#!/usr/bin/env bash
# `make browser`: the consent page in headless Chromium (crates/local/tests/federation.rs, the
# ignored `browser` tests, which run scripts/browser-journeys.mjs): an account approves and denies,
# and a person signs in with an OpenID provider and approves, on both stores.
#
# Chromium is Debian's `chromium` (or $CHROMIUM): installed here as root with apt when missing;
# nothing downloads a browser.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
chromium=${CHROMIUM:-/usr/bin/chromium}
mac_chrome="/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"
if [ ! -x "$chromium" ] && [ "$(uname -s)" = Darwin ]; then
  # macOS: a Chrome or Chromium the person installed; nothing is installed here.
  for candidate in "/Applications/Chromium.app/Contents/MacOS/Chromium" "$mac_chrome"; do
    [ -x "$candidate" ] && chromium=$candidate && break
  done
  if [ ! -x "$chromium" ]; then
    echo "skipped: make browser: no Chromium or Chrome in /Applications (set CHROMIUM to one to run the browser journeys)"
    exit 0
  fi
fi
if [ ! -x "$chromium" ]; then
  mkdir -p target
  debian_install target/apt-chromium.log chromium ||
    { echo "browser: Chromium needed (Debian/Ubuntu: apt-get install chromium), or set CHROMIUM" >&2; exit 1; }
fi
echo "browser: $("$chromium" --version 2>/dev/null || echo "$chromium")"
export CHROMIUM=$chromium
log=target/browser.log
mkdir -p target
status=0
# No backtrace: a failure's message (each journey's line, the browser's stack traces) is the story.
RUST_BACKTRACE=0 cargo test -p remote-mcp-local --locked --test federation -- --ignored --nocapture \
  --test-threads 1 browser >"$log" 2>&1 || status=$?
journeys() { grep -E '^(browser |test |test result)' "$log" || true; }
journeys
if [ "$status" != 0 ]; then
  # The journeys' lines again, last, so that a view of the output's end shows what failed.
  { echo "browser: failed; the whole output is in $log"; tail -40 "$log"; echo "browser: the journeys:"; journeys; } >&2
  exit "$status"
fi
