"""Builds the DICOM test fixtures of RadLens: copies real files from the PyPI packages pydicom and
pydicom-data (MIT), writes pydicom's decoded pixels as references, writes a malformed corpus and a
file with planted identifiers (PHI).

Run with the test venv (pydicom, numpy, pylibjpeg, pylibjpeg-openjpeg, pylibjpeg-rle):

    .venv-test/bin/python Tests/Fixtures/dicom/make_references.py

Outputs, all under Tests/Fixtures/dicom/:
  files/*.dcm                 the real files, copied unchanged, and some of them re-encoded by DCMTK
                              (dcmcjpeg: JPEG lossless; dcmcjpls: JPEG-LS), as PACS archives hold them
  references/<name>.json      shape, dtype and checksums of pydicom's pixel_array (frame 0 or `frame`)
  references/<name>.i32       pydicom's values as little-endian int32, full frame when the frame has
                              at most 10,000 samples, else every `stride`-th row and column
  files/tiny_valid.dcm        the 8x8 file the malformed and hostile files are made from
  files/MR_small_implicit_no_meta.dcm  MR_small_implicit.dcm without preamble and file meta group
  malformed/*.dcm             damaged files, each of which must give a DecodeError
  hostile/*.dcm               absurd rescale, window and LUT values: must decode or fail, never trap
  phi/planted.dcm             PatientName PHI^PLANTED, PatientID PHI-ID-12345, BirthDate 19010101
"""
import json
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pydicom
import pydicom.data
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels import apply_color_lut, apply_modality_lut
from pydicom.uid import ExplicitVRLittleEndian

HERE = Path(__file__).resolve().parent
PYDICOM_TEST_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
DATA_STORE = Path(pydicom.__file__).parent.parent / "data_store" / "data"
ENCODED = Path(tempfile.mkdtemp(prefix="radlens-dcmtk-"))

# Re-encodings by DCMTK (Debian dcmtk 3.6.7): (output name, tool, options, source file, source folder).
DCMTK_ENCODINGS = [
    ("RG1_jpeg_lossless_sv1.dcm", "dcmcjpeg", ["+e1"], "RG1_UNCR.dcm", DATA_STORE),       # .70, the archive's CR case
    ("CT_small_jpeg_lossless_sv5.dcm", "dcmcjpeg", ["+el", "+sv", "5"], "CT_small.dcm", PYDICOM_TEST_FILES),  # .57, signed
    ("MR_small_jpeg_lossless_sv7_pt2.dcm", "dcmcjpeg", ["+el", "+sv", "7", "+pt", "2"], "MR_small.dcm", PYDICOM_TEST_FILES),
    ("SC_rgb_jpeg_lossless_sv1.dcm", "dcmcjpeg", ["+e1"], "SC_rgb_small_odd.dcm", PYDICOM_TEST_FILES),  # 3 components
    ("CT_small_jpeg_ls_lossless.dcm", "dcmcjpls", ["+el"], "CT_small.dcm", PYDICOM_TEST_FILES),  # .80, signed
    ("emri_small_jpeg_ls_near.dcm", "dcmcjpls", ["+en", "+md", "3"], "emri_small.dcm", DATA_STORE),  # .81, 10 frames (unsigned: DCMTK codes no signed near-lossless)
    ("SC_rgb_jpeg_ls_planar.dcm", "dcmcjpls", ["+el", "+in"], "SC_rgb_small_odd.dcm", PYDICOM_TEST_FILES),  # not interleaved
]

