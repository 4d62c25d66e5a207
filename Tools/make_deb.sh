#!/usr/bin/env bash
# Builds build-artifacts/radlens_VERSION_ARCH.deb from the release build (make deb): the files of
# `make install PREFIX=/usr`, with Depends computed by dpkg-shlibdeps from the binary's libraries.
# Install with `apt-get install ./build-artifacts/radlens_*.deb`; remove with `apt-get remove radlens`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/.*static let version = "\(.*\)"/\1/p' "$root/Sources/RadLensPipeline/Analyzer.swift")
arch=$(dpkg --print-architecture)
out=$root/build-artifacts
stage=$out/deb/radlens_${version}_${arch}
rm -rf "$stage"
"$root/Tools/install.sh" "$stage" /usr >/dev/null

# dpkg-shlibdeps wants a debian/control beside it; give it a minimal one in a scratch folder.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/debian"
printf 'Source: radlens\n\nPackage: radlens\nArchitecture: any\n' >"$scratch/debian/control"
shlibs=$(cd "$scratch" && dpkg-shlibdeps -O -e "$stage/usr/bin/radlens") ||
    { echo "make_deb: dpkg-shlibdeps failed on $stage/usr/bin/radlens" >&2; exit 1; }
depends=$(sed -n 's/^shlibs:Depends=//p' <<<"$shlibs")
[[ -n $depends ]] || { echo "make_deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
# Packed relative relocations (DT_RELR, see Package.swift) need glibc 2.36, which the symbols
# dpkg-shlibdeps reads do not show.
if readelf -V "$stage/usr/bin/radlens" | grep -q GLIBC_ABI_DT_RELR; then
    depends=$(sed -E 's/libc6 \(>= 2\.([0-9]|[12][0-9]|3[0-5])(\.[0-9]+)?\)/libc6 (>= 2.36)/' <<<"$depends")
fi
# libcurl (DICOMweb) and CharLS (JPEG-LS DICOM) are loaded on first use, so the binary's
# libraries do not name them.
depends="$depends, libcurl4 (>= 7.62), libcharls2 (>= 2.2)"

install -d "$stage/DEBIAN"
(cd "$stage" && find usr -type f -exec md5sum {} + | sort -k 2) >"$stage/DEBIAN/md5sums"
cat >"$stage/DEBIAN/control" <<CONTROL
Package: radlens
Version: $version
Architecture: $arch
Maintainer: RadLens developers <radlens-dev@localhost>
Installed-Size: $(du -sk "$stage/usr" | cut -f1)
Depends: $depends
Section: science
Priority: optional
Description: chest radiograph analysis pipeline (research use only, not for diagnostic use)
 RadLens decodes PNG, JPEG and DICOM, normalizes them as its model was
 trained, runs a convolutional classifier in its own SIMD engine, and writes
 structured reports (text, JSON, FHIR, HTML), batch worklists and evaluation
 pages. Research use only, not for diagnostic use.
CONTROL
dpkg-deb --root-owner-group --build "$stage" "$out/radlens_${version}_${arch}.deb" >/dev/null
echo "$out/radlens_${version}_${arch}.deb"
echo "Depends: $depends"
