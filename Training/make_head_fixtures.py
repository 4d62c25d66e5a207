"""Test bundles for RadLens's generic model heads (Tests/Fixtures/models/heads/), made with torch:
small CNNs with seeded random weights (their answers mean nothing; the tests compare RadLens's
pipeline with an independent Python implementation of the manifest's semantics on them).

    .venv-train/bin/python Training/make_head_fixtures.py

- multilabel-rgb: 3-channel 48x64 input, ImageNet-style 0-255 scale with per-channel mean/std,
  keep-aspect resize; three sigmoid labels with their own temperatures and bands, and a group.
- multiclass-gray: 1-channel 64x64, TorchXRayVision's [-1024, 1024] scale, squash resize; softmax
  over normal / bacterial / viral with normal as reference class, a confidence band, and the
  group pneumonia = bacterial + viral.
"""
from __future__ import annotations

import hashlib
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "Tests", "Fixtures", "models", "heads")
SNOMED = "http://snomed.info/sct"


class Tiny(nn.Module):
    """Two strided convolutions, global average pooling, one Linear: logits, features, feature map."""

    def __init__(self, channels: int, outputs: int):
        super().__init__()
        self.c1 = nn.Conv2d(channels, 8, 3, 2, 1)
        self.c2 = nn.Conv2d(8, 16, 3, 2, 1)
        self.fc = nn.Linear(16, outputs)

    def forward(self, image):
        fmap = F.relu(self.c2(F.relu(self.c1(image))))
        features = torch.flatten(F.adaptive_avg_pool2d(fmap, 1), 1)
        return self.fc(features), features, fmap


def code(value: str, display: str) -> dict:
    return {"system": SNOMED, "code": value, "display": display}


def write(name: str, net: Tiny, channels: int, height: int, width: int, manifest: dict) -> None:
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    net.eval()
    torch.onnx.export(net, torch.zeros(1, channels, height, width), path, input_names=["image"],
                      output_names=["logits", "features", "feature_map"], opset_version=17, dynamo=False)
    with open(path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    manifest = {
        "schemaVersion": 2, "name": name, "version": "0.0.1",
        "description": "Test fixture: a tiny CNN with seeded random weights (meaningless answers).",
        "intendedUse": "Tests of RadLens only.",
        "model": {"file": "model.onnx", "sha256": sha, "logitsOutput": "logits", "featuresOutput": "features",
                  "featureMapOutput": "feature_map"},
        "input": {"name": "image", "channels": channels, "height": height, "width": width},
    } | manifest | {
        "cam": {"weights": [round(float(v), 8) for v in net.fc.weight[0]], "bias": round(float(net.fc.bias[0]), 8),
                "logitWeights": [[round(float(v), 8) for v in row] for row in net.fc.weight],
                "rule": "the final linear layer, one row per logit (Training/make_head_fixtures.py)"},
    }
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"{folder}: sha256 {sha}")


def main() -> None:
    torch.manual_seed(7)
    net = Tiny(3, 3)
    with torch.no_grad():
        net.fc.weight.mul_(8)  # spread the logits so that decisions differ between images
    write("multilabel-rgb", net, 3, 48, 64, {
        "preprocessing": {"colorToGray": [0.299, 0.587, 0.114], "scale": "255",
                          "resize": {"method": "bilinear-antialias", "width": 64, "height": 48, "keepAspect": True},
                          "mean": [123.675, 116.28, 103.53], "std": [58.395, 57.12, 57.375]},
        "head": {"kind": "multilabel",
                 "groups": [{"id": "opacity", "display": "Any opacity", "codes": [], "members": ["effusion", "nodule"],
                             "decision": {"threshold": 0.5, "indeterminateLow": 0.4, "indeterminateHigh": 0.6}}]},
        "labels": [
            {"id": "effusion", "display": "Pleural effusion", "codes": [code("60046008", "Pleural effusion")], "temperature": 1.5,
             "decision": {"threshold": 0.4, "indeterminateLow": 0.3, "indeterminateHigh": 0.6}},
            {"id": "nodule", "display": "Lung nodule", "codes": [code("427359005", "Solitary nodule of lung")], "temperature": 0.8},
            {"id": "cardiomegaly", "display": "Cardiomegaly", "codes": [code("8186001", "Cardiomegaly")]},
        ],
        "folders": {},
        "calibration": {"method": "temperature", "temperature": 1.0},
        "decision": {"threshold": 0.5, "indeterminateLow": 0.25, "indeterminateHigh": 0.75},
    })
    torch.manual_seed(11)
    net = Tiny(1, 3)
    with torch.no_grad():
        net.fc.weight.mul_(8)
    write("multiclass-gray", net, 1, 64, 64, {
        "preprocessing": {"colorToGray": [0.299, 0.587, 0.114], "scale": "xrv",
                          "resize": {"method": "bilinear-antialias", "width": 64, "height": 64, "keepAspect": False},
                          "mean": 0.0, "std": 1024.0},
        "head": {"kind": "multiclass", "referenceClass": "normal", "confidence": 0.6,
                 "groups": [{"id": "pneumonia", "display": "Pneumonia", "codes": [code("233604007", "Pneumonia")],
                             "members": ["bacterial", "viral"],
                             "decision": {"threshold": 0.5, "indeterminateLow": 0.25, "indeterminateHigh": 0.75}}]},
        "labels": [
            {"id": "normal", "display": "No pneumonia", "codes": []},
            {"id": "bacterial", "display": "Bacterial pneumonia", "codes": [code("53084003", "Bacterial pneumonia")]},
            {"id": "viral", "display": "Viral pneumonia", "codes": [code("75570004", "Viral pneumonia")]},
        ],
        "folders": {"NORMAL": "normal", "PNEUMONIA": "pneumonia"},
        "calibration": {"method": "temperature", "temperature": 1.3},
        "decision": {"threshold": 0.5, "indeterminateLow": 0.25, "indeterminateHigh": 0.75},
    })


if __name__ == "__main__":
    main()
