"""Binary classification figures from a CSV of `path,label,probability` (numpy only, no torch).

    python Training/metrics.py Training/results/test_predictions_python.csv [--threshold 0.5] [--bootstrap 2000]

Definitions (the Swift `radlens evaluate` must match these):
  * label: 1 = pneumonia (positive), 0 = normal. The CSV may also spell labels as
    pneumonia/normal (any case). probability = calibrated P(pneumonia).
  * predicted positive  <=>  probability >= threshold (default 0.5).
  * n, accuracy, sensitivity = tp/(tp+fn), specificity = tn/(tn+fp),
    confusion = [[tn, fp], [fn, tp]].
  * auroc: Mann-Whitney U / (n_pos * n_neg), ties counted 1/2 (average ranks).
  * ece: 15 equal-width bins on the positive-class probability over [0, 1];
    bin = min(floor(p * 15), 14); ece = sum_b (n_b / n) * |mean(label_b) - mean(p_b)|
    (empty bins skipped). `ece_toplabel` (extra, informative): the same with confidence
    max(p, 1-p) against correctness of the p >= 0.5 decision.
"""
from __future__ import annotations

import argparse
import csv
import json
from typing import Dict, List, Sequence

import numpy as np

N_BINS = 15


def _labels(values: Sequence) -> np.ndarray:
    out = []
    for v in values:
        s = str(v).strip().lower()
        if s in ("1", "1.0", "pneumonia", "true", "positive"):
            out.append(1)
        elif s in ("0", "0.0", "normal", "false", "negative"):
            out.append(0)
        else:
            raise ValueError(f"unknown label {v!r}")
    return np.asarray(out, dtype=np.int64)


def auroc(labels, scores) -> float:
    y = np.asarray(labels, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    n_pos = int(y.sum()); n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    ranks[order] = np.arange(1, len(s) + 1)
    _, inv, cnt = np.unique(s, return_inverse=True, return_counts=True)
    ranks = (np.bincount(inv, weights=ranks) / cnt)[inv]
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def ece(labels, probs, n_bins: int = N_BINS) -> float:
    y = np.asarray(labels, dtype=np.float64)
    p = np.asarray(probs, dtype=np.float64)
    b = np.minimum(np.floor(p * n_bins).astype(np.int64), n_bins - 1)
    total = 0.0
    for k in range(n_bins):
        m = b == k
        if m.any():
            total += m.sum() / len(p) * abs(y[m].mean() - p[m].mean())
    return float(total)


def ece_toplabel(labels, probs, n_bins: int = N_BINS) -> float:
    y = np.asarray(labels, dtype=np.int64)
    p = np.asarray(probs, dtype=np.float64)
    conf = np.maximum(p, 1 - p)
    correct = ((p >= 0.5).astype(np.int64) == y).astype(np.float64)
    b = np.minimum(np.floor(conf * n_bins).astype(np.int64), n_bins - 1)
    total = 0.0
    for k in range(n_bins):
        m = b == k
        if m.any():
            total += m.sum() / len(p) * abs(correct[m].mean() - conf[m].mean())
    return float(total)


def compute_metrics(labels, probs, threshold: float = 0.5) -> Dict:
    y = np.asarray(labels, dtype=np.int64)
    p = np.asarray(probs, dtype=np.float64)
    pred = (p >= threshold).astype(np.int64)
    tp = int(((pred == 1) & (y == 1)).sum()); tn = int(((pred == 0) & (y == 0)).sum())
    fp = int(((pred == 1) & (y == 0)).sum()); fn = int(((pred == 0) & (y == 1)).sum())
    n = len(y)
    return {
        "n": n,
        "auroc": auroc(y, p),
        "accuracy": (tp + tn) / n if n else float("nan"),
        "sensitivity": tp / (tp + fn) if tp + fn else float("nan"),
        "specificity": tn / (tn + fp) if tn + fp else float("nan"),
        "confusion": [[tn, fp], [fn, tp]],
        "ece": ece(y, p),
        "ece_toplabel": ece_toplabel(y, p),
        "threshold": threshold,
    }


def bootstrap_ci(labels, probs, threshold: float = 0.5, n_boot: int = 2000, seed: int = 0,
                 keys=("auroc", "accuracy", "sensitivity", "specificity", "ece")) -> Dict:
    """Percentile 95% CIs from n_boot resamples of the cases (with replacement)."""
    y = np.asarray(labels, dtype=np.int64)
    p = np.asarray(probs, dtype=np.float64)
    rng = np.random.default_rng(seed)
    vals = {k: [] for k in keys}
    for _ in range(n_boot):
        i = rng.integers(0, len(y), len(y))
        m = compute_metrics(y[i], p[i], threshold)
        for k in keys:
            vals[k].append(m[k])
    return {k: [float(np.nanpercentile(v, 2.5)), float(np.nanpercentile(v, 97.5))] for k, v in vals.items()}


def read_predictions(path: str):
    paths: List[str] = []; labels: List[str] = []; probs: List[float] = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            paths.append(row["path"]); labels.append(row["label"]); probs.append(float(row["probability"]))
    return paths, _labels(labels), np.asarray(probs, dtype=np.float64)


def metrics_from_csv(path: str, threshold: float = 0.5) -> Dict:
    _, y, p = read_predictions(path)
    return compute_metrics(y, p, threshold)


def write_predictions(path: str, rel_paths, labels, probs) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["path", "label", "probability"])
        for r, l, p in zip(rel_paths, labels, probs):
            w.writerow([r, int(l), f"{float(p):.8f}"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("csv")
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--bootstrap", type=int, default=0, help="number of bootstrap resamples for 95%% CIs")
    a = ap.parse_args()
    _, y, p = read_predictions(a.csv)
    out = compute_metrics(y, p, a.threshold)
    if a.bootstrap:
        out["ci95"] = bootstrap_ci(y, p, a.threshold, a.bootstrap)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
