#!/usr/bin/env bash
# Renders what people look at in headless Chromium and saves screenshots in build-artifacts/:
#   report-normal.png, report-pneumonia.png, report-refused.png  the demo's three HTML reports
#   evaluation.png   `radlens evaluate --report` (on ../shared/data/kermany-cxr/224/test when present,
#                    else on a small labelled folder of the sample films)
#   worklist.png     a batch's index.html over SampleImages
#   make report-screenshot
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/build-artifacts"
radlens="$root/.build/release/radlens"
mkdir -p "$out"

shoot() { # html png width height
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="$3,$4" \
      --screenshot="$out/$2" "file://$1" >/dev/null 2>&1
    echo "screenshot: $out/$2"
}

reports="$out/reports"
rm -rf "$reports"
for pair in normal:child-normal-IM-0061-0001 pneumonia:child-pneumonia-person38_virus_84 refused:chest-pa-cr; do
    name=${pair%%:*} stem=${pair#*:}
    "$radlens" analyze "$root/SampleImages/$stem.jpeg" --format html --output "$reports" >/dev/null
    shoot "$reports/$stem.html" "report-$name.png" 1300 1150
done

data="$root/../shared/data/kermany-cxr/224/test"
if [[ ! -d $data ]]; then
    data="$out/labelled-samples"
    rm -rf "$data" && mkdir -p "$data/NORMAL" "$data/PNEUMONIA"
    cp "$root"/SampleImages/child-normal-*.jpeg "$data/NORMAL/"
    cp "$root"/SampleImages/child-pneumonia-*.jpeg "$root/SampleImages/chest-pa-cr.jpeg" "$data/PNEUMONIA/"
fi
"$radlens" evaluate "$data" --report "$out/evaluation.html" >/dev/null
shoot "$out/evaluation.html" evaluation.png 1300 2000

rm -rf "$out/batch"
# Exit status 1 (some input failed) still leaves a worklist to look at.
"$radlens" batch "$root/SampleImages" --output "$out/batch" --format json,html --quiet \
    --include '*.jpeg' --include '*.png' --include '*.dcm' || [[ $? -eq 1 ]]
shoot "$out/batch/index.html" worklist.png 1500 900
