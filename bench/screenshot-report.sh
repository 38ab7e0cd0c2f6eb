#!/usr/bin/env bash
# Render `shardloom stats --html` of the sample run in Debian's headless Chromium and save a screenshot.
#   bash bench/screenshot-report.sh [OUT.png]     (needs: apt-get install chromium; npm run sample first)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/img/stats-report.png}"
mkdir -p "$(dirname "$out")"
node dist/cli/main.js stats out/sample --html out/sample-report.html > /dev/null
profile="$(mktemp -d)"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$profile" --hide-scrollbars \
  --window-size=1100,2600 --screenshot="$out" "file://$PWD/out/sample-report.html" 2>/dev/null
rm -rf "$profile"
echo "screenshot: $out"
