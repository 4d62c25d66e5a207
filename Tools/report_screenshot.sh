#!/usr/bin/env bash
# Renders the HTML report of a sample image in headless Chromium and saves a screenshot, to look at
# what a person sees (image, heatmap, findings table, report text).
#   make report-screenshot   (writes build-artifacts/report.png)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/build-artifacts"
mkdir -p "$out"
"$root/.build/release/radlens" analyze "$root/SampleImages/chest-pa-cr.dcm" --format html,json --output "$out" >/dev/null
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1300,1100 \
  --screenshot="$out/report.png" "file://$out/chest-pa-cr.html" 2>/dev/null
echo "screenshot: $out/report.png"