# (file name, source folder, frame to reference)
FILES = [
    ("RG1_UNCR.dcm", DATA_STORE, 0),             # CR chest PA, MONOCHROME1, 15 bits stored, explicit LE
    ("RG1_J2KR.dcm", DATA_STORE, 0),             # the same image, JPEG 2000 lossless
    ("RG3_J2KR.dcm", DATA_STORE, 0),             # CR, JPEG 2000 lossless
    ("RG3_J2KI.dcm", DATA_STORE, 0),             # the same image, JPEG 2000 lossy
    ("emri_small.dcm", DATA_STORE, 3),           # MR multi-frame (10 frames)
    ("emri_small_RLE.dcm", DATA_STORE, 3),       # the same, RLE lossless
    ("SC_ybr_full_uncompressed.dcm", DATA_STORE, 0),  # YBR_FULL native
    ("vlut_04.dcm", DATA_STORE, 0),              # VOI LUT Sequence
    ("mlut_18.dcm", DATA_STORE, 0),              # Modality LUT Sequence
    ("examples_palette.dcm", PYDICOM_TEST_FILES, 0),  # PALETTE COLOR
    ("CT_small.dcm", PYDICOM_TEST_FILES, 0),     # signed CT with rescale
    ("MR_small.dcm", PYDICOM_TEST_FILES, 0),     # explicit LE
    ("MR_small_implicit.dcm", PYDICOM_TEST_FILES, 0),
    ("MR_small_bigendian.dcm", PYDICOM_TEST_FILES, 0),  # explicit VR big endian
    ("MR_small_RLE.dcm", PYDICOM_TEST_FILES, 0),
    ("MR_small_jp2klossless.dcm", PYDICOM_TEST_FILES, 0),
    ("image_dfl.dcm", PYDICOM_TEST_FILES, 0),    # deflated explicit VR LE
    ("SC_rgb_jpeg_dcmtk.dcm", PYDICOM_TEST_FILES, 0),  # JPEG baseline, YBR_FULL_422
    ("SC_ybr_full_422_uncompressed.dcm", PYDICOM_TEST_FILES, 0),
    ("SC_jpeg_no_color_transform.dcm", PYDICOM_TEST_FILES, 0),  # RGB JPEG without colour transform
    ("SC_rgb_jpeg.dcm", PYDICOM_TEST_FILES, 0),  # the same kind, short APP14; declared explicit, written implicit
    ("J2K_pixelrep_mismatch.dcm", PYDICOM_TEST_FILES, 0),  # signed dataset, unsigned J2K codestream
    ("SC_rgb_rle.dcm", PYDICOM_TEST_FILES, 0),
    ("SC_rgb_small_odd.dcm", PYDICOM_TEST_FILES, 0),
    ("SC_rgb_small_odd_big_endian.dcm", PYDICOM_TEST_FILES, 0),
    ("ExplVR_LitEndNoMeta.dcm", PYDICOM_TEST_FILES, None),  # no preamble, explicit LE, no pixels
    ("ExplVR_BigEndNoMeta.dcm", PYDICOM_TEST_FILES, None),  # no preamble, explicit BE, no pixels
    ("JPEG-lossy.dcm", PYDICOM_TEST_FILES, None),  # JPEG extended 12-bit: unsupported here
    ("MR_small_jpeg_ls_lossless.dcm", PYDICOM_TEST_FILES, 0),  # JPEG-LS lossless, from pydicom
] + [(name, ENCODED, 0) for name, *_ in DCMTK_ENCODINGS]

# HTJ2K encodings by OpenJPH (Debian openjph-tools 0.9, ojph_compress), one codestream per frame:
# (output name, transfer syntax, ojph options, source file, source folder, frame to reference).
HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL, HTJ2K = "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203"
OPENJPH_ENCODINGS = [
    ("CT_small_htj2k_lossless.dcm", HTJ2K_LOSSLESS, ["-reversible", "true", "-prog_order", "LRCP"], "CT_small.dcm", PYDICOM_TEST_FILES, 0),  # signed 16-bit
    ("emri_small_htj2k_rpcl.dcm", HTJ2K_LOSSLESS_RPCL, ["-reversible", "true", "-prog_order", "RPCL"], "emri_small.dcm", DATA_STORE, 3),  # 12-bit, 10 frames
    ("image_dfl_htj2k_lossy.dcm", HTJ2K, ["-reversible", "false", "-qstep", "0.01"], "image_dfl.dcm", PYDICOM_TEST_FILES, 0),  # 8-bit, irreversible
]


# pylibjpeg-libjpeg 2.5.0 returns -1 for every sample of a lossless JPEG with a point transform;
# DCMTK's own decoder (dcmdjpeg) gives the original values with their low Pt bits cleared, as
# T.81 H.1 specifies. These references come from dcmdjpeg's output instead.
REFERENCE_BY_DCMDJPEG = {"MR_small_jpeg_lossless_sv7_pt2.dcm"}


def encode_with_dcmtk() -> None:
    for name, tool, options, source, folder in DCMTK_ENCODINGS:
        subprocess.run([tool, *options, str(folder / source), str(ENCODED / name)], check=True)

