#!/usr/bin/env bash
# Installs the release build (make build) into DESTDIR/PREFIX:
#   bin/radlens                          the binary (Swift runtime linked in statically)
#   share/radlens/models/<bundle>/       every model bundle of Models/
#   share/doc/radlens/                   README, docs, the model card, licences of what is linked in
# The binary finds its default bundle at bin/../share/radlens/models/cxr-pneumonia.
#   Tools/install.sh DESTDIR PREFIX      (make install PREFIX=/usr/local DESTDIR=)
set -euo pipefail
destdir=${1-}
prefix=${2:-/usr/local}
root=$(cd "$(dirname "$0")/.." && pwd)
binary=$root/.build/release/radlens
[[ -x $binary ]] || { echo "install: $binary is missing: run 'make build' first" >&2; exit 1; }
target=$destdir$prefix
doc=$target/share/doc/radlens

install -d "$target/bin" "$target/share/radlens/models" "$doc/licenses"
install -m 755 --strip "$binary" "$target/bin/radlens"
for bundle in "$root"/Models/*/; do
    name=$(basename "$bundle")
    rm -rf "${target:?}/share/radlens/models/$name"
    cp -R "$bundle" "$target/share/radlens/models/$name"
done
find "$target/share/radlens" -type d -exec chmod 755 {} + -o -type f -exec chmod 644 {} +

install -m 644 "$root/README.md" "$doc/README.md"
for bundle in "$root"/Models/*/; do
    install -m 644 "$bundle/MODEL_CARD.md" "$doc/MODEL_CARD-$(basename "$bundle").md"
done
cp -R "$root/docs/." "$doc/"
# Licences: the Swift runtime and the packages linked into the binary, and the training data's.
install -m 644 /dev/null "$doc/licenses/README"
echo "Licences of what the radlens binary contains, and of the data its model was trained on." > "$doc/licenses/README"
swift_license=$(dirname "$(command -v swift)")/../share/swift/LICENSE.txt
[[ -f $swift_license ]] && install -m 644 "$swift_license" "$doc/licenses/swift-runtime.txt"
for checkout in "$root"/.build/checkouts/*/; do
    package=$(basename "$checkout")
    for file in "$checkout"LICENSE* "$checkout"NOTICE*; do
        [[ -f $file ]] && install -m 644 "$file" "$doc/licenses/$package-$(basename "$file")"
    done
done
install -m 644 "$root/SampleImages/LICENSE-CC-BY-4.0.txt" "$doc/licenses/training-data-kermany-CC-BY-4.0.txt"
find "$doc" -type d -exec chmod 755 {} + -o -type f -exec chmod 644 {} +
echo "installed radlens into $target (bin/radlens, share/radlens/models, share/doc/radlens)"
