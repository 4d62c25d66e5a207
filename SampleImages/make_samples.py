#!/usr/bin/env python3
"""Makes the sample images in SampleImages/ from the real radiographs of the PyPI package
`pydicom-data` (MIT licence, see LICENSE-pydicom-data.txt). Run with the test venv:
`.venv-test/bin/python SampleImages/make_samples.py`.

- chest-pa-cr.png: RG1, an adult chest PA computed radiograph (MONOCHROME1, 15 bits stored),
  inverted to MONOCHROME2 (bright = dense) and kept at full 16-bit precision.
- chest-pa-cr.jpeg: the same radiograph windowed with its own Window Center/Width to 8 bits,
  as a department's export would be (1841x1955, baseline JPEG quality 92).
- extremity-ap-cr.jpeg: RG3, an extremity AP radiograph: a radiograph, but not a chest.
- photo-face.jpeg: OT-PAL-8-face, a palette-colour photograph: not a radiograph at all.
- chest-pa-cr.dcm: chest-pa-cr.jpeg wrapped in DICOM (JPEG Baseline transfer syntax) by DCMTK's
  img2dcm, as a PACS export would hold it; the pipeline must give it the same findings.
"""
import os
import subprocess

import numpy as np
import pydicom
from data_store import __file__ as store_init
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
STORE = os.path.join(os.path.dirname(store_init), "data")


def monochrome2(ds):
    pixels = ds.pixel_array.astype(np.int64)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        pixels = (1 << ds.BitsStored) - 1 - pixels
    return pixels


def windowed(ds, pixels):
    center, width = float(ds.WindowCenter), float(ds.WindowWidth)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        center = (1 << ds.BitsStored) - 1 - center
    low = center - width / 2
    return np.clip(np.round((pixels - low) / width * 255), 0, 255).astype(np.uint8)


def main():
    rg1 = pydicom.dcmread(os.path.join(STORE, "RG1_UNCR.dcm"))
    chest = monochrome2(rg1)
    Image.fromarray(chest.astype(np.uint16)).save(os.path.join(HERE, "chest-pa-cr.png"))
    Image.fromarray(windowed(rg1, chest)).save(os.path.join(HERE, "chest-pa-cr.jpeg"), quality=92)

    rg3 = pydicom.dcmread(os.path.join(STORE, "RG3_UNCR.dcm"))
    Image.fromarray(windowed(rg3, monochrome2(rg3))).save(os.path.join(HERE, "extremity-ap-cr.jpeg"), quality=90)

    subprocess.run(["img2dcm", "-q", "-k", "Modality=CR", "-k", "BodyPartExamined=CHEST", "-k", "ViewPosition=PA",
                    "-k", "PatientName=", "-k", "PatientID=SAMPLE",
                    os.path.join(HERE, "chest-pa-cr.jpeg"), os.path.join(HERE, "chest-pa-cr.dcm")], check=True)

    face = pydicom.dcmread(os.path.join(STORE, "OT-PAL-8-face.dcm"), force=True)  # no preamble: a raw dataset
    face.file_meta = pydicom.dataset.FileMetaDataset()
    face.file_meta.TransferSyntaxUID = pydicom.uid.ImplicitVRLittleEndian
    rgb = pydicom.pixels.apply_color_lut(face.pixel_array, face)
    Image.fromarray((rgb >> 8).astype(np.uint8) if rgb.dtype != np.uint8 else rgb).save(os.path.join(HERE, "photo-face.jpeg"), quality=90)


if __name__ == "__main__":
    main()
