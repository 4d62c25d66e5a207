#!/usr/bin/env bash
# Peak memory of `radlens batch URL --push` against a real Orthanc (Tools/orthanc/orthanc.sh) holding
# 20 and then 400 instances (copies of CT_small.dcm with new UIDs, one study each, loaded by curl over
# STOW-RS): memory must not grow with the number of instances (goal: <= 10% more).
#   swift build -c release --product radlens && Benchmarks/dicomweb_memory.sh
# Needs orthanc, orthanc-dicomweb, curl and the test venv (pydicom).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
radlens="$root/.build/release/radlens"
python="$root/.venv-test/bin/python"
work=$(mktemp -d)
trap '"$root/Tools/orthanc/orthanc.sh" stop "$work/orthanc" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
url=$("$root/Tools/orthanc/orthanc.sh" start "$work/orthanc")
password=$(cat "$work/orthanc/password")
loaded=0
for total in 20 400; do
  "$python" - "$root/Tests/Fixtures/dicom/files/CT_small.dcm" "$work/stow" "$loaded" "$total" <<'PY'
import sys
import pydicom
from pydicom.uid import generate_uid
source, body, start, total = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ds = pydicom.dcmread(source)
with open(body, "wb") as out:
    for i in range(start, total):
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID = generate_uid(), generate_uid(), generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.PatientID = f"BENCH{i:05d}"
        out.write(b"--bench\r\nContent-Type: application/dicom\r\n\r\n")
        ds.save_as(out, enforce_file_format=True)
        out.write(b"\r\n")
    out.write(b"--bench--\r\n")
PY
  curl -fsS -o /dev/null -u "radlens:$password" -X POST -H 'Content-Type: multipart/related; type="application/dicom"; boundary=bench' \
    --data-binary @"$work/stow" "$url/studies"
  loaded=$total
  RADLENS_DICOMWEB_USER=radlens RADLENS_DICOMWEB_PASSWORD=$password \
    /usr/bin/time -f "%M %e" -o "$work/$total.rss" "$radlens" batch "$url" --output "$work/out-$total" --push --quiet >/dev/null
  read -r rss seconds <"$work/$total.rss"
  echo "$total instances: max RSS $rss KiB, $seconds s (retrieve, analyse, push)"
done
"$python" -c "a=int(open('$work/20.rss').read().split()[0]); b=int(open('$work/400.rss').read().split()[0]); print(f'ratio 400/20: {b/a:.3f} (goal <= 1.10)')"
