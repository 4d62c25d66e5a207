"""An independent Python implementation of a RadLens bundle's manifest semantics: the
preprocessing contract (Training/radlens_preprocess.py: Pillow + numpy), ONNX Runtime, and the
head (binary, multilabel, multiclass, groups) in numpy, and one class activation map per finding
from ONNX Runtime's feature map. Prints, as JSON, the findings per image:

    manifest_reference.py BUNDLE IMAGE...  ->  [[{"label", "probability", "decision", "attention"}, ...], ...]

"attention" is {"zone", "side"} where the bundle has `cam.logitWeights`. Before using those weights
it checks that they are the model's: with global average pooling, the mean over positions of each
logit's raw map plus its bias is the logit.
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


def probabilities(manifest, logits):
    """Calibrated probability of every label: sigmoids, or the softmax of a multiclass head."""
    head, labels, temperature = manifest.get("head", {"kind": "binary"}), manifest["labels"], manifest["calibration"]["temperature"]
    if head["kind"] in ("binary", "multilabel"):
        return [1 / (1 + np.exp(-logits[i] / label.get("temperature", temperature))) for i, label in enumerate(labels)]
    z = np.asarray(logits[:len(labels)], dtype=np.float64) / temperature
    e = np.exp(z - z.max())
    return list(e / e.sum())


def findings(manifest, logits):
    head = manifest.get("head", {"kind": "binary"})
    labels, default = manifest["labels"], manifest["decision"]
    out = []
    probs = probabilities(manifest, logits)
    if head["kind"] in ("binary", "multilabel"):
        labelled = [(label["id"], p, decide(p, label.get("decision", default))) for label, p in zip(labels, probs)]
    else:
        top, confidence = int(np.argmax(probs)), head.get("confidence", 0.5)
        labelled = [(label["id"], p, ("positive" if p >= confidence else "indeterminate") if i == top else "negative")
                    for i, (label, p) in enumerate(zip(labels, probs)) if label["id"] != head.get("referenceClass")]
    ids = [label["id"] for label in labels]
    for group in head.get("groups", []):
        members = [probs[ids.index(m)] for m in group["members"]]
        p = min(1.0, sum(members)) if head["kind"] == "multiclass" else max(members)
        out.append({"label": group["id"], "probability": float(p), "decision": decide(p, group.get("decision", default))})
    return out + [{"label": i, "probability": float(p), "decision": d} for i, p, d in labelled]


def cam_weights(manifest, probs):
    """One weight vector per finding, in findings() order (groups, then reported labels)."""
    head, labels = manifest.get("head", {"kind": "binary"}), manifest["labels"]
    rows = np.asarray(manifest["cam"]["logitWeights"], dtype=np.float64)
    ids = [label["id"] for label in labels]

    def contrast(members):
        others = [i for i in range(len(rows)) if i not in members]
        return rows[members].mean(0) - (rows[others].mean(0) if others else 0)

    out = []
    for group in head.get("groups", []):
        members = [ids.index(m) for m in group["members"]]
        out.append(contrast(members) if head["kind"] == "multiclass" else rows[max(members, key=lambda m: probs[m])])
    for i, label in enumerate(labels):
        if head["kind"] == "multiclass":
            if label["id"] != head.get("referenceClass"):
                out.append(contrast([i]))
        else:
            out.append(rows[i])
    return out


def attention(fmap, w):
    """Zone (upper/middle/lower third) and side holding most of the map above half its peak,
    sampled on a 48 x 48 grid with bilinear interpolation (cell centres, edges clamped)."""
    cam = np.tensordot(w, fmap, axes=(0, 0))
    peak = cam.max()
    cam = np.maximum(cam, 0) / peak if peak > 0 else np.zeros_like(cam)
    h, wd = cam.shape
    zones, sides = np.zeros(3), np.zeros(2)
    for j in range(48):
        for i in range(48):
            x, y = (i + 0.5) / 48, (j + 0.5) / 48
            fx, fy = min(max(x * wd - 0.5, 0), wd - 1), min(max(y * h - 0.5, 0), h - 1)
            x0, y0 = int(fx), int(fy)
            x1, y1, ax, ay = min(x0 + 1, wd - 1), min(y0 + 1, h - 1), fx - x0, fy - y0
            v = (cam[y0, x0] * (1 - ax) + cam[y0, x1] * ax) * (1 - ay) + (cam[y1, x0] * (1 - ax) + cam[y1, x1] * ax) * ay
            if v >= 0.5:
                zones[min(int(y * 3), 2)] += v
                sides[0 if x < 0.5 else 1] += v
    total = sides.sum()
    side = "both" if total == 0 or sides.min() >= 0.35 * total else ("left" if sides[0] > sides[1] else "right")
    return {"zone": ["upper", "middle", "lower"][int(np.argmax(zones))], "side": side}


def main():
    bundle, images = sys.argv[1], sys.argv[2:]
    with open(os.path.join(bundle, "manifest.json")) as f:
        manifest = json.load(f)
    session = ort.InferenceSession(os.path.join(bundle, manifest["model"]["file"]), providers=["CPUExecutionProvider"])
    results, offsets = [], []
    for image in images:
        x = rp.preprocess_with_manifest(image, manifest)[None]
        model = manifest["model"]
        cam = manifest.get("cam", {}).get("logitWeights")
        names = [model["logitsOutput"]] + ([model["featureMapOutput"]] if cam else [])
        outputs = session.run(names, {manifest["input"]["name"]: x})
        logits = [float(v) for v in outputs[0].reshape(-1)]
        found = findings(manifest, logits)
        if cam:
            fmap = outputs[1][0].astype(np.float64)
            pooled = fmap.mean(axis=(1, 2))
            implied = np.asarray(cam) @ pooled
            # The weights are the model's final layer: logits minus the weights' contribution is
            # one constant per logit (its bias), the same for every image.
            offsets.append(np.asarray(logits[:len(cam)]) - implied)
            for finding, w in zip(found, cam_weights(manifest, probabilities(manifest, logits))):
                finding["attention"] = attention(fmap, w)
        results.append(found)
    if len(offsets) > 1 and np.abs(np.asarray(offsets) - offsets[0]).max() > 1e-4:
        sys.exit(f"cam.logitWeights are not the model's final layer (logit offsets vary by {np.abs(np.asarray(offsets) - offsets[0]).max()})")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
