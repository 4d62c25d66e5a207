"""Final test-set figures (run ONCE, after train/calibrate/export), OOD check, and the bundle manifest.

    .venv-train/bin/python Training/evaluate.py [--seeds 0 1 2]

* Per-seed members: contract steps 1-3 at the model size (radlens_preprocess), torch forward,
  probability sigmoid(logit / T_seed) with each member's own validation temperature.
* Shipped model: models/cxr-pneumonia/model.onnx run with ONNX Runtime on
  radlens_preprocess.preprocess(file) (the full contract, exactly what Swift does), probability
  sigmoid(logit / T). Predictions -> Training/results/test_predictions_python.csv.
* Figures with 95% bootstrap CIs (2000 resamples), per seed and mean +- sd over seeds.
* OOD: fraction of test flagged, and a check on non-chest images (scikit-image sample photos,
  pydicom-data CT/MR/NM/US/extremity radiographs, synthetic images), rendered to PNG in a
  temporary directory outside the repository.
* Full-resolution consistency: fullres-sample files vs their 224 copies.
* Writes Training/results/test_metrics.json and Models/cxr-pneumonia/manifest.json.
"""
from __future__ import annotations

import os as _os
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_v, "1")

import argparse
import datetime
import glob
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import radlens_preprocess as rp  # noqa: E402
from common import DATA_ROOT, HERE, REPO, list_split, load_images, patient_id, patient_split  # noqa: E402
from export import load_shipped, ort_session  # noqa: E402
from metrics import bootstrap_ci, compute_metrics, write_predictions  # noqa: E402
import torch  # noqa: E402

BUNDLE = os.environ.get("RADLENS_BUNDLE", os.path.join(REPO, "Models", "cxr-pneumonia"))
RESULTS = os.environ.get("RADLENS_RESULTS", os.path.join(HERE, "results"))
KEYS = ("auroc", "accuracy", "sensitivity", "specificity", "ece")


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def torch_logits(m, X, mean, std):
    out = []
    with torch.no_grad():
        for i in range(0, len(X), 128):
            out.append(m((torch.from_numpy(X[i:i + 128]).unsqueeze(1) - mean) / std)[:, 0].numpy())
    return np.concatenate(out)


def ort_run(sess, arrays):
    ls, fs = [], []
    for i in range(0, len(arrays), 64):
        l, f = sess.run(["logits", "features"], {"image": np.stack(arrays[i:i + 64])})
        ls.append(l[:, 0]); fs.append(f)
    return np.concatenate(ls), np.concatenate(fs)


