#!/usr/bin/env python3
"""The Python reference pipeline RadLens is measured against: Pillow decode, the training
preprocessing (Training/radlens_preprocess.py), ONNX Runtime with the same model.onnx, calibrated
probability and decision from the manifest, one JSON per image.

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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Training"))
import radlens_preprocess as rp  # noqa: E402


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
    h, w, mean, std = rp.params_from_manifest(manifest)
    temperature = manifest["calibration"]["temperature"]
    rule = manifest["decision"]
    files = a.images or sorted(glob.glob(os.path.join(a.input, "**", "*.jpeg"), recursive=True))
    for path in files:
        x = rp.preprocess(path, h, w, mean, std)[None]
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
