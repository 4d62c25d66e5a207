#!/usr/bin/env python3
"""End-to-end speed of RadLens against the Python reference pipeline (Benchmarks/reference_pipeline.py,
written as a speed-aware user would: Pillow with draft() DCT-scaled JPEG decode, Pillow's resize,
ONNX Runtime, same model.onnx), measured in the same run.

1. Cold start: `radlens analyze` on a 2000x2000 JPEG, process start to report on stdout, against
   the reference script on the same file (medians of --runs, interleaved): with the packed
   weights cached (the usual case after the first run; the first run, which writes the cache, is
   shown too) and with the cache off (RADLENS_CACHE_DIR=off: every weight packed afresh).
2. Batch: the 211 full-resolution radiographs of ../shared/data/kermany-cxr/fullres-sample,
   `radlens batch` at its defaults (all cores) against the reference with ONNX Runtime at as
   many threads; images/s, ratio, and whether every decision is identical.

    swift build -c release --product radlens && .venv-test/bin/python Benchmarks/pipeline_bench.py
"""
import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RADLENS = os.path.join(ROOT, ".build", "release", "radlens")
FULLRES = os.path.join(ROOT, "..", "shared", "data", "kermany-cxr", "fullres-sample")


def timed(command, env=None):
    start = time.perf_counter()
    subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="radlens-bench-")
    # A 2000x2000 JPEG made from the (MIT-licensed) sample radiograph.
    big = os.path.join(work, "chest-2000.jpeg")
    Image.open(os.path.join(ROOT, "SampleImages", "chest-pa-cr.jpeg")).resize((2000, 2000), Image.BICUBIC).save(big, quality=92)
    reference = [sys.executable, os.path.join(HERE, "reference_pipeline.py"), "--threads", str(os.cpu_count())]
    cached = dict(os.environ, RADLENS_CACHE_DIR=os.path.join(work, "cache"))
    uncached = dict(os.environ, RADLENS_CACHE_DIR="off")
    analyze = [RADLENS, "analyze", big]
    first = timed(analyze, cached)
    runs = {"cached": [], "off": [], "reference": []}
    for _ in range(a.runs):
        runs["cached"].append(timed(analyze, cached))
        runs["off"].append(timed(analyze, uncached))
        runs["reference"].append(timed(reference + [big]))
    ours, off, theirs = (statistics.median(runs[k]) for k in ("cached", "off", "reference"))
    print(f"cold start, 2000x2000 JPEG to report: RadLens {ours * 1000:.0f} ms with packed weights cached "
          f"(first run, writing the cache: {first * 1000:.0f} ms), {off * 1000:.0f} ms with the cache off; "
          f"Python reference {theirs * 1000:.0f} ms; ratio {theirs / ours:.1f}x cached, {theirs / off:.1f}x off")

    files = sorted(glob.glob(os.path.join(FULLRES, "**", "*.jpeg"), recursive=True))
    if not files:
        print(f"batch: skipped ({FULLRES} is absent)")
        return
    out_ours, out_ref = os.path.join(work, "radlens"), os.path.join(work, "reference")
    t_ours = timed([RADLENS, "batch", FULLRES, "--output", out_ours, "--quiet", "--force"])
    t_ref = timed(reference + ["--input", FULLRES, "--output", out_ref])
    differing = []
    for line in open(os.path.join(out_ours, "results.jsonl")):
        r = json.loads(line)
        ref = json.load(open(os.path.join(out_ref, r["input"]["path"] + ".json")))
        if r["findings"][0]["decision"] != ref["decision"]:
            differing.append((r["input"]["path"], r["findings"][0]["probability"], ref["probability"]))
    n = len(files)
    print(f"batch, {n} full-resolution radiographs, {os.cpu_count()} threads each: RadLens {n / t_ours:.1f} images/s, "
          f"Python reference {n / t_ref:.1f} images/s, ratio {t_ref / t_ours:.1f}x; "
          f"decisions identical on {n - len(differing)}/{n}")
    for d in differing[:10]:
        print("  differs:", d)
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
