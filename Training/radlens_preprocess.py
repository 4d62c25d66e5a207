"""RadLens preprocessing contract (reference implementation, numpy + Pillow only).

This file must NOT import torch: parity tests run it in a venv without torch.
The Swift side reimplements exactly these steps; every step is float32.

1. Decode with Pillow.
   - 3 channels (RGB): gray = 0.299*R + 0.587*G + 0.114*B, computed in float32 on the raw
     0..255 (or 0..65535) values, evaluated as (0.299*R + 0.587*G) + 0.114*B.
   - 2 channels (gray+alpha, "LA") / 4 channels (RGBA): alpha dropped first.
   - 1 channel: used as is. Palette ("P") images are expanded to RGB(A) first, "1" to "L".
2. Scale to [0, 1]: divide by (2**bits - 1), bits = 8 for 8-bit images, 16 for 16-bit ones.
3. Resize to (H, W) without keeping the aspect ratio (squash), antialiased bilinear
   (PIL / torch ``antialias=True`` triangle filter), separable, horizontal pass first, then
   vertical. Per axis, n_in -> n_out, scale = n_in / n_out:
       support  = scale if scale > 1 else 1.0
       invscale = 1 / scale if scale > 1 else 1.0
       for output i: center = scale * (i + 0.5)
                     xmin = max(int(center - support + 0.5), 0)
                     xmax = min(int(center + support + 0.5), n_in)
                     w_j  = max(0, 1 - abs((j - center + 0.5) * invscale)), j in [xmin, xmax)
                     weights normalised to sum 1.
   (Equals torch.nn.functional.interpolate(mode="bilinear", antialias=True,
   align_corners=False); see check_preprocess.py.)
4. Normalise: (x - mean) / std, one scalar mean and std (from the model manifest).

Output: float32 array of shape [1, H, W].

Schema-2 manifests may also ask for (``preprocess_with_manifest``):
- ``resize.keepAspect``: resize to the largest (w', h') of the image's aspect inside (W, H),
  w' = floor(w * s + 0.5) with s = min(W / w, H / h) (clamped to [1, W]), and centre it on black
  (0) at offset ((W - w') // 2, (H - h') // 2);
- ``scale``: "unit" keeps [0, 1]; "255" multiplies by 255; "xrv" maps to [-1024, 1024]
  (x * 2048 - 1024, TorchXRayVision) -- applied after the resize, black borders included;
- ``mean``/``std`` per channel, and ``input.channels`` 3: the gray plane replicated into each
  channel, each normalised with its own mean and std. Output [C, H, W].
"""

from __future__ import annotations

import json
import os
from typing import Tuple, Union

import numpy as np
from PIL import Image

GRAY_COEFFS = (0.299, 0.587, 0.114)

_SIXTEEN_BIT_MODES = {"I;16", "I;16B", "I;16L", "I;16N", "I"}


def _image_bits(img: Image.Image) -> int:
    """8 for 8-bit images, 16 for 16-bit gray images (Pillow modes I;16* and I)."""
    return 16 if img.mode in _SIXTEEN_BIT_MODES else 8


def decode_gray_unit(image: Union[str, os.PathLike, Image.Image]) -> np.ndarray:
    """Steps 1-2: decode, convert to one gray channel, scale to [0, 1]. Returns float32 [h, w]."""
    img = image if isinstance(image, Image.Image) else Image.open(image)
    img.load()
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    elif img.mode == "1":
        img = img.convert("L")
    elif img.mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        img = img.convert("RGB")
    bits = _image_bits(img)
    arr = np.asarray(img)
    if arr.ndim == 3:
        nch = arr.shape[2]
        if nch == 2:  # gray + alpha
            gray = arr[:, :, 0].astype(np.float32)
        elif nch in (3, 4):  # RGB / RGBA: drop alpha, then weighted sum
            r = arr[:, :, 0].astype(np.float32)
            g = arr[:, :, 1].astype(np.float32)
            b = arr[:, :, 2].astype(np.float32)
            gray = (np.float32(GRAY_COEFFS[0]) * r + np.float32(GRAY_COEFFS[1]) * g) \
                + np.float32(GRAY_COEFFS[2]) * b
        else:
            raise ValueError(f"unsupported channel count {nch}")
    elif arr.ndim == 2:
        gray = arr.astype(np.float32)
    else:
        raise ValueError(f"unsupported image array shape {arr.shape}")
    gray = gray.astype(np.float32) / np.float32(2 ** bits - 1)
    return np.ascontiguousarray(gray, dtype=np.float32)


def aa_weights(n_in: int, n_out: int) -> np.ndarray:
    """Dense [n_out, n_in] float32 matrix of the antialiased bilinear (triangle) filter."""
    scale = n_in / n_out
    support = scale if scale > 1.0 else 1.0
    invscale = 1.0 / scale if scale > 1.0 else 1.0
    m = np.zeros((n_out, n_in), dtype=np.float32)
    for i in range(n_out):
        center = scale * (i + 0.5)
        xmin = max(int(center - support + 0.5), 0)
        xmax = min(int(center + support + 0.5), n_in)
        j = np.arange(xmin, xmax, dtype=np.float64)
        w = np.maximum(0.0, 1.0 - np.abs((j - center + 0.5) * invscale))
        total = w.sum()
        if total > 0:
            w = w / total
        m[i, xmin:xmax] = w.astype(np.float32)
    return m