def non_chest_images(tmp):
    """Render non-chest test images to PNG files in tmp; returns [(name, path)]."""
    from PIL import Image
    out = []
    try:
        import skimage.data as sd
        for name in ("astronaut", "camera", "coffee", "chelsea", "rocket", "moon", "page", "text", "brick",
                     "grass", "gravel", "clock", "coins", "hubble_deep_field", "immunohistochemistry",
                     "retina", "colorwheel", "horse", "logo"):
            try:
                a = getattr(sd, name)()
            except Exception:
                continue
            if a.dtype == bool:
                a = (a * 255).astype(np.uint8)
            if a.dtype != np.uint8:
                a = (255 * (a - a.min()) / max(float(a.max() - a.min()), 1e-9)).astype(np.uint8)
            p = os.path.join(tmp, f"skimage-{name}.png")
            Image.fromarray(a).save(p)
            out.append((f"photo/skimage:{name}", p))
    except ImportError:
        print("scikit-image not installed: photo check skipped")
    try:
        import data_store
        import pydicom
        d = os.path.join(os.path.dirname(data_store.__file__), "data")
        for f in ("693_UNCI.dcm", "JPEG2000_UNC.dcm", "MR2_UNCI.dcm", "RG3_UNCI.dcm", "US1_UNCI.dcm",
                  "RG1_UNCI.dcm"):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ds = pydicom.dcmread(os.path.join(d, f))
                    a = ds.pixel_array.astype(np.float64)
            except Exception as e:  # noqa: BLE001
                print("skip", f, e)
                continue
            if a.ndim == 3 and a.shape[-1] == 3:
                img = Image.fromarray(a.astype(np.uint8))
            else:
                if a.ndim == 3:
                    a = a[0]
                if ds.get("PhotometricInterpretation") == "MONOCHROME1":
                    a = a.max() - a
                a = (a - a.min()) / max(float(a.max() - a.min()), 1e-9)
                img = Image.fromarray((a * 65535).round().astype(np.uint16))  # 16-bit gray PNG
            p = os.path.join(tmp, f"dicom-{os.path.splitext(f)[0]}.png")
            img.save(p)
            body = ds.get("BodyPartExamined") or ds.get("StudyDescription") or ""
            out.append((f"radiology/{ds.get('Modality')}:{body}:{f}", p))
    except ImportError:
        print("pydicom / pydicom-data not installed: non-chest radiology check skipped")
    rng = np.random.default_rng(0)
    synth = {"uniform-gray": np.full((256, 256), 128, np.uint8),
             "noise": rng.integers(0, 256, (256, 256)).astype(np.uint8),
             "gradient": np.tile(np.linspace(0, 255, 256).astype(np.uint8), (256, 1)),
             "black": np.zeros((256, 256), np.uint8), "white": np.full((256, 256), 255, np.uint8)}
    for k, a in synth.items():
        p = os.path.join(tmp, f"synthetic-{k}.png")
        Image.fromarray(a).save(p)
        out.append((f"synthetic/{k}", p))
    return out


