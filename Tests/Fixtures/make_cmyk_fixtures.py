"""CMYK and YCCK JPEGs, as print and scanner software writes them (`make fixtures`).

CMYK by Pillow (libjpeg stores it as CMYK with Adobe's marker and polarity); YCCK by
libjpeg-turbo's TurboJPEG API (`tjCompress2` from CMYK pixels writes YCCK), called through ctypes.
Expected pixels are NOT stored: the tests compare RadLens against Pillow's `convert("L")`.
"""
import ctypes
import ctypes.util
import os

import numpy as np
from PIL import Image

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cmyk")


def synthetic_cmyk(width, height, seed):
    """Smooth ink gradients with a band of noise: every ink and the black channel vary."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    inks = np.stack([x * 255 // (width - 1), y * 255 // (height - 1),
                     (x + y) * 255 // (width + height - 2), (x * y) * 255 // ((width - 1) * (height - 1))], axis=-1)
    inks[height // 3: height // 2] = rng.integers(0, 256, (height // 2 - height // 3, width, 4))
    return inks.astype(np.uint8)


def turbojpeg_ycck(pixels, subsampling, quality=90):
    """Compresses CMYK pixels (ink values; TurboJPEG writes Adobe polarity) to a YCCK JPEG."""
    lib = ctypes.CDLL(ctypes.util.find_library("turbojpeg") or "libturbojpeg.so.0")
    lib.tjInitCompress.restype = ctypes.c_void_p
    handle = lib.tjInitCompress()
    height, width, _ = pixels.shape
    # TurboJPEG takes CMYK samples in Adobe polarity (it stores what it is given).
    stored = np.ascontiguousarray(255 - pixels)
    out = ctypes.POINTER(ctypes.c_ubyte)()
    size = ctypes.c_ulong(0)
    tjpf_cmyk = 11
    status = lib.tjCompress2(ctypes.c_void_p(handle), stored.ctypes.data_as(ctypes.c_void_p), width, 0, height, tjpf_cmyk,
                             ctypes.byref(out), ctypes.byref(size), subsampling, quality, 0)
    assert status == 0, "tjCompress2 failed"
    data = ctypes.string_at(out, size.value)
    lib.tjFree(out)
    lib.tjDestroy(ctypes.c_void_p(handle))
    assert b"Adobe" in data[:200]
    return data


def main():
    os.makedirs(HERE, exist_ok=True)
    Image.fromarray(synthetic_cmyk(97, 61, 1), "CMYK").save(os.path.join(HERE, "cmyk-baseline.jpeg"), quality=92)
    Image.fromarray(synthetic_cmyk(80, 52, 2), "CMYK").save(os.path.join(HERE, "cmyk-progressive.jpeg"), quality=85, progressive=True)
    tjsamp_444, tjsamp_420 = 0, 2
    for name, samp in (("ycck-444.jpeg", tjsamp_444), ("ycck-420.jpeg", tjsamp_420)):
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(turbojpeg_ycck(synthetic_cmyk(75, 49, 3), samp))
    for name in sorted(os.listdir(HERE)):
        with Image.open(os.path.join(HERE, name)) as im:
            print(name, im.mode, im.size)


if __name__ == "__main__":
    main()
