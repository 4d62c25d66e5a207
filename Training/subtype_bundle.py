"""The normal / bacterial / viral bundle (Models/cxr-subtype): export, calibrate, evaluate once.

    for s in 0 1 2; do RADLENS_THREADS=1 .venv-train/bin/python Training/train.py --seed $s --task subtype; done
    .venv-train/bin/python Training/subtype_bundle.py        # [--seeds 0 1 2] [--bundle Models/cxr-subtype]

Rules fixed before the test set is touched (the same as the binary model's where they apply):
  * network: mean-of-logits ensemble of the seeds (common.EnsembleNet), one ONNX graph, outputs
    logits [N,3] (normal, bacterial, viral), features, feature_map;
  * calibration: one softmax temperature, NLL-fitted on the validation split (by patient) under
    the training augmentation (4 passes), as calibrate.py does for the binary model;
  * decisions: pneumonia = p(bacterial) + p(viral), positive at >= 0.75, negative below 0.25,
    indeterminate between (threshold 0.5 for accuracy figures); the favoured cause is the top class
    (confidence band 0.5); out-of-distribution: Mahalanobis on the features, 99.5th validation
    percentile (calibrate.py's recipe);
  * test: Kermany 224/test, used once here: pneumonia vs normal on all 624 images, bacterial vs
    viral on the 390 pneumonia images (score p(bacterial) / (p(bacterial) + p(viral))), ECE of
    p(pneumonia), 3-class accuracy; percentile bootstrap CIs (2000 resamples) for the ensemble,
    and each seed alone (mean and spread).
Writes the bundle (model.onnx, manifest.json, ood-precision.npy, templates/) and
Training/results/subtype_metrics.json. RADLENS_DEBUG_ON_VAL=1 RADLENS_RESULTS=/tmp/r --bundle /tmp/b
tries it on the validation split.
"""
from __future__ import annotations

import os as _os
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_v, "1")

import argparse
import hashlib
import json
import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from calibrate import OOD_PERCENTILE, SHRINK, argmin_temperature, augmented_copies  # noqa: E402
from common import HERE, REPO, EnsembleNet, ExportWrapper, build_model, list_split, load_images, patient_split  # noqa: E402
from metrics import auroc, bootstrap_ci, compute_metrics  # noqa: E402
import torch  # noqa: E402

RESULTS = os.environ.get("RADLENS_RESULTS", os.path.join(HERE, "results"))
CLASSES = ["normal", "bacterial", "viral"]
SNOMED = "http://snomed.info/sct"
BAND = (0.25, 0.75)


def load_members(seeds, ckpt_dir):
    members, cks = [], []
    for s in seeds:
        ck = torch.load(os.path.join(ckpt_dir, f"seed{s}_subtype", "final.pt"), map_location="cpu", weights_only=False)
        m = build_model(ck["cfg"])
        m.load_state_dict(ck["ema"])
        members.append(m.eval()); cks.append(ck)
    assert len({c["size"] for c in cks}) == 1 and len({round(c["mean"], 9) for c in cks}) == 1
    return members, cks


def outputs(net, X, mean, std, bs=128):
    logits, feats = [], []
    with torch.no_grad():
        for i in range(0, len(X), bs):
            l, f, _ = net.forward_all((torch.from_numpy(X[i:i + bs]).unsqueeze(1) - mean) / std)
            logits.append(l.numpy()); feats.append(f.numpy())
    return np.concatenate(logits).astype(np.float64), np.concatenate(feats)


def softmax(z):
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def fit_temperature(logits, y):
    """argmin_T mean NLL(softmax(logits / T), y), grid over log T then golden section."""
    def nll(logt):
        p = softmax(logits / np.exp(logt))
        return float(-np.mean(np.log(p[np.arange(len(y)), y] + 1e-12)))
    return argmin_temperature(nll)


