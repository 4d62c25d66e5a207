#!/usr/bin/env bash
# Peak memory of `radlens batch` on 100 inputs and on 10,000 inputs (copies of a small sample image
# in 100 folders): memory must not grow with the number of inputs (goal: <= 10% more).
#   swift build -c release --product radlens && Benchmarks/batch_memory.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
radlens="$root/.build/release/radlens"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" "$root" <<'PY'
import os, shutil, sys
work, root = sys.argv[1], sys.argv[2]
source = os.path.join(root, "Tests/Fixtures/valid/rgb-420-baseline.jpeg")
for total, name in ((100, "small"), (10000, "large")):
    for i in range(total):
        folder = os.path.join(work, name, f"series{i % 100:03d}")
        os.makedirs(folder, exist_ok=True)
        shutil.copy(source, os.path.join(folder, f"image{i:05d}.jpeg"))
PY
for name in small large; do
  /usr/bin/time -f "%M" -o "$work/$name.rss" "$radlens" batch "$work/$name" --output "$work/$name-out" --quiet >/dev/null
  echo "$name: $(find "$work/$name" -name '*.jpeg' | wc -l) inputs, max RSS $(cat "$work/$name.rss") KiB"
done
python3 -c "import sys; a,b=int(open('$work/small.rss').read()),int(open('$work/large.rss').read()); print(f'ratio large/small: {b/a:.3f} (goal <= 1.10)')"
