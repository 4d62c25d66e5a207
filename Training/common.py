"""Shared pieces of the cxr-pneumonia training: data listing, patient split, model, augmentation.

The Kermany data is read from ../shared/data/kermany-cxr (relative to the repository root) or
$RADLENS_KERMANY. Images are decoded and resized with radlens_preprocess (steps 1-3 of the
contract) into memory only; nothing derived from the images is written to disk.
"""
from __future__ import annotations

import hashlib
import os
import re
import sys
from typing import Dict, List, Tuple

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import radlens_preprocess as rp  # noqa: E402

DATA_ROOT = os.environ.get("RADLENS_KERMANY",
                           os.path.normpath(os.path.join(REPO, "..", "shared", "data", "kermany-cxr")))
SIZE_DIR = "224"
CLASSES = {"NORMAL": 0, "PNEUMONIA": 1}
# The subtype task (normal / bacterial / viral): the cause is in the file name of PNEUMONIA images.
SUBTYPES = ["normal", "bacterial", "viral"]
VAL_FRACTION = 0.15
SPLIT_SALT = "radlens-cxr-split-v1"


def require_data() -> None:
    d = os.path.join(DATA_ROOT, SIZE_DIR)
    if not os.path.isdir(d):
        sys.exit(f"Kermany chest X-ray data not found at {d}.\n"
                 f"Expected {DATA_ROOT}/224/{{train,test}}/{{NORMAL,PNEUMONIA}}/*.jpeg "
                 f"(set RADLENS_KERMANY to its location).")


def subtype_label(path: str) -> int:
    """0 normal, 1 bacterial (`*_bacteria_*`), 2 viral (`*_virus_*`), from folder and file name."""
    base = os.path.basename(path)
    if "/NORMAL/" in path:
        return 0
    if "_bacteria_" in base:
        return 1
    if "_virus_" in base:
        return 2
    raise ValueError(f"{path}: a PNEUMONIA file name names neither bacteria nor virus")


def list_split(split: str, task: str = "binary") -> List[Tuple[str, int]]:
    """[(path relative to DATA_ROOT, label)] for 224/<split>, sorted. Labels: 0/1 (normal,
    pneumonia) for task "binary", 0/1/2 (normal, bacterial, viral) for task "subtype"."""
    require_data()
    out = []
    for cls, lab in CLASSES.items():
        d = os.path.join(DATA_ROOT, SIZE_DIR, split, cls)
        for f in sorted(os.listdir(d)):
            if f.lower().endswith((".jpeg", ".jpg", ".png")):
                path = f"{SIZE_DIR}/{split}/{cls}/{f}"
                out.append((path, lab if task == "binary" else subtype_label(path)))
    return out


def patient_id(filename: str) -> str:
    """personN_... -> personN; IM-XXXX-... -> IM-XXXX; NORMAL2-IM-XXXX-... -> NORMAL2-IM-XXXX."""
    base = os.path.basename(filename)
    m = re.match(r"^(person\d+)_", base)
    if m:
        return m.group(1)
    m = re.match(r"^((?:NORMAL2-)?IM-\d+)-", base)
    if m:
        return m.group(1)
    raise ValueError(f"cannot parse patient of {base}")


def patient_split(items: List[Tuple[str, int]]) -> Tuple[List[int], List[int]]:
    """Deterministic split of train/ by patient: a patient goes to validation when the hash of
    (salt, patient id) falls in the lowest VAL_FRACTION. Returns (train indices, val indices)."""
    tr, va = [], []
    for i, (p, _) in enumerate(items):
        h = hashlib.sha256(f"{SPLIT_SALT}:{patient_id(p)}".encode()).digest()
        u = int.from_bytes(h[:8], "big") / 2 ** 64
        (va if u < VAL_FRACTION else tr).append(i)
    return tr, va


def load_images(items: List[Tuple[str, int]], size: int) -> np.ndarray:
    """Steps 1-3 of the contract for every item, in memory. float32 [N, size, size] in [0, 1]."""
    out = np.empty((len(items), size, size), dtype=np.float32)
    for i, (p, _) in enumerate(items):
        out[i] = rp.preprocess_unnormalized(os.path.join(DATA_ROOT, p), size, size)
    return out


# ----------------------------------------------------------------------------- torch parts
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