def figures(y3, p, boot=True):
    """Test figures of softmax probabilities p [N,3] against labels y3 (0 normal, 1 bacterial, 2 viral)."""
    pneumonia = (y3 > 0).astype(int)
    p_pneumonia = p[:, 1] + p[:, 2]
    binary = compute_metrics(pneumonia, p_pneumonia, 0.5)
    sick = y3 > 0
    cause = p[sick, 1] / (p[sick, 1] + p[sick, 2])
    bacterial = (y3[sick] == 1).astype(int)
    out = {"pneumonia_vs_normal": binary,
           "bacterial_vs_viral": {"n": int(sick.sum()), "auroc": auroc(bacterial, cause),
                                  "accuracy": float(((cause >= 0.5) == (bacterial == 1)).mean()),
                                  "sensitivity_bacterial": float((cause[bacterial == 1] >= 0.5).mean()),
                                  "specificity_bacterial": float((cause[bacterial == 0] < 0.5).mean())},
           "accuracy_3class": float((p.argmax(1) == y3).mean())}
    if boot:
        out["pneumonia_vs_normal"]["ci95"] = bootstrap_ci(pneumonia, p_pneumonia, 0.5)
        out["bacterial_vs_viral"]["ci95"] = bootstrap_ci(bacterial, cause, 0.5)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--ckpt-dir", default=os.path.join(HERE, "checkpoints"))
    ap.add_argument("--bundle", default=os.path.join(REPO, "Models", "cxr-subtype"))
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("RADLENS_THREADS", "1")))
    members, cks = load_members(a.seeds, a.ckpt_dir)
    net = (members[0] if len(members) == 1 else EnsembleNet(members)).eval()
    size, mean, std = cks[0]["size"], cks[0]["mean"], cks[0]["std"]
    os.makedirs(a.bundle, exist_ok=True); os.makedirs(RESULTS, exist_ok=True)

    # 1. Export, and ONNX Runtime against torch.
    model_path = os.path.join(a.bundle, "model.onnx")
    torch.onnx.export(ExportWrapper(net).eval(), (torch.zeros(1, 1, size, size),), model_path, dynamo=False, opset_version=17,
                      do_constant_folding=True, input_names=["image"], output_names=["logits", "features", "feature_map"],
                      dynamic_axes={k: {0: "N"} for k in ["image", "logits", "features", "feature_map"]})
    import onnxruntime as ort
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).standard_normal((4, 1, size, size)).astype(np.float32)
    with torch.no_grad():
        reference = net(torch.from_numpy(x)).numpy()
    export_diff = float(np.abs(session.run(["logits"], {"image": x})[0] - reference).max())
    print("export: ORT vs torch max |diff|", export_diff, flush=True)

    # 2. Validation: temperature (augmented) and OOD statistics (train features, validation percentile).
    items = list_split("train", "subtype")
    tr, va = patient_split(items)
    y = np.array([label for _, label in items])
    Xva = load_images([items[i] for i in va], size)
    yva = y[va]
    l_aug, _ = outputs(net, augmented_copies(Xva), mean, std)
    temperature = fit_temperature(l_aug, np.tile(yva, 4))
    l_va, f_va = outputs(net, Xva, mean, std)
    validation = figures(yva, softmax(l_va / temperature), boot=False)
    print("temperature", temperature, "validation", json.dumps(validation), flush=True)
    _, f_tr = outputs(net, load_images([items[i] for i in tr], size), mean, std)
    mu = f_tr.mean(0).astype(np.float64)
    cov = np.cov(f_tr.astype(np.float64), rowvar=False)
    c = cov.shape[0]
    precision = np.linalg.inv((1 - SHRINK) * cov + SHRINK * np.trace(cov) / c * np.eye(c))
    precision = (precision + precision.T) / 2
    d_va = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", f_va - mu, precision, f_va - mu), 0))
    ood_threshold = float(np.percentile(d_va, OOD_PERCENTILE))
    np.save(os.path.join(a.bundle, "ood-precision.npy"), precision.astype("<f4"))

    # 3. The test set, once: the ensemble and each seed alone. (RADLENS_DEBUG_ON_VAL=1: the
    # validation split instead, to try the script without touching test/.)
    debug = os.environ.get("RADLENS_DEBUG_ON_VAL") == "1"
    test = [items[i] for i in va] if debug else list_split("test", "subtype")
    Xte = load_images(test, size)
    yte = np.array([label for _, label in test])
    l_te, _ = outputs(net, Xte, mean, std)
    p_te = softmax(l_te / temperature)
    result = {"seeds": a.seeds, "size": size, "temperature": temperature, "export_max_abs_diff": export_diff,
              "validation": validation, "test": figures(yte, p_te), "per_seed": {}}
    for s, m in zip(a.seeds, members):
        l_s, _ = outputs(m, Xte, mean, std)
        result["per_seed"][str(s)] = figures(yte, softmax(l_s / temperature), boot=False)
    keys = [("pneumonia_vs_normal", "auroc"), ("pneumonia_vs_normal", "accuracy"), ("bacterial_vs_viral", "auroc"), ("pneumonia_vs_normal", "ece")]
    result["per_seed_summary"] = {f"{a_}.{b_}": {"mean": float(np.mean([r[a_][b_] for r in result["per_seed"].values()])),
                                                  "sd": float(np.std([r[a_][b_] for r in result["per_seed"].values()], ddof=1)) if len(a.seeds) > 1 else 0.0}
                                  for a_, b_ in keys}
    print("test", json.dumps(result["test"]), flush=True)
    with open(os.path.join(RESULTS, "subtype_metrics.json"), "w") as f:
        json.dump(result, f, indent=2)

    # 4. The bundle.
    w = net.fc.weight.detach().numpy().astype(np.float64)
    b = net.fc.bias.detach().numpy().astype(np.float64)
    code = lambda value, display: {"system": SNOMED, "code": value, "display": display}  # noqa: E731
    with open(model_path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    band = {"threshold": 0.5, "indeterminateLow": BAND[0], "indeterminateHigh": BAND[1],
            "rule": "Fixed before training: p(pneumonia) = p(bacterial) + p(viral) of a class-balanced softmax; positive at >= 0.75, negative below 0.25, indeterminate between."}
    manifest = {
        "schemaVersion": 2, "name": "cxr-subtype", "version": "1.0.0",
        "description": f"Normal / bacterial / viral pneumonia on paediatric chest radiographs (AP/PA). Mean-of-logits ensemble of {len(members)} compact grayscale ResNets (from scratch) in one ONNX graph; {size}x{size} input.",
        "trainingPopulation": "The model was trained on paediatric (age 1-5) frontal chest radiographs from a single centre.",
        "trainingPopulationZh": "本模型基于单一中心1至5岁儿童的正位胸部X线片训练。",
        "intendedUse": "Research use only, not for diagnostic use. Trained on a single centre's paediatric (age 1-5) AP/PA chest X-rays; the cause (bacterial or viral) comes from the data set's labels, not from laboratory confirmation in every case. Not validated on adults, other centres, lateral views or other modalities. Outputs must not guide patient care.",
        "model": {"file": "model.onnx", "sha256": sha, "logitsOutput": "logits", "featuresOutput": "features", "featureMapOutput": "feature_map",
                  "opset": 17, "members": len(members)},
        "input": {"name": "image", "channels": 1, "height": size, "width": size},
        "preprocessing": {"colorToGray": [0.299, 0.587, 0.114], "scale": "unit",
                          "resize": {"method": "bilinear-antialias", "width": size, "height": size, "keepAspect": False},
                          "mean": round(mean, 8), "std": round(std, 8)},
        "labels": [
            {"id": "normal", "display": "No pneumonia", "displayZh": "未见肺炎", "codes": []},
            {"id": "bacterial", "display": "Bacterial pneumonia", "displayZh": "细菌性肺炎", "codes": [code("53084003", "Bacterial pneumonia")]},
            {"id": "viral", "display": "Viral pneumonia", "displayZh": "病毒性肺炎", "codes": [code("75570004", "Viral pneumonia")]},
        ],
        "head": {"kind": "multiclass", "referenceClass": "normal", "confidence": 0.5,
                 "groups": [{"id": "pneumonia", "display": "Pneumonia", "displayZh": "肺炎", "codes": [code("233604007", "Pneumonia")],
                             "members": ["bacterial", "viral"], "decision": band}]},
        "folders": {"NORMAL": "normal", "PNEUMONIA": "pneumonia"},
        "filePatterns": {"*_bacteria_*": "bacterial", "*_virus_*": "viral"},
        "calibration": {"method": "temperature", "temperature": round(temperature, 7),
                        "fittedOn": "validation split (by patient) under the training augmentation, 4 passes; softmax NLL minimised"},
        "decision": band,
        "ood": {"method": "mahalanobis", "mean": [round(float(v), 8) for v in mu], "precisionFile": "ood-precision.npy",
                "threshold": round(ood_threshold, 7),
                "rule": "calibrate.py's recipe on this network's features: shrunk shared covariance, 99.5th percentile of validation distances."},
        "cam": {"weights": [round(float(v), 8) for v in (w[1] + w[2]) / 2 - w[0]], "bias": round(float((b[1] + b[2]) / 2 - b[0]), 8),
                "rule": "weights: the pneumonia group's map (mean of the bacterial and viral rows minus the normal row); logitWeights: the final layer, one row per class (a class's map is its row minus the mean of the others)",
                "logitWeights": [[round(float(v), 8) for v in row] for row in w]},
        "training": {"data": "Kermany et al. 2018 (CC BY 4.0), the 224x224 copies; causes from the file names (*_bacteria_*, *_virus_*).",
                     "split": "official train/ by patient (common.patient_split); test/ used once by Training/subtype_bundle.py",
                     "seed": a.seeds, "epochs": cks[0]["args"]["epochs"],
                     "recipe": "for s in 0 1 2: python Training/train.py --seed $s --task subtype; python Training/subtype_bundle.py"},
        "metrics": {"test": result["test"], "perSeed": result["per_seed_summary"]},
    }
    with open(os.path.join(a.bundle, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")
    templates = os.path.join(REPO, "Models", "cxr-pneumonia", "templates")
    shutil.copytree(templates, os.path.join(a.bundle, "templates"), dirs_exist_ok=True)
    print("bundle written to", a.bundle)


if __name__ == "__main__":
    main()
