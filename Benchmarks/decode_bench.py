#!/usr/bin/env python3
"""Decode speed: RadLens (libjpeg-turbo/libpng through Swift) against djpeg and Pillow, measured in
the same run on the same files, in stored megapixels per second (file bytes already in memory for
RadLens and Pillow; djpeg reads its file, as a command-line decoder must).

    swift build -c release --product radlens-decode-bench
    .venv-test/bin/python Benchmarks/decode_bench.py [--files DIR] [--repeat 3]

Default files: ../shared/data/kermany-cxr/fullres-sample (the full-size radiographs).
"""
import argparse
import glob
import io
import json
import os
import subprocess
import time

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def pillow(files, repeats, scale):
    data = [open(f, "rb").read() for f in files]
    pixels = 0
    start = time.perf_counter()
    for _ in range(repeats):
        for blob in data:
            im = Image.open(io.BytesIO(blob))
            if scale > 1 and im.format == "JPEG":
                im.draft(im.mode, (im.width // scale, im.height // scale))
            im.load()
            pixels += im.width * im.height * (scale * scale if im.format == "JPEG" else 1)
    return pixels / (time.perf_counter() - start) / 1e6


def djpeg(files, repeats, scale):
    jpegs = [f for f in files if f.lower().endswith((".jpeg", ".jpg"))]
    sizes = [Image.open(f).size for f in jpegs]
    start = time.perf_counter()
    for _ in range(repeats):
        for f in jpegs:
            subprocess.run(["djpeg", "-scale", f"1/{scale}", "-outfile", os.devnull, f], check=True)
    return sum(w * h for w, h in sizes) * repeats / (time.perf_counter() - start) / 1e6


def radlens(files, repeats, scale):
    binary = os.path.join(ROOT, ".build/release/radlens-decode-bench")
    out = subprocess.run([binary, "--scale", str(scale), "--repeat", str(repeats)] + files, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)["storedMegapixelsPerSecond"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", default=os.path.join(ROOT, "..", "shared", "data", "kermany-cxr", "fullres-sample"))
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    files = sorted(glob.glob(os.path.join(a.files, "**", "*.jpeg"), recursive=True))
    if not files:
        raise SystemExit(f"no JPEG files under {a.files} (the Kermany full-resolution sample is needed)")
    pngs = sorted(glob.glob(os.path.join(ROOT, "SampleImages", "*.png")))
    print(f"{len(files)} JPEG radiographs, {len(pngs)} PNG samples; stored megapixels per second (higher is better)")
    print(f"{'decoder':28} {'scale':>5} {'MPix/s':>9} {'vs djpeg':>9} {'vs Pillow':>10}")
    for scale in (1, 2, 4, 8):
        ours, ref, pil = radlens(files, a.repeat, scale), djpeg(files, a.repeat, scale), pillow(files, a.repeat, scale)
        print(f"{'RadLens JPEG':28} {'1/' + str(scale):>5} {ours:9.1f} {ours / ref:9.2f} {ours / pil:10.2f}")
        print(f"{'djpeg (libjpeg-turbo)':28} {'1/' + str(scale):>5} {ref:9.1f}")
        print(f"{'Pillow':28} {'1/' + str(scale):>5} {pil:9.1f}")
    if pngs:
        ours, pil = radlens(pngs, a.repeat * 3, 1), pillow(pngs, a.repeat * 3, 1)
        print(f"{'RadLens PNG (16-bit sample)':28} {'1/1':>5} {ours:9.1f} {'':>9} {ours / pil:10.2f}")
        print(f"{'Pillow PNG':28} {'1/1':>5} {pil:9.1f}")


if __name__ == "__main__":
    main()