def summarize(per_seed):
    out = {}
    for k in KEYS:
        v = np.array([m[k] for m in per_seed], dtype=np.float64)
        out[k] = {"mean": float(v.mean()), "sd": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
                  "min": float(v.min()), "max": float(v.max())}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--ckpt-dir", default=os.path.join(HERE, "checkpoints"))
    ap.add_argument("--bootstrap", type=int, default=2000)
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("RADLENS_THREADS", "1")))
    cal = json.load(open(os.path.join(RESULTS, "calibration.json")))
    ood = np.load(os.path.join(a.ckpt_dir, "ood.npz"))
    net, members, cks = load_shipped(a.seeds, a.ckpt_dir)
    size, mean, std = cks[0]["size"], cks[0]["mean"], cks[0]["std"]
    thr, lo, hi = cal["threshold"], cal["indeterminateLow"], cal["indeterminateHigh"]
    T = cal["models"]["shipped"]["temperature"]

    test = list_split("test")
    if os.environ.get("RADLENS_DEBUG_ON_VAL"):  # pipeline debugging without touching test/
        tr_items = list_split("train")
        test = [tr_items[i] for i in patient_split(tr_items)[1]]
    y = np.array([l for _, l in test])
    res = {"n_test": len(test), "threshold": thr, "indeterminate": [lo, hi], "seeds": {}}

    # per-seed members (torch, contract steps 1-3 + normalisation)
    Xte = load_images(test, size)
    per_seed = []
    for s, m in zip(a.seeds, members):
        Ts = cal["models"][f"seed{s}"]["temperature"]
        p = sigmoid(torch_logits(m, Xte, mean, std) / Ts)
        mt = compute_metrics(y, p, thr)
        mt["ci95"] = bootstrap_ci(y, p, thr, a.bootstrap)
        mt["temperature"] = Ts
        res["seeds"][str(s)] = mt
        per_seed.append(mt)
        print(f"seed {s}:", {k: round(mt[k], 4) for k in KEYS}, mt["confusion"], flush=True)
    res["seed_summary"] = summarize(per_seed)

    # shipped ONNX, full contract per file
    sess = ort_session(os.path.join(BUNDLE, "model.onnx"), 1)
    arrays = [rp.preprocess(os.path.join(DATA_ROOT, p), size, size, mean, std) for p, _ in test]
    lg, feats = ort_run(sess, arrays)
    p = sigmoid(lg / T)
    mt = compute_metrics(y, p, thr)
    mt["ci95"] = bootstrap_ci(y, p, thr, a.bootstrap)
    mt["temperature"] = T
    band = (p >= lo) & (p < hi)
    mt["indeterminate_fraction"] = float(band.mean())
    decided = ~band
    mt["accuracy_outside_indeterminate"] = float(((p[decided] >= thr) == (y[decided] == 1)).mean())
    # raw logits (T = 1) for comparison of calibration
    mt["ece_uncalibrated"] = compute_metrics(y, sigmoid(lg), thr)["ece"]
    mt["ece_clean_val_temperature"] = compute_metrics(
        y, sigmoid(lg / cal["models"]["shipped"]["temperature_clean_val"]), thr)["ece"]
    res["shipped"] = mt
    print("shipped:", {k: round(mt[k], 4) for k in KEYS}, mt["confusion"], flush=True)
    os.makedirs(RESULTS, exist_ok=True)
    write_predictions(os.path.join(RESULTS, "test_predictions_python.csv"),
                      [p_ for p_, _ in test], y, p)

    # OOD
    mu, prec, othr = ood["mean"], ood["precision"], float(ood["threshold"])

    def dist(f):
        d = f.astype(np.float64) - mu
        return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", d, prec, d), 0))

    d_test = dist(feats)
    res["ood"] = {"threshold": othr, "test_flagged_fraction": float((d_test > othr).mean()),
                  "test_flagged": int((d_test > othr).sum()), "test_distance_median": float(np.median(d_test)),
                  "val_flagged_fraction": cal["ood"]["val_flagged_fraction"], "non_chest": []}
    with tempfile.TemporaryDirectory() as tmp:
        imgs = non_chest_images(tmp)
        if imgs:
            l2, f2 = ort_run(sess, [rp.preprocess(pth, size, size, mean, std) for _, pth in imgs])
            d2 = dist(f2)
            for (name, _), dd, ll in zip(imgs, d2, l2):
                res["ood"]["non_chest"].append({"image": name, "distance": float(dd), "flagged": bool(dd > othr),
                                                "probability": float(sigmoid(ll / T))})
    print("ood:", json.dumps(res["ood"], indent=1), flush=True)

    # full-resolution vs 224 consistency
    fr = sorted(glob.glob(os.path.join(DATA_ROOT, "fullres-sample", "*", "*", "*.jpeg")))
    if fr:
        a_full = [rp.preprocess(f, size, size, mean, std) for f in fr]
        a_224 = [rp.preprocess(os.path.join(DATA_ROOT, "224", os.path.relpath(f, os.path.join(DATA_ROOT, "fullres-sample"))),
                               size, size, mean, std) for f in fr]
        pf = sigmoid(ort_run(sess, a_full)[0] / T); p2 = sigmoid(ort_run(sess, a_224)[0] / T)
        res["fullres_vs_224"] = {"n": len(fr), "max_abs_prob_diff": float(np.abs(pf - p2).max()),
                                 "median_abs_prob_diff": float(np.median(np.abs(pf - p2))),
                                 "decision_agreement": float(((pf >= thr) == (p2 >= thr)).mean())}
        print("fullres:", res["fullres_vs_224"], flush=True)

    with open(os.path.join(RESULTS, "test_metrics.json"), "w") as f:
        json.dump(res, f, indent=2)
    write_manifest(a, cal, ood, net, cks, res)