def encode_with_openjph() -> None:
    """Each frame as raw planar samples (.yuv: little-endian 16-bit above 8 bits) through
    ojph_compress; the codestreams encapsulated one fragment per frame. Lossless ones must give
    back the source's values exactly (checked here, before any reference is written)."""
    for name, syntax, options, source, folder, _ in OPENJPH_ENCODINGS:
        ds = pydicom.dcmread(folder / source)
        frames = ds.pixel_array.reshape(-1, ds.Rows, ds.Columns)
        signed = ds.PixelRepresentation == 1
        codestreams = []
        for index, frame in enumerate(frames):
            raw, j2c = ENCODED / f"{name}-{index}.yuv", ENCODED / f"{name}-{index}.j2c"
            frame.astype("<i2" if signed else "<u2" if ds.BitsAllocated > 8 else "u1").tofile(raw)
            subprocess.run(["ojph_compress", "-i", str(raw), "-o", str(j2c), *options,
                            "-dims", f"{{{ds.Columns},{ds.Rows}}}", "-num_comps", "1", "-signed", "true" if signed else "false",
                            "-bit_depth", str(ds.BitsStored), "-downsamp", "{1,1}"], check=True, capture_output=True)
            codestreams.append(j2c.read_bytes())
        ds.file_meta.TransferSyntaxUID = syntax
        ds.PixelData = pydicom.encaps.encapsulate(codestreams)
        ds["PixelData"].VR = "OB"
        ds["PixelData"].is_undefined_length = True
        if syntax == HTJ2K:
            ds.LossyImageCompression = "01"
            ds.LossyImageCompressionMethod = "ISO_15444_15"
        ds.save_as(ENCODED / name, enforce_file_format=True)
        decoded = pydicom.dcmread(ENCODED / name).pixel_array.reshape(frames.shape)
        if syntax != HTJ2K:
            assert np.array_equal(decoded, frames), f"{name}: OpenJPH lossless round trip differs"

MASK64 = (1 << 64) - 1


def checksums(values: np.ndarray) -> dict:
    """Order-sensitive checksums of int64 values, computed mod 2**64 (exact in Swift too)."""
    v = values.astype(np.int64).ravel().astype(np.uint64)
    index = np.arange(1, v.size + 1, dtype=np.uint64)
    weights = (index * index) % np.uint64(65521) + np.uint64(1)
    with np.errstate(over="ignore"):
        return {
            "sum": int(np.sum(v, dtype=np.uint64)),
            "weighted": int(np.sum(v * index, dtype=np.uint64)),
            "weighted2": int(np.sum(v * weights, dtype=np.uint64)),
        }


def reference(name: str, arr: np.ndarray, out: Path, extra: dict) -> None:
    arr = np.asarray(arr)
    info = {"shape": list(arr.shape), "dtype": str(arr.dtype), "min": float(arr.min()),
            "max": float(arr.max()), "mean": float(arr.mean())}
    ints = np.rint(arr).astype(np.int64)
    info.update(checksums(ints))
    stride = 1
    rows = arr.shape[0]
    while ints[::stride, ::stride].size > 10_000:
        stride *= 2
    info["stride"] = stride
    info.update(extra)
    ints[::stride, ::stride].astype("<i4").tofile(f"{out}.i32")
    Path(f"{out}.json").write_text(json.dumps(info, indent=1) + "\n")


def make_references() -> None:
    """pydicom picks the first decoder available per syntax; with pylibjpeg-libjpeg installed it
    decodes JPEG baseline with libjpeg instead of Pillow, so SC_jpeg_no_color_transform and
    SC_rgb_jpeg references move by up to 2 (see PydicomReferenceTests.tolerance): keep the
    committed ones unless that is intended."""
    encode_with_dcmtk()
    encode_with_openjph()
    shutil.rmtree(HERE / "references", ignore_errors=True)
    files = HERE / "files"
    refs = HERE / "references"
    files.mkdir(exist_ok=True)
    refs.mkdir(exist_ok=True)
    for name, folder, frame in FILES + [(name, ENCODED, frame) for name, *_, frame in OPENJPH_ENCODINGS]:
        write_reference(name, folder, frame, files, refs)


def make_htj2k_references() -> None:
    """Only the HTJ2K files and their references (the others stay as committed)."""
    encode_with_openjph()
    for name, *_, frame in OPENJPH_ENCODINGS:
        write_reference(name, ENCODED, frame, HERE / "files", HERE / "references")


