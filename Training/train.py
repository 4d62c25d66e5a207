"""Train one cxr-pneumonia member network from scratch (CPU, no pretrained weights).

    .venv-train/bin/python Training/train.py --seed 0      # then --seed 1, --seed 2

Recipe (fixed in advance, nothing is chosen on the test set):
  * data: Kermany 224/train, split by patient (common.patient_split: 85% train / 15% validation
    of patients, deterministic hash); contract steps 1-3 at --size px, in memory only;
    mean/std for step 4 computed on the training-split pixels.
  * model: common.CxrNet (compact grayscale ResNet, ~1.2 M params), dropout 0.2 before the Linear.
  * loss: class-balanced BCE (each class weighted N / (2 N_class)), so the decision p >= 0.5
    corresponds to equal class priors.
  * AdamW lr 2e-3, weight decay 0.05, batch 64, 1 warm-up epoch then cosine to 0, --epochs 24.
  * augmentation: common.augment (geometry, resolution, blur, gamma/contrast/brightness, noise,
    cut-out), train only.
  * weight EMA (decay 0.997); the EMA weights after the last epoch are the result (no epoch
    selection).
  * --task subtype (normal / bacterial / viral from the file names): 3 logits, class-balanced
    softmax cross-entropy (each class weighted N / (3 N_class)); everything else as above.
Checkpoints every epoch to Training/checkpoints/seed<S>[_subtype]/last.pt; re-running the same command
resumes. The result is Training/checkpoints/seed<S>/final.pt. Log: Training/runs/train_seed<S>.log.
"""
from __future__ import annotations

import os as _os
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_v, "1")  # avoid BLAS thread oversubscription on a shared 2-core machine

import argparse
import copy
import json
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (HERE, SUBTYPES, augment, build_model, list_split, load_images, patient_split)  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

MODEL_CFG = {"widths": [32, 64, 128, 192], "blocks": [1, 1, 2, 1], "stem": 24, "dropout": 0.2}


def auroc(y, s):
    y = np.asarray(y); s = np.asarray(s, dtype=np.float64)
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s)); ranks[order] = np.arange(1, len(s) + 1)
    # average ranks for ties
    _, inv, cnt = np.unique(s, return_inverse=True, return_counts=True)
    sums = np.bincount(inv, weights=ranks); ranks = (sums / cnt)[inv]
    npos = y.sum(); nneg = len(y) - npos
    return float((ranks[y == 1].sum() - npos * (npos + 1) / 2) / (npos * nneg))


