"""Write preprocessing-parity fixtures (numpy + Pillow only, no torch).

    python Training/make_preprocess_fixture.py --manifest Models/cxr-pneumonia/manifest.json \
        --out Tests/Fixtures/preprocess SampleImages/a.png SampleImages/b.jpg ...

For every input image <stem>.<ext> it writes, into --out:
  <stem>.npy         float32 [1, H, W]  the full contract output (steps 1-4), the model input
  <stem>.unnorm.npy  float32 [H, W]     after steps 1-3 (gray, [0,1], resized), before normalisation
  <stem>.gray.npy    float32 [h, w]     after steps 1-2 only (only with --stages)
and an index.json describing every file (source, sha256 of the source bytes, source size and
mode, output shapes, min/max/mean of the output, parameters used).
Use only images that may be committed (never the Kermany data).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import radlens_preprocess as rp  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest", required=True, help="model manifest.json (input size, mean, std)")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--stages", action="store_true", help="also write the step 1-2 gray image")
    ap.add_argument("images", nargs="+")
    a = ap.parse_args()

    h, w, mean, std = rp.params_from_manifest(a.manifest)
    os.makedirs(a.out, exist_ok=True)
    index = {"manifest": os.path.basename(a.manifest), "height": h, "width": w, "mean": mean, "std": std,
             "dtype": "float32", "files": []}
    seen = set()
    for path in a.images:
        stem = os.path.splitext(os.path.basename(path))[0]
        if stem in seen:
            sys.exit(f"duplicate output name {stem!r} (from {path})")
        seen.add(stem)
        with open(path, "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        with Image.open(path) as im:
            mode, size = im.mode, im.size
        gray = rp.decode_gray_unit(path)
        unnorm = rp.resize_aa(gray, h, w)
        final = rp.normalize(unnorm, mean, std)[None]
        np.save(os.path.join(a.out, f"{stem}.npy"), final.astype(np.float32))
        np.save(os.path.join(a.out, f"{stem}.unnorm.npy"), unnorm.astype(np.float32))
        entry = {"source": os.path.basename(path), "sha256": sha, "mode": mode, "width": size[0],
                 "height": size[1], "output": f"{stem}.npy", "shape": list(final.shape),
                 "min": float(final.min()), "max": float(final.max()), "mean": float(final.mean()),
                 "unnormalized": f"{stem}.unnorm.npy"}
        if a.stages:
            np.save(os.path.join(a.out, f"{stem}.gray.npy"), gray.astype(np.float32))
            entry["gray"] = f"{stem}.gray.npy"
        index["files"].append(entry)
        print(f"{path}: {mode} {size[0]}x{size[1]} -> {stem}.npy {list(final.shape)}")
    with open(os.path.join(a.out, "index.json"), "w", encoding="utf-8") as f:
        json.dump(index, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