def write_reference(name: str, folder: Path, frame: int | None, files: Path, refs: Path) -> None:
    """Copies `name` into files/ and writes pydicom's decoded values of `frame` into refs/."""
    shutil.copyfile(folder / name, files / name)
    if frame is None:
        return
    ds = pydicom.dcmread(folder / name, force=True)
    if name in REFERENCE_BY_DCMDJPEG:
        decoded = ENCODED / ("dcmdjpeg-" + name)
        subprocess.run(["dcmdjpeg", str(folder / name), str(decoded)], check=True)
        ds = pydicom.dcmread(decoded)
    if "TransferSyntaxUID" not in ds.file_meta:  # no file meta: pydicom found the encoding
        ds.file_meta.TransferSyntaxUID = (pydicom.uid.ImplicitVRLittleEndian if ds.is_implicit_VR
                                          else pydicom.uid.ExplicitVRLittleEndian)
    if "PixelData" not in ds:
        print(f"{name}: no pixel data, no reference")
        return
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    stem = refs / Path(name).stem
    # Stored values (YBR converted to RGB as pydicom 3 does by default).
    arr = ds.pixel_array
    if frames > 1:
        arr = arr[frame]
    reference(name, arr, stem, {"frame": frame, "photometric": str(ds.PhotometricInterpretation)})
    if ds.get("SamplesPerPixel", 1) == 1 and ds.PhotometricInterpretation != "PALETTE COLOR":
        modality = apply_modality_lut(arr, ds)
        reference(name, modality, refs / (Path(name).stem + ".modality"), {"frame": frame})
    if ds.PhotometricInterpretation == "PALETTE COLOR":
        rgb = apply_color_lut(arr, ds)
        reference(name, rgb, refs / (Path(name).stem + ".rgb"), {"frame": frame})


# ---------------------------------------------------------------------------------------------
# Malformed corpus: hand-built explicit VR little endian files with known byte offsets.

def element(group: int, elem: int, vr: str, value: bytes, length: int | None = None) -> bytes:
    if len(value) % 2:
        value += b"\0" if vr in ("OB", "UI", "UN") else b" "
    n = len(value) if length is None else length
    head = struct.pack("<HH", group, elem) + vr.encode("ascii", "replace")[:2].ljust(2, b"?")
    if vr in ("OB", "OW", "OF", "SQ", "UT", "UN", "UC", "UR", "OD", "OL", "OV", "SV", "UV"):
        return head + b"\0\0" + struct.pack("<I", n & 0xFFFFFFFF) + value
    return head + struct.pack("<H", n & 0xFFFF) + value


def item(content: bytes, length: int | None = None) -> bytes:
    n = len(content) if length is None else length
    return struct.pack("<HHI", 0xFFFE, 0xE000, n & 0xFFFFFFFF) + content


ITEM_END = struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
SEQ_END = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)


def meta(ts: str = "1.2.840.10008.1.2.1") -> bytes:
    body = (element(0x0002, 0x0001, "OB", b"\0\1")
            + element(0x0002, 0x0002, "UI", b"1.2.840.10008.5.1.4.1.1.7")
            + element(0x0002, 0x0003, "UI", b"1.2.3.4")
            + element(0x0002, 0x0010, "UI", ts.encode()))
    return b"\0" * 128 + b"DICM" + element(0x0002, 0x0000, "UL", struct.pack("<I", len(body))) + body