class Block(nn.Module):
    """ResNet basic block (Conv-BN-ReLU-Conv-BN + shortcut, ReLU)."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        s = x if self.short is None else self.short(x)
        return F.relu(y + s)


class CxrNet(nn.Module):
    """Compact grayscale ResNet. Input [N,1,H,W]; stem stride 2 + max-pool, then 4 stages
    (strides 1,2,2,2) -> feature map at H/32; GAP; one Linear -> `outputs` logits (1: pneumonia;
    3: normal, bacterial, viral)."""

    def __init__(self, widths=(32, 64, 128, 192), blocks=(1, 1, 2, 1), stem=24, dropout=0.2, outputs=1):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(1, stem, 3, 2, 1, bias=False), nn.BatchNorm2d(stem), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1))
        layers, cin = [], stem
        for si, (w, n) in enumerate(zip(widths, blocks)):
            for bi in range(n):
                layers.append(Block(cin, w, 2 if (bi == 0 and si > 0) else 1))
                cin = w
        self.body = nn.Sequential(*layers)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(cin, outputs)
        self.num_features = cin

    def forward_all(self, x):
        fmap = self.body(self.stem(x))
        feats = torch.flatten(F.adaptive_avg_pool2d(fmap, 1), 1)
        logits = self.fc(self.drop(feats))
        return logits, feats, fmap

    def forward(self, x):
        return self.forward_all(x)[0]


class EnsembleNet(nn.Module):
    """Mean-of-logits ensemble written as ONE network: feature maps concatenated along channels,
    features = GAP(concat), final Linear = concatenated member weights / K, bias = mean bias.
    So logits = mean of member logits exactly, and CAM stays a single weighted sum."""

    def __init__(self, members: List[CxrNet]):
        super().__init__()
        self.members = nn.ModuleList(members)
        k = len(members)
        w = torch.cat([m.fc.weight.detach() for m in members], dim=1) / k
        b = torch.stack([m.fc.bias.detach() for m in members]).mean(0)
        self.fc = nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            self.fc.weight.copy_(w)
            self.fc.bias.copy_(b)
        self.num_features = w.shape[1]

    def forward_all(self, x):
        fmap = torch.cat([m.body(m.stem(x)) for m in self.members], dim=1)
        feats = torch.flatten(F.adaptive_avg_pool2d(fmap, 1), 1)
        return self.fc(feats), feats, fmap

    def forward(self, x):
        return self.forward_all(x)[0]


class ExportWrapper(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, image):
        return self.net.forward_all(image)


def aa_resize_t(x: torch.Tensor, size: int) -> torch.Tensor:
    return F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Train-time augmentation on a batch [N,1,S,S] of contract step-3 images in [0,1]:
    geometry (rotation +-10 deg, scale 0.85-1.15, aspect +-10%, shift +-8%), resolution
    (p=0.5: down to 40-100% of S and back up), blur (p=0.2), gamma exp(U(-0.5,0.5)),
    contrast 0.6-1.4 and brightness +-0.12 about the image mean, Gaussian noise (p=0.3, sd<=0.03),
    cut-out (p=0.3, one box up to 30% per side). Output clipped to [0,1]."""
    n, _, s, _ = x.shape

    def U(lo, hi, *shape):
        return lo + (hi - lo) * torch.rand(*(shape or (n,)), generator=gen)

    # geometry
    ang = U(-10, 10) * np.pi / 180
    sc = U(0.85, 1.15)
    asp = torch.exp(U(-0.1, 0.1))
    sx, sy = 1 / (sc * asp), asp / sc
    tx, ty = U(-0.08, 0.08), U(-0.08, 0.08)
    cos, sin = torch.cos(ang), torch.sin(ang)
    theta = torch.stack([torch.stack([cos * sx, -sin * sx, tx], 1),
                         torch.stack([sin * sy, cos * sy, ty], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    # resolution
    if torch.rand(1, generator=gen).item() < 0.5:
        lo = int(s * float(U(0.4, 1.0, 1)))
        x = aa_resize_t(aa_resize_t(x, max(lo, 16)), s)
    # blur
    if torch.rand(1, generator=gen).item() < 0.2:
        k = torch.tensor([1.0, 2.0, 1.0]) / 4
        x = F.pad(x, (1, 1, 1, 1), mode="replicate")
        x = F.conv2d(x, k.view(1, 1, 1, 3))
        x = F.conv2d(x, k.view(1, 1, 3, 1))
    # intensity
    x = x.clamp(1e-4, 1.0) ** torch.exp(U(-0.5, 0.5)).view(n, 1, 1, 1)
    m = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - m) * U(0.6, 1.4).view(n, 1, 1, 1) + m + U(-0.12, 0.12).view(n, 1, 1, 1)
    noise_on = (torch.rand(n, generator=gen) < 0.3).float().view(n, 1, 1, 1)
    x = x + noise_on * U(0, 0.03).view(n, 1, 1, 1) * torch.randn(x.shape, generator=gen)
    # cut-out
    cut = torch.rand(n, generator=gen) < 0.3
    if cut.any():
        yy = torch.arange(s).view(1, s, 1)
        xx = torch.arange(s).view(1, 1, s)
        h = (U(0.1, 0.3) * s).view(n, 1, 1)
        w = (U(0.1, 0.3) * s).view(n, 1, 1)
        y0 = (U(0, 1) * s).view(n, 1, 1) - h / 2
        x0 = (U(0, 1) * s).view(n, 1, 1) - w / 2
        box = (yy >= y0) & (yy < y0 + h) & (xx >= x0) & (xx < x0 + w) & cut.view(n, 1, 1)
        fill = U(0, 1).view(n, 1, 1)
        x = torch.where(box.unsqueeze(1), fill.unsqueeze(1).expand(n, 1, 1, 1), x)
    return x.clamp(0.0, 1.0)


def build_model(cfg: Dict) -> CxrNet:
    return CxrNet(widths=tuple(cfg["widths"]), blocks=tuple(cfg["blocks"]), stem=cfg["stem"],
                  dropout=cfg.get("dropout", 0.2), outputs=cfg.get("outputs", 1))