def write_manifest(a, cal, ood, net, cks, res):
    onnx_path = os.path.join(BUNDLE, "model.onnx")
    sha = hashlib.sha256(open(onnx_path, "rb").read()).hexdigest()
    size, mean, std = cks[0]["size"], cks[0]["mean"], cks[0]["std"]
    items = list_split("train")
    tr, va = patient_split(items)
    npat = lambda idx: len({patient_id(items[i][0]) for i in idx})  # noqa: E731
    ncls = lambda idx, c: sum(1 for i in idx if items[i][1] == c)  # noqa: E731
    test = list_split("test")
    try:
        commit = subprocess.run(["git", "-C", REPO, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    except Exception:  # noqa: BLE001
        commit = ""
    w = net.fc.weight.detach().numpy()[0].astype(np.float64)
    b = float(net.fc.bias.detach().numpy()[0])
    sh = res["shipped"]
    r6 = lambda v: float(f"{v:.6g}")  # noqa: E731
    r8 = lambda v: float(f"{v:.8g}")  # noqa: E731
    seeds_list = []
    for s in a.seeds:
        m = res["seeds"][str(s)]
        seeds_list.append({"seed": s, "temperature": r6(m["temperature"]),
                           **{k: r6(m[k]) for k in KEYS}, "confusion": m["confusion"]})
    manifest = {
        "schemaVersion": 1,
        "name": "cxr-pneumonia",
        "version": "1.0.0",
        "description": ("Pneumonia vs normal on paediatric chest radiographs (AP/PA). Mean-of-logits ensemble of "
                        f"{len(a.seeds)} compact grayscale ResNets (trained from scratch) in one ONNX graph; "
                        f"{size}x{size} input; outputs one pneumonia logit, pooled features and the last feature map."),
        "intendedUse": ("Research use only, not for diagnostic use. Trained on a single centre's paediatric "
                        "(age 1-5) AP/PA chest X-rays; not validated on adults, other centres, lateral views or "
                        "other modalities. Outputs must not guide patient care."),
        "model": {"file": "model.onnx", "sha256": sha, "logitsOutput": "logits", "featuresOutput": "features",
                  "featureMapOutput": "feature_map", "opset": 17, "members": len(a.seeds)},
        "input": {"name": "image", "channels": 1, "height": size, "width": size},
        "preprocessing": {"colorToGray": [0.299, 0.587, 0.114], "scale": "unit",
                          "resize": {"method": "bilinear-antialias", "width": size, "height": size,
                                     "keepAspect": False},
                          "mean": r8(mean), "std": r8(std)},
        "labels": [{"id": "pneumonia", "display": "Pneumonia", "displayZh": "肺炎",
                    "codes": [{"system": "http://snomed.info/sct", "code": "233604007", "display": "Pneumonia"},
                              {"system": "http://radlex.org", "code": "RID5350", "display": "pneumonia"}]}],
        "negativeLabel": {"id": "normal", "display": "No pneumonia", "displayZh": "未见肺炎"},
        "folders": {"NORMAL": "normal", "PNEUMONIA": "pneumonia"},
        "calibration": {"method": "temperature", "temperature": r8(cal["models"]["shipped"]["temperature"]),
                        "fittedOn": ("validation split (by patient) under the training augmentation, "
                                     f"{cal['aug_passes']} passes; NLL minimised"),
                        "temperatureCleanValidation": r6(cal["models"]["shipped"]["temperature_clean_val"])},
        "decision": {"threshold": cal["threshold"], "indeterminateLow": cal["indeterminateLow"],
                     "indeterminateHigh": cal["indeterminateHigh"],
                     "rule": ("Fixed before training, not searched: probability p = sigmoid(logit / temperature) of a "
                              "class-balanced model (each class weighted equally in the loss). Pneumonia if "
                              f"p >= {cal['threshold']} (equivalently logit >= 0); reported as pneumonia if "
                              f"p >= {cal['indeterminateHigh']}, no pneumonia if p < {cal['indeterminateLow']}, "
                              "indeterminate in between.")},
        "ood": {"method": "mahalanobis", "mean": [r8(v) for v in ood["mean"]],
                "precisionFile": "ood-precision.npy",
                "threshold": r8(float(ood["threshold"])),
                "rule": ("distance = sqrt((f - mean)^T precision (f - mean)) on the `features` output; "
                         "precision = inverse of the training-split feature covariance (one shared, class-agnostic "
                         f"covariance, shrunk: 0.9*Sigma + 0.1*tr(Sigma)/C*I); out-of-distribution if distance > "
                         f"threshold (= {cal['ood']['percentile']}th percentile of validation distances).")},
        "cam": {"weights": [r8(v) for v in w], "bias": r8(b),
                "rule": "CAM = sum_c weights[c] * feature_map[c] + bias (a logit map); logits = features . weights + bias"},
        "training": {
            "data": ("Kermany D, Zhang K, Goldbaum M. Labeled Optical Coherence Tomography (OCT) and Chest X-Ray "
                     "Images for Classification. Mendeley Data v2 (2018), CC BY 4.0; Kermany et al., Cell "
                     "172(5):1122-1131 (2018). Paediatric (1-5 y) chest X-rays, Guangzhou Women and Children's "
                     "Medical Center; the 224x224 copies."),
            "split": (f"official train/ split by patient (hash of patient id): train {len(tr)} images "
                      f"({ncls(tr, 0)} normal / {ncls(tr, 1)} pneumonia, {npat(tr)} patients), validation {len(va)} "
                      f"({ncls(va, 0)} / {ncls(va, 1)}, {npat(va)} patients); official val/ (16) unused; "
                      f"test/ {len(test)} used once for the figures below."),
            "seed": list(a.seeds),
            "commit/recipe": (f"commit {commit or 'n/a'}; for s in {' '.join(map(str, a.seeds))}: python Training/train.py "
                              "--seed $s; python Training/export.py; python Training/calibrate.py; "
                              "python Training/evaluate.py (see Training/README.md)"),
            "epochs": cks[0]["args"]["epochs"],
            "date": datetime.date.today().isoformat(),
        },
        "metrics": {
            "test": {**{k: r6(sh[k]) for k in KEYS}, "n": sh["n"], "confusion": sh["confusion"],
                     "threshold": sh["threshold"], "ci95": {k: [r6(v[0]), r6(v[1])] for k, v in sh["ci95"].items()},
                     "indeterminateFraction": r6(sh["indeterminate_fraction"]),
                     "accuracyOutsideIndeterminate": r6(sh["accuracy_outside_indeterminate"]),
                     "oodFlaggedFraction": r6(res["ood"]["test_flagged_fraction"]),
                     "eceDefinition": "15 equal-width bins on P(pneumonia)"},
            "seeds": seeds_list,
            "seedMeanSd": {k: [r6(v["mean"]), r6(v["sd"])] for k, v in res["seed_summary"].items()},
        },
    }
    # long float arrays go on one line each (the precision matrix alone has C*C entries)
    big = {}
    # The C x C precision matrix goes to a binary .npy beside the manifest: parsing 330k decimal
    # floats from JSON cost RadLens more start-up time than the whole inference.
    np.save(os.path.join(BUNDLE, "ood-precision.npy"), np.asarray(ood["precision"], dtype="<f4"))
    for sect, key in (("ood", "mean"), ("cam", "weights")):
        tag = f"@@{sect}.{key}@@"
        big[tag] = json.dumps(manifest[sect][key], separators=(",", ":"))
        manifest[sect][key] = tag
    text = json.dumps(manifest, indent=2, ensure_ascii=False)
    for tag, val in big.items():
        text = text.replace(json.dumps(tag), val)
    json.loads(text)
    with open(os.path.join(BUNDLE, "manifest.json"), "w", encoding="utf-8") as f:
        f.write(text + "\n")
    print("wrote", os.path.join(BUNDLE, "manifest.json"))


if __name__ == "__main__":
    main()
