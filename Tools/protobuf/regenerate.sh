#!/usr/bin/env bash
# Regenerates Sources/RadLensInference/ONNX/onnx.pb.swift from onnx.proto (copied from the `onnx`
# 1.23.2 wheel). Run by hand after updating onnx.proto; CI never builds the plugin (it takes
# minutes), it compiles the committed output.
#   needs: protoc (Debian protobuf-compiler) and protoc-gen-swift from apple/swift-protobuf 1.39.0:
#   git clone <swift-protobuf> /tmp/swift-protobuf && (cd /tmp/swift-protobuf && git checkout 1.39.0 &&
#     swift build -c release --product protoc-gen-swift)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
plugin=${PROTOC_GEN_SWIFT:-/tmp/swift-protobuf/.build/release/protoc-gen-swift}
cd "$here"
protoc --plugin="$plugin" --swift_out=. --swift_opt=Visibility=Internal onnx.proto
mv onnx.pb.swift "$here/../../Sources/RadLensInference/ONNX/onnx.pb.swift"