def subtype_metrics(y, logits):
    """Validation figures of the 3-class model: accuracy, pneumonia-vs-normal AUROC of
    p(bacterial) + p(viral), bacterial-vs-viral AUROC on the pneumonia images, NLL."""
    z = logits - logits.max(1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    pneumonia = y > 0
    return {"val_acc3": float((p.argmax(1) == y).mean()),
            "val_auroc_pneumonia": auroc(pneumonia.astype(int), p[:, 1] + p[:, 2]),
            "val_acc_pneumonia": float(((p[:, 1] + p[:, 2] >= 0.5) == pneumonia).mean()),
            "val_auroc_bacterial_vs_viral": auroc((y[pneumonia] == 1).astype(int), p[pneumonia, 1] / (p[pneumonia, 1] + p[pneumonia, 2])),
            "val_nll": float(-np.mean(np.log(p[np.arange(len(y)), y] + 1e-12)))}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--task", choices=["binary", "subtype"], default="binary")
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--epochs", type=int, default=24)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--wd", type=float, default=0.05)
    ap.add_argument("--ema", type=float, default=0.997)
    ap.add_argument("--threads", type=int, default=int(os.environ.get("RADLENS_THREADS", "2")))
    ap.add_argument("--ckpt-dir", default=os.path.join(HERE, "checkpoints"))
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    subtype = args.task == "subtype"
    out_dir = os.path.join(args.ckpt_dir, f"seed{args.seed}" + ("" if args.size == 128 else f"_s{args.size}")
                           + ("_subtype" if subtype else ""))
    cfg = dict(MODEL_CFG, outputs=len(SUBTYPES)) if subtype else MODEL_CFG
    os.makedirs(out_dir, exist_ok=True)
    last_path, final_path = os.path.join(out_dir, "last.pt"), os.path.join(out_dir, "final.pt")
    if os.path.exists(final_path):
        print(f"{final_path} exists; nothing to do"); return

    def log(msg):
        print(time.strftime("%H:%M:%S"), msg, flush=True)

    items = list_split("train", args.task)
    tr_idx, va_idx = patient_split(items)
    t0 = time.time()
    X = load_images(items, args.size)
    y = np.array([lab for _, lab in items], dtype=np.int64 if subtype else np.float32)
    Xtr, ytr, Xva, yva = X[tr_idx], y[tr_idx], X[va_idx], y[va_idx]
    del X
    mean, std = float(Xtr.mean(dtype=np.float64)), float(Xtr.std(dtype=np.float64))
    log(f"loaded {len(items)} images in {time.time() - t0:.0f}s; train {len(tr_idx)} "
        f"(classes {np.bincount(ytr.astype(int)).tolist()}) val {len(va_idx)} (classes {np.bincount(yva.astype(int)).tolist()}); "
        f"mean {mean:.6f} std {std:.6f}")
    Xtr_t, Xva_t = torch.from_numpy(Xtr).unsqueeze(1), torch.from_numpy(Xva).unsqueeze(1)
    ytr_t = torch.from_numpy(ytr)
    n_pos, n_neg = float((ytr > 0).sum()), float((ytr == 0).sum())
    w_pos, w_neg = len(ytr) / (2 * n_pos), len(ytr) / (2 * n_neg)
    class_weights = (torch.tensor(len(ytr) / (len(SUBTYPES) * np.bincount(ytr, minlength=len(SUBTYPES))), dtype=torch.float32)
                     if subtype else None)

    torch.manual_seed(args.seed)
    model = build_model(cfg)
    ema = copy.deepcopy(model).eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.wd)
    steps_per_epoch = math.ceil(len(ytr) / args.batch)
    total = steps_per_epoch * args.epochs
    warm = steps_per_epoch

    def lr_at(step):
        if step < warm:
            return args.lr * (step + 1) / warm
        return args.lr * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm)))

    gen = torch.Generator().manual_seed(1000 + args.seed)
    perm_rng = np.random.default_rng(2000 + args.seed)
    start_epoch, step, history = 0, 0, []
    if os.path.exists(last_path):
        ck = torch.load(last_path, map_location="cpu", weights_only=False)
        model.load_state_dict(ck["model"]); ema.load_state_dict(ck["ema"]); opt.load_state_dict(ck["opt"])
        gen.set_state(ck["gen"]); perm_rng.bit_generator.state = ck["perm_rng"]
        start_epoch, step, history = ck["epoch"] + 1, ck["step"], ck["history"]
        log(f"resumed from {last_path} at epoch {start_epoch}")

    mean_t, std_t = torch.tensor(mean), torch.tensor(std)
    for epoch in range(start_epoch, args.epochs):
        model.train(); te = time.time(); tot_loss = 0.0
        perm = perm_rng.permutation(len(ytr))
        for b in range(steps_per_epoch):
            idx = torch.from_numpy(perm[b * args.batch:(b + 1) * args.batch])
            xb = (augment(Xtr_t[idx], gen) - mean_t) / std_t
            yb = ytr_t[idx]
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            if subtype:
                loss = (F.cross_entropy(model(xb), yb, reduction="none") * class_weights[yb]).mean()
            else:
                logits = model(xb).squeeze(1)
                wts = torch.where(yb > 0.5, torch.tensor(w_pos), torch.tensor(w_neg))
                loss = (F.binary_cross_entropy_with_logits(logits, yb, reduction="none") * wts).mean()
            opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
            step += 1
            d = min(args.ema, (1 + step) / (10 + step))
            with torch.no_grad():
                for pe, pm in zip(ema.state_dict().values(), model.state_dict().values()):
                    if pe.dtype.is_floating_point:
                        pe.mul_(d).add_(pm.detach(), alpha=1 - d)
                    else:
                        pe.copy_(pm)
            tot_loss += float(loss.detach()) * len(idx)
        # validation (clean) with the EMA weights
        with torch.no_grad():
            lv = torch.cat([ema((Xva_t[i:i + 256] - mean_t) / std_t).squeeze(1)
                            for i in range(0, len(yva), 256)]).numpy()
        if subtype:
            rec = {"epoch": epoch, "train_loss": tot_loss / len(ytr)} | subtype_metrics(yva, lv) | {"secs": time.time() - te}
        else:
            pv = 1 / (1 + np.exp(-lv))
            rec = {"epoch": epoch, "train_loss": tot_loss / len(ytr), "val_auroc": auroc(yva, lv),
                   "val_acc": float(((pv >= 0.5) == (yva > 0.5)).mean()),
                   "val_sens": float((pv[yva > 0.5] >= 0.5).mean()), "val_spec": float((pv[yva < 0.5] < 0.5).mean()),
                   "val_nll": float(np.mean(np.logaddexp(0, -lv) * yva + np.logaddexp(0, lv) * (1 - yva))),
                   "secs": time.time() - te}
        history.append(rec)
        log(json.dumps(rec))
        tmp = last_path + ".tmp"
        torch.save({"model": model.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(),
                    "gen": gen.get_state(), "perm_rng": perm_rng.bit_generator.state, "epoch": epoch,
                    "step": step, "history": history}, tmp)
        os.replace(tmp, last_path)

    torch.save({"ema": ema.state_dict(), "cfg": cfg, "task": args.task, "size": args.size, "mean": mean, "std": std,
                "seed": args.seed, "args": vars(args), "history": history,
                "n_train": len(tr_idx), "n_val": len(va_idx)}, final_path)
    log(f"done: {final_path}")


if __name__ == "__main__":
    main()
