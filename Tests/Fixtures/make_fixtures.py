#!/usr/bin/env python3
"""Writes the decode fixtures in Tests/Fixtures: valid PNGs and JPEGs of every kind RadLens reads,
and a corpus of malformed files. Synthetic content only (gradients and seeded noise), so the
fixtures carry no third-party data. Re-run after changing it: `python3 Tests/Fixtures/make_fixtures.py`.

PNGs are written by a small pure-Python encoder (so every colour type, bit depth and Adam7
interlacing is covered, independently of libpng); JPEGs by libjpeg-turbo's `cjpeg`.
Expected pixels are NOT stored: the tests compare RadLens against `pngtopam` and `djpeg`.
"""
import os
import random
import struct
import subprocess
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
VALID = os.path.join(HERE, "valid")
MALFORMED = os.path.join(HERE, "malformed")


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def pack_row(samples, bit_depth):
    """Packs one row of integer samples at bit_depth (1, 2, 4, 8, 16) into bytes."""
    if bit_depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    if bit_depth == 8:
        return bytes(samples)
    out, acc, bits = bytearray(), 0, 0
    for s in samples:
        acc = (acc << bit_depth) | s
        bits += bit_depth
        if bits == 8:
            out.append(acc)
            acc, bits = 0, 0
    if bits:
        out.append(acc << (8 - bits))
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def encode_png(width, height, color_type, bit_depth, pixels, palette=None, trns=None, interlace=False, sbit=None):
    """pixels: list of rows, each a list of per-pixel tuples of samples."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]

    def scanlines(rows, w):
        data = bytearray()
        for y, row in enumerate(rows):
            flat = [s for px in row for s in px]
            data.append(y % 5 if bit_depth >= 8 else 0)  # exercise all five filter types
            raw = pack_row(flat, bit_depth)
            data += apply_filter(y % 5 if bit_depth >= 8 else 0, raw, prev_raw[0] if y else bytes(len(raw)), max(1, channels * bit_depth // 8))
            prev_raw[0] = raw
        return data

    prev_raw = [b""]
    if interlace:
        data = bytearray()
        for x0, y0, dx, dy in ADAM7:
            sub = [[pixels[y][x] for x in range(x0, width, dx)] for y in range(y0, height, dy)]
            if sub and sub[0]:
                prev_raw[0] = b""
                data += scanlines(sub, len(sub[0]))
    else:
        data = scanlines(pixels, width)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 1 if interlace else 0))
    if sbit is not None:
        out += chunk(b"sBIT", bytes([sbit]))
    if palette is not None:
        out += chunk(b"PLTE", bytes(c for rgb in palette for c in rgb))
    if trns is not None:
        out += chunk(b"tRNS", trns)
    out += chunk(b"IDAT", zlib.compress(bytes(data), 9)) + chunk(b"IEND", b"")
    return out


def apply_filter(kind, raw, prev, bpp):
    out = bytearray(len(raw))
    for i, x in enumerate(raw):
        a = raw[i - bpp] if i >= bpp else 0
        b = prev[i] if prev else 0
        c = prev[i - bpp] if prev and i >= bpp else 0
        if kind == 0:
            pred = 0
        elif kind == 1:
            pred = a
        elif kind == 2:
            pred = b
        elif kind == 3:
            pred = (a + b) // 2
        else:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        out[i] = (x - pred) & 0xFF
    return bytes(out)


def synthetic(width, height, channels, maxval, seed):
    """A gradient with a disc and seeded noise: structure plus every code path of the filters."""
    rng = random.Random(seed)
    rows = []
    for y in range(height):
        row = []
        for x in range(width):
            base = (x * maxval) // max(1, width - 1)
            inside = (x - width / 2) ** 2 + (y - height / 2) ** 2 < (min(width, height) / 3) ** 2
            px = []
            for c in range(channels):
                v = base if not inside else maxval - (y * maxval) // max(1, height - 1)
                v = (v + rng.randint(-maxval // 16, maxval // 16) + c * maxval // 5) % (maxval + 1)
                px.append(v)
            row.append(tuple(px))
        rows.append(row)
    return rows


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def make_valid_pngs():
    w, h = 37, 29  # odd sizes exercise partial bytes and Adam7 edge passes
    cases = []
    for depth in (1, 2, 4, 8, 16):
        cases.append((f"gray{depth}", 0, depth))
    for depth in (8, 16):
        cases += [(f"gray-alpha{depth}", 4, depth), (f"rgb{depth}", 2, depth), (f"rgba{depth}", 6, depth)]
    for depth in (1, 2, 4, 8):
        cases.append((f"palette{depth}", 3, depth))
    for name, color_type, depth in cases:
        for interlace in (False, True):
            channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
            maxval = (1 << depth) - 1
            pixels = synthetic(w, h, channels, maxval, seed=zlib.crc32(name.encode()))
            palette = None
            trns = None
            if color_type == 3:
                palette = [((i * 53) % 256, (i * 97) % 256, (i * 151) % 256) for i in range(1 << depth)]
                if depth == 8:
                    trns = bytes((i * 7) % 256 for i in range(40))  # partial alpha table
            suffix = "-interlaced" if interlace else ""
            write(os.path.join(VALID, f"{name}{suffix}.png"),
                  encode_png(w, h, color_type, depth, pixels, palette, trns, interlace))
    # A 12-bit radiograph-like image stored in 16 bits, with sBIT saying 12.
    pixels = synthetic(64, 48, 1, 4095, seed=12)
    write(os.path.join(VALID, "gray16-sbit12.png"), encode_png(64, 48, 0, 16, pixels, sbit=12))
    # Gray with a tRNS colour key becomes gray+alpha.
    pixels = synthetic(16, 16, 1, 255, seed=3)
    write(os.path.join(VALID, "gray8-trns.png"), encode_png(16, 16, 0, 8, pixels, trns=struct.pack(">H", pixels[0][0][0])))
    write(os.path.join(VALID, "one-pixel.png"), encode_png(1, 1, 0, 8, [[(200,)]]))


def make_valid_jpegs():
    """Baseline and progressive, gray and colour, several subsamplings, via cjpeg."""
    w, h = 203, 157
    gray = synthetic(w, h, 1, 255, seed=1)
    rgb = synthetic(w, h, 3, 255, seed=2)
    pgm = f"P5 {w} {h} 255\n".encode() + bytes(px[0] for row in gray for px in row)
    ppm = f"P6 {w} {h} 255\n".encode() + bytes(s for row in rgb for px in row for s in px)
    variants = {
        "gray-baseline": (pgm, ["-quality", "90"]),
        "gray-progressive": (pgm, ["-quality", "90", "-progressive"]),
        "rgb-420-baseline": (ppm, ["-quality", "85", "-sample", "2x2"]),
        "rgb-422-progressive": (ppm, ["-quality", "85", "-sample", "2x1", "-progressive"]),
        "rgb-444-restart": (ppm, ["-quality", "95", "-sample", "1x1", "-restart", "2"]),
        "rgb-420-optimized": (ppm, ["-quality", "75", "-sample", "2x2", "-optimize"]),
    }
    for name, (source, args) in variants.items():
        out = subprocess.run(["cjpeg", *args], input=source, capture_output=True, check=True).stdout
        write(os.path.join(VALID, f"{name}.jpeg"), out)


def make_malformed():
    """Each file must yield a clear error naming the file, never a crash or hang."""
    png = open(os.path.join(VALID, "rgb8.png"), "rb").read()
    jpeg = open(os.path.join(VALID, "rgb-420-baseline.jpeg"), "rb").read()
    progressive = open(os.path.join(VALID, "gray-progressive.jpeg"), "rb").read()
    cases = {}
    for cut in (8, 16, 33, 40, 60, len(png) // 2, len(png) - 13, len(png) - 1):
        cases[f"png-truncated-at-{cut}.png"] = png[:cut]
    for cut in (3, 20, 100, 300, len(jpeg) // 2, len(jpeg) - 2):
        cases[f"jpeg-truncated-at-{cut}.jpeg"] = jpeg[:cut]
    cases["jpeg-progressive-truncated.jpeg"] = progressive[: len(progressive) * 2 // 3]
    bad_crc = bytearray(png)
    bad_crc[29] ^= 0xFF  # last byte of the IHDR CRC
    cases["png-bad-ihdr-crc.png"] = bytes(bad_crc)
    idat = png.index(b"IDAT")
    flipped = bytearray(png)
    flipped[idat + 20] ^= 0x5A  # inside the zlib stream: CRC fails
    cases["png-flipped-idat-byte.png"] = bytes(flipped)
    # Same flip with the CRC recomputed, so zlib itself must catch it.
    length = struct.unpack(">I", png[idat - 4: idat])[0]
    body = bytearray(png[idat: idat + 4 + length])
    body[20] ^= 0x5A
    cases["png-corrupt-zlib-valid-crc.png"] = png[:idat] + bytes(body) + struct.pack(">I", zlib.crc32(bytes(body)) & 0xFFFFFFFF) + png[idat + 8 + length:]

    def with_ihdr(width, height, depth=8, color=2):
        data = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", data) + png[33:]

    cases["png-huge-declared-size.png"] = with_ihdr(100000, 100000)
    cases["png-zero-width.png"] = with_ihdr(0, 29)
    cases["png-bad-bit-depth.png"] = with_ihdr(37, 29, depth=3)
    cases["png-bad-color-type.png"] = with_ihdr(37, 29, color=5)
    cases["png-more-rows-than-data.png"] = with_ihdr(37, 290)
    cases["png-no-iend.png"] = png[: png.index(b"IEND") - 4]
    cases["png-signature-only.png"] = png[:8]
    cases["png-palette-missing-plte.png"] = with_ihdr(37, 29, depth=8, color=3)
    sof = jpeg.index(b"\xff\xc0")
    huge = bytearray(jpeg)
    huge[sof + 5: sof + 9] = struct.pack(">HH", 65000, 65000)
    cases["jpeg-huge-declared-size.jpeg"] = bytes(huge)
    zero = bytearray(jpeg)
    zero[sof + 5: sof + 9] = struct.pack(">HH", 0, 0)
    cases["jpeg-zero-size.jpeg"] = bytes(zero)
    for offset in (sof + 9, len(jpeg) // 3):
        garbled = bytearray(jpeg)
        for i in range(offset, offset + 40):
            garbled[i] = (garbled[i] * 31 + 7) & 0xFF
        cases[f"jpeg-garbled-at-{offset}.jpeg"] = bytes(garbled)
    cases["jpeg-soi-only.jpeg"] = b"\xff\xd8\xff"
    cases["empty.png"] = b""
    cases["empty.jpeg"] = b""
    cases["text-renamed.png"] = b"This is a text file, not an image.\n"
    cases["text-renamed.jpeg"] = b"patient list\nname,id\n"
    cases["html-renamed.dcm.png"] = b"<!DOCTYPE html><html><body>404 Not Found</body></html>\n"
    cases["zeros.png"] = bytes(4096)
    cases["png-signature-then-garbage.png"] = png[:8] + bytes(range(256)) * 4
    cases["jpeg-marker-then-garbage.jpeg"] = b"\xff\xd8\xff\xe0" + bytes(range(255, -1, -1)) * 4
    for name, data in cases.items():
        write(os.path.join(MALFORMED, name), data)


if __name__ == "__main__":
    os.makedirs(VALID, exist_ok=True)
    os.makedirs(MALFORMED, exist_ok=True)
    make_valid_pngs()
    make_valid_jpegs()
    make_malformed()
    print(f"{len(os.listdir(VALID))} valid, {len(os.listdir(MALFORMED))} malformed fixtures")
