#!/usr/bin/env python3
"""The Python reference pipeline RadLens is measured against, written as a speed-aware user would:
Pillow's `draft()` for a DCT-scaled gray JPEG decode (to at least twice the model's input, as
RadLens asks libjpeg-turbo for), Pillow's C resize (bilinear, antialiased, in float), the
manifest's normalisation in numpy, ONNX Runtime with the same model.onnx, calibrated probability
and decision from the manifest, one JSON per image.

    python Benchmarks/reference_pipeline.py IMAGE...            # JSON lines to stdout
    python Benchmarks/reference_pipeline.py --input DIR --output OUT [--threads 2]
"""
import argparse
import glob
import json
import math
import os
import sys

import numpy as np
import onnxruntime as ort

from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def preprocess(path, height, width, mean, std):
    """[1, H, W] float32: draft-decoded gray, resized, scaled to [0, 1], normalised."""
    image = Image.open(path)
    image.draft("L", (2 * width, 2 * height))
    gray = image.convert("L").convert("F").resize((width, height), Image.BILINEAR)
    return ((np.asarray(gray, dtype=np.float32) / 255 - mean) / std)[None]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("images", nargs="*")
    ap.add_argument("--input")
    ap.add_argument("--output")
    ap.add_argument("--model", default=os.path.join(ROOT, "Models", "cxr-pneumonia"))
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    manifest = json.load(open(os.path.join(a.model, "manifest.json")))
    options = ort.SessionOptions()
    options.intra_op_num_threads = a.threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(os.path.join(a.model, manifest["model"]["file"]), options, providers=["CPUExecutionProvider"])
    resize = manifest["preprocessing"]["resize"]
    h, w = resize["height"], resize["width"]
    mean, std = manifest["preprocessing"]["mean"], manifest["preprocessing"]["std"]
    temperature = manifest["calibration"]["temperature"]
    rule = manifest["decision"]
    files = a.images or sorted(glob.glob(os.path.join(a.input, "**", "*.jpeg"), recursive=True))
    for path in files:
        x = preprocess(path, h, w, mean, std)[None]
        logit = float(session.run([manifest["model"]["logitsOutput"]], {manifest["input"]["name"]: x})[0][0][0])
        p = 1 / (1 + math.exp(-logit / temperature))
        decision = "positive" if p >= rule["indeterminateHigh"] else "negative" if p < rule["indeterminateLow"] else "indeterminate"
        result = {"path": os.path.relpath(path, a.input) if a.input else path, "probability": p, "decision": decision}
        if a.output:
            target = os.path.join(a.output, result["path"] + ".json")
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "w") as f:
                json.dump(result, f)
        else:
            print(json.dumps(result))


if __name__ == "__main__":
    main()