_WEIGHT_CACHE: dict = {}


def _cached_weights(n_in: int, n_out: int) -> np.ndarray:
    key = (n_in, n_out)
    w = _WEIGHT_CACHE.get(key)
    if w is None:
        w = aa_weights(n_in, n_out)
        if len(_WEIGHT_CACHE) < 256:
            _WEIGHT_CACHE[key] = w
    return w


def resize_aa(gray: np.ndarray, height: int, width: int) -> np.ndarray:
    """Step 3: squash-resize a float32 [h, w] image to [height, width]; horizontal pass first."""
    gray = np.asarray(gray, dtype=np.float32)
    h_in, w_in = gray.shape
    wh = _cached_weights(w_in, width)   # [W, w_in]
    wv = _cached_weights(h_in, height)  # [H, h_in]
    tmp = gray @ wh.T                   # horizontal: [h_in, W]
    out = wv @ tmp                      # vertical:   [H, W]
    return np.ascontiguousarray(out, dtype=np.float32)


def preprocess_unnormalized(image, height: int, width: int) -> np.ndarray:
    """Steps 1-3. Returns float32 [H, W] in [0, 1]."""
    return resize_aa(decode_gray_unit(image), height, width)


def normalize(x: np.ndarray, mean: float, std: float) -> np.ndarray:
    """Step 4."""
    return ((np.asarray(x, dtype=np.float32) - np.float32(mean)) / np.float32(std)).astype(np.float32)


def preprocess(image, height: int, width: int, mean: float, std: float) -> np.ndarray:
    """Steps 1-4. Returns float32 [1, H, W]."""
    x = normalize(preprocess_unnormalized(image, height, width), mean, std)
    return x[None, :, :]


def params_from_manifest(manifest: Union[str, os.PathLike, dict]) -> Tuple[int, int, float, float]:
    """(height, width, mean, std) from a RadLens model manifest (path or parsed dict)."""
    if not isinstance(manifest, dict):
        with open(manifest, "r", encoding="utf-8") as f:
            manifest = json.load(f)
    pre = manifest["preprocessing"]
    cg = [float(c) for c in pre.get("colorToGray", GRAY_COEFFS)]
    if any(abs(a - b) > 1e-12 for a, b in zip(cg, GRAY_COEFFS)):
        raise ValueError(f"unsupported colorToGray {cg}")
    if pre.get("scale", "unit") != "unit":
        raise ValueError(f"unsupported scale {pre.get('scale')}")
    rs = pre["resize"]
    if rs.get("method") != "bilinear-antialias" or rs.get("keepAspect", False):
        raise ValueError(f"unsupported resize {rs}")
    return int(rs["height"]), int(rs["width"]), float(pre["mean"]), float(pre["std"])


def preprocess_with_manifest(image, manifest) -> np.ndarray:
    """The whole manifest contract (schema 1 or 2). Returns float32 [C, H, W]."""
    if not isinstance(manifest, dict):
        with open(manifest, "r", encoding="utf-8") as f:
            manifest = json.load(f)
    pre, rs = manifest["preprocessing"], manifest["preprocessing"]["resize"]
    if rs.get("method") != "bilinear-antialias":
        raise ValueError(f"unsupported resize {rs}")
    height, width = int(rs["height"]), int(rs["width"])
    channels = int(manifest.get("input", {}).get("channels", 1))
    gray = decode_gray_unit(image)
    if rs.get("keepAspect", False):
        h_in, w_in = gray.shape
        s = min(width / w_in, height / h_in)
        fw = max(1, min(width, int(np.floor(w_in * s + 0.5))))
        fh = max(1, min(height, int(np.floor(h_in * s + 0.5))))
        x = np.zeros((height, width), dtype=np.float32)
        top, left = (height - fh) // 2, (width - fw) // 2
        x[top:top + fh, left:left + fw] = resize_aa(gray, fh, fw)
    else:
        x = resize_aa(gray, height, width)
    gain, offset = {"unit": (1.0, 0.0), "255": (255.0, 0.0), "xrv": (2048.0, -1024.0)}[pre.get("scale", "unit")]
    x = (x * np.float32(gain) + np.float32(offset)).astype(np.float32)
    means = pre["mean"] if isinstance(pre["mean"], list) else [pre["mean"]]
    stds = pre["std"] if isinstance(pre["std"], list) else [pre["std"]]
    planes = [normalize(x, means[c if len(means) > 1 else 0], stds[c if len(stds) > 1 else 0]) for c in range(channels)]
    return np.stack(planes).astype(np.float32)