def image_module(rows=8, cols=8, bits=16, extra=b"", pixel=None, pixel_length=None, pixel_vr="OW") -> bytes:
    if pixel is None:
        pixel = bytes(range(256)) * (rows * cols * bits // 8 // 256 + 1)
        pixel = pixel[: rows * cols * bits // 8]
    return (element(0x0008, 0x0060, "CS", b"OT")
            + extra
            + element(0x0028, 0x0002, "US", struct.pack("<H", 1))
            + element(0x0028, 0x0004, "CS", b"MONOCHROME2")
            + element(0x0028, 0x0010, "US", struct.pack("<H", rows))
            + element(0x0028, 0x0011, "US", struct.pack("<H", cols))
            + element(0x0028, 0x0100, "US", struct.pack("<H", bits))
            + element(0x0028, 0x0101, "US", struct.pack("<H", bits))
            + element(0x0028, 0x0102, "US", struct.pack("<H", bits - 1 if bits else 0))
            + element(0x0028, 0x0103, "US", struct.pack("<H", 0))
            + element(0x7FE0, 0x0010, pixel_vr, pixel, pixel_length))


def make_malformed() -> None:
    out = HERE / "malformed"
    out.mkdir(exist_ok=True)
    for old in out.glob("*.dcm"):
        old.unlink()
    valid = meta() + image_module()
    (HERE / "files" / "tiny_valid.dcm").write_bytes(valid)  # the base; decodes fine
    cases: dict[str, bytes] = {}
    for cut in (1, 64, 130, 136, 150, 200, len(meta()) + 4, len(meta()) + 30, len(valid) - 200, len(valid) - 1):
        cases[f"truncated-at-{cut}"] = valid[:cut]
    cases["preamble-only"] = b"\0" * 128 + b"DICM"
    cases["pixel-length-past-end"] = meta() + image_module(pixel_length=0x00100000)
    cases["string-length-past-end"] = meta() + element(0x0008, 0x0060, "LO", b"OT", length=0x7FFE)
    cases["huge-length"] = meta() + element(0x0008, 0x103E, "UT", b"x", length=0xFFFFFFF0) + image_module()
    cases["undefined-length-text"] = meta() + element(0x0008, 0x103E, "UT", b"", length=0xFFFFFFFF) + image_module()
    nested = b""
    for _ in range(200):
        nested = element(0x0040, 0x0275, "SQ", item(nested + ITEM_END, 0xFFFFFFFF) + SEQ_END, 0xFFFFFFFF)
    cases["deep-nesting"] = meta() + nested + image_module()
    cases["sequence-without-delimiter"] = meta() + element(0x0040, 0x0275, "SQ", item(b"", 0xFFFFFFFF), 0xFFFFFFFF)
    cases["item-longer-than-sequence"] = meta() + element(0x0040, 0x0275, "SQ", item(element(0x0008, 0x0060, "CS", b"OT"), 4000), 20) + image_module()
    cases["wrong-vr-bytes"] = meta() + element(0x0008, 0x0060, "\x01\x02", b"OT") + image_module()
    cases["rows-as-sequence"] = meta() + element(0x0028, 0x0010, "SQ", item(b"\1\2\3\4")) + image_module()[14:]
    cases["bad-transfer-syntax"] = meta("1.2.3.4.999") + image_module()
    cases["empty-transfer-syntax"] = meta("") + image_module()
    cases["zero-rows"] = meta() + image_module(rows=0)
    cases["huge-dimensions"] = meta() + image_module(rows=65535, cols=65535, pixel=b"\0" * 128)
    cases["bits-allocated-zero"] = meta() + image_module(bits=0, pixel=b"\0" * 128)
    cases["pixel-data-too-short"] = meta() + image_module(pixel=b"\0" * 10)
    cases["no-pixel-data"] = meta() + element(0x0008, 0x0060, "CS", b"OT")
    cases["meta-length-past-end"] = b"\0" * 128 + b"DICM" + element(0x0002, 0x0000, "UL", struct.pack("<I", 0x7FFFFFFF)) + meta()[144:]
    cases["encapsulated-syntax-native-pixels"] = meta("1.2.840.10008.1.2.4.50") + image_module()
    jpeg_frag = item(b"") + item(b"\xFF\xD8\xFF\xE0garbage-not-a-jpeg") + SEQ_END
    cases["jpeg-garbage-fragment"] = meta("1.2.840.10008.1.2.4.50") + image_module(bits=8, pixel=jpeg_frag, pixel_length=0xFFFFFFFF, pixel_vr="OB")
    j2k_frag = item(b"") + item(b"\xFF\x4F\xFF\x51\x00\x29garbage-not-a-codestream") + SEQ_END
    cases["j2k-garbage-fragment"] = meta("1.2.840.10008.1.2.4.90") + image_module(pixel=j2k_frag, pixel_length=0xFFFFFFFF, pixel_vr="OB")
    rle_frag = item(b"") + item(struct.pack("<16I", 2, 64, 9000, *([0] * 13)) + b"\x00" * 40) + SEQ_END
    cases["rle-bad-segments"] = meta("1.2.840.10008.1.2.5") + image_module(pixel=rle_frag, pixel_length=0xFFFFFFFF, pixel_vr="OB")
    cases["fragments-without-delimiter"] = meta("1.2.840.10008.1.2.5") + image_module(pixel=item(b"") + item(b"\0" * 64), pixel_length=0xFFFFFFFF, pixel_vr="OB")
    rle_tiny = item(b"") + item(struct.pack("<16I", 1, 64, *([0] * 14)) + b"\x81\x00" * 8) + SEQ_END
    cases["rle-huge-claim"] = meta("1.2.840.10008.1.2.5") + image_module(rows=12000, cols=12000, bits=8, pixel=rle_tiny, pixel_length=0xFFFFFFFF, pixel_vr="OB")
    deflated = meta("1.2.840.10008.1.2.1.99") + b"\x12\x34\x56garbage that is not deflate data"
    cases["deflate-garbage"] = deflated
    for name, data in cases.items():
        (out / f"{name}.dcm").write_bytes(data)
    print(f"{len(cases)} malformed files")


def make_hostile() -> None:
    """Valid structure, absurd values: each must decode or fail cleanly, never trap."""
    out = HERE / "hostile"
    out.mkdir(exist_ok=True)
    lut_item = item(element(0x0028, 0x3002, "US", struct.pack("<3H", 0, 0, 16)) + element(0x0028, 0x3006, "OW", b""))
    cases = {
        "rescale-huge": element(0x0028, 0x1052, "DS", b"-1e308") + element(0x0028, 0x1053, "DS", b"1e300"),
        "rescale-nan": element(0x0028, 0x1052, "DS", b"NaN") + element(0x0028, 0x1053, "DS", b"inf"),
        "window-negative": element(0x0028, 0x1050, "DS", b"inf") + element(0x0028, 0x1051, "DS", b"-5"),
        "window-tiny": element(0x0028, 0x1050, "DS", b"1e308") + element(0x0028, 0x1051, "DS", b"1e-300"),
        "lut-empty": element(0x0028, 0x3000, "SQ", lut_item) + element(0x0028, 0x3010, "SQ", lut_item),
        "lut-descriptor-text": element(0x0028, 0x3010, "SQ", item(element(0x0028, 0x3002, "DS", b"1e300\\-1e300\\99"))),
        "voi-function-unknown": element(0x0028, 0x1050, "DS", b"100") + element(0x0028, 0x1051, "DS", b"50") + element(0x0028, 0x1056, "CS", b"CUBIC"),
    }
    for name, extra in cases.items():
        body = image_module()
        # The extra (0028,1050...) elements go after Pixel Representation, before Pixel Data.
        split = body.index(struct.pack("<HH", 0x7FE0, 0x0010))
        (out / f"{name}.dcm").write_bytes(meta() + body[:split] + extra + body[split:])
    print(f"{len(cases)} hostile files")


def make_phi() -> None:
    out = HERE / "phi"
    out.mkdir(exist_ok=True)
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1"
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.8.498.1"
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.PatientName = "PHI^PLANTED"
    ds.PatientID = "PHI-ID-12345"
    ds.PatientBirthDate = "19010101"
    ds.PatientSex = "O"
    ds.PatientAge = "125Y"
    ds.PatientAddress = "PHI-ADDRESS 1 Planted Street"
    ds.OtherPatientIDs = "PHI-OTHER-777"
    ds.AccessionNumber = "PHI-ACC-999"
    ds.InstitutionName = "PHI-INSTITUTION"
    ds.ReferringPhysicianName = "PHI^REFERRER"
    ds.OperatorsName = "PHI^OPERATOR"
    ds.StudyDate = "19020202"
    ds.StudyTime = "101010"
    ds.StationName = "PHI-STATION"
    ds.DeviceSerialNumber = "PHI-SERIAL-42"
    ds.Modality = "CR"
    ds.BodyPartExamined = "CHEST"
    ds.ViewPosition = "PA"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.2"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.8.498.3"
    inner = Dataset()
    inner.PatientName = "PHI^NESTED"
    inner.CodeValue = "T-D3000"
    ds.RequestAttributesSequence = [inner]
    ds.add_new(0x00091010, "LO", "PHI-PRIVATE")
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = 4
    ds.Columns = 4
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = bytes(range(16))
    ds.save_as(out / "planted.dcm", enforce_file_format=True)


def make_without_preamble() -> None:
    """MR_small_implicit.dcm without its preamble and file meta group: a bare Implicit VR LE dataset."""
    data = (PYDICOM_TEST_FILES / "MR_small_implicit.dcm").read_bytes()
    group_length = struct.unpack("<I", data[140:144])[0]
    (HERE / "files" / "MR_small_implicit_no_meta.dcm").write_bytes(data[144 + group_length:])


if __name__ == "__main__":
    import sys
    if sys.argv[1:] == ["--htj2k-only"]:
        make_htj2k_references()
        sys.exit()
    make_references()
    make_malformed()
    make_hostile()
    make_phi()
    make_without_preamble()
