"""Check radlens_preprocess.resize_aa against torch's antialiased bilinear interpolate.

    .venv-train/bin/python Training/check_preprocess.py

Random arrays of several shapes (down- and up-scaling, non-square) plus, when the data is
present, every full-resolution file in ../shared/data/kermany-cxr/fullres-sample.
Fails (exit 1) if any max abs difference is >= 1e-5.
"""
import glob
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import radlens_preprocess as rp  # noqa: E402

TOL = 1e-5


def torch_resize(x, h, w):
    t = torch.from_numpy(x)[None, None]
    return F.interpolate(t, size=(h, w), mode="bilinear", antialias=True, align_corners=False)[0, 0].numpy()


def main():
    rng = np.random.default_rng(0)
    worst = 0.0
    cases = [((224, 224), (128, 128)), ((224, 224), (160, 160)), ((2000, 1500), (128, 128)),
             ((100, 80), (128, 160)), ((64, 64), (128, 128)), ((128, 128), (128, 128)),
             ((333, 517), (97, 211)), ((7, 5), (128, 128))]
    for (hi, wi), (ho, wo) in cases:
        x = rng.random((hi, wi), dtype=np.float32)
        d = float(np.abs(rp.resize_aa(x, ho, wo) - torch_resize(x, ho, wo)).max())
        worst = max(worst, d)
        print(f"random {hi}x{wi} -> {ho}x{wo}: max abs diff {d:.2e}")
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data",
                        "kermany-cxr", "fullres-sample")
    files = sorted(glob.glob(os.path.join(root, "*", "*", "*.jpeg")))
    if not files:
        print(f"note: no full-resolution files under {os.path.abspath(root)}; skipped")
    for f in files:
        g = rp.decode_gray_unit(f)
        for size in (128, 160):
            d = float(np.abs(rp.resize_aa(g, size, size) - torch_resize(g, size, size)).max())
            worst = max(worst, d)
    if files:
        print(f"{len(files)} full-resolution files at 128 and 160: worst so far {worst:.2e}")
    print(f"WORST max abs diff {worst:.2e} (tolerance {TOL:g})")
    sys.exit(0 if worst < TOL else 1)


if __name__ == "__main__":
    main()
