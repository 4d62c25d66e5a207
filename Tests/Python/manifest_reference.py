"""An independent Python implementation of a RadLens bundle's manifest semantics: the
preprocessing contract (Training/radlens_preprocess.py: Pillow + numpy), ONNX Runtime, and the
head (binary, multilabel, multiclass, groups) in numpy. Prints, as JSON, the findings per image:

    manifest_reference.py BUNDLE IMAGE...  ->  [[{"label", "probability", "decision"}, ...], ...]
"""
import json
import os
import sys

import numpy as np
import onnxruntime as ort

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Training"))
import radlens_preprocess as rp  # noqa: E402


def decide(p, rule):
    return "positive" if p >= rule["indeterminateHigh"] else "negative" if p < rule["indeterminateLow"] else "indeterminate"


def findings(manifest, logits):
    head = manifest.get("head", {"kind": "binary"})
    labels, temperature, default = manifest["labels"], manifest["calibration"]["temperature"], manifest["decision"]
    out = []
    if head["kind"] in ("binary", "multilabel"):
        probs = [1 / (1 + np.exp(-logits[i] / label.get("temperature", temperature))) for i, label in enumerate(labels)]
        labelled = [(label["id"], p, decide(p, label.get("decision", default))) for label, p in zip(labels, probs)]
    else:
        z = np.asarray(logits[:len(labels)], dtype=np.float64) / temperature
        e = np.exp(z - z.max())
        probs = list(e / e.sum())
        top, confidence = int(np.argmax(probs)), head.get("confidence", 0.5)
        labelled = [(label["id"], p, ("positive" if p >= confidence else "indeterminate") if i == top else "negative")
                    for i, (label, p) in enumerate(zip(labels, probs)) if label["id"] != head.get("referenceClass")]
    ids = [label["id"] for label in labels]
    for group in head.get("groups", []):
        members = [probs[ids.index(m)] for m in group["members"]]
        p = min(1.0, sum(members)) if head["kind"] == "multiclass" else max(members)
        out.append({"label": group["id"], "probability": float(p), "decision": decide(p, group.get("decision", default))})
    return out + [{"label": i, "probability": float(p), "decision": d} for i, p, d in labelled]


def main():
    bundle, images = sys.argv[1], sys.argv[2:]
    with open(os.path.join(bundle, "manifest.json")) as f:
        manifest = json.load(f)
    session = ort.InferenceSession(os.path.join(bundle, manifest["model"]["file"]), providers=["CPUExecutionProvider"])
    results = []
    for image in images:
        x = rp.preprocess_with_manifest(image, manifest)[None]
        (logits,) = session.run([manifest["model"]["logitsOutput"]], {manifest["input"]["name"]: x})
        results.append(findings(manifest, [float(v) for v in logits.reshape(-1)]))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
