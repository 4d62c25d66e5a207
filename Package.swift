// swift-tools-version: 6.1
import PackageDescription

/// Numerical code is optimised even in debug builds, so tests on real networks stay fast.
let optimized: [SwiftSetting] = [.unsafeFlags(["-O"])]

/// The microkernels: unchecked, so index arithmetic in the register tiles compiles to plain
/// address arithmetic (overflow and bounds traps would spill the accumulators). Their callers
/// check every shape at plan time, and parity tests against ONNX Runtime cover every level.
let kernelOptimized: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"])]

/// Code generation for one x86-64 level (AVX2+FMA: haswell; AVX-512: skylake-avx512).
func targetCPU(_ cpu: String) -> [SwiftSetting] {
    [.unsafeFlags(["-Xcc", "-march=\(cpu)", "-Xfrontend", "-target-cpu", "-Xfrontend", cpu])]
}

let package = Package(
    name: "RadLens",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "radlens", targets: ["radlens"]),
        .library(name: "RadLensImaging", targets: ["RadLensImaging"]),
        .library(name: "RadLensInference", targets: ["RadLensInference"]),
        .library(name: "RadLensPreprocess", targets: ["RadLensPreprocess"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // Stage 1: decode. System libraries found through pkg-config.
        .systemLibrary(
            name: "CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "CTurboJPEG", pkgConfig: "libturbojpeg",
            providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(
            name: "COpenJPEG", pkgConfig: "libopenjp2",
            providers: [.apt(["libopenjp2-7-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CCharLS", pkgConfig: "charls", providers: [.apt(["libcharls-dev"])]),
        // libcurl's headers only: the shim loads the library on first use (see radlens_curl.h).
        .systemLibrary(name: "CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // libpng reports errors with longjmp, which must never cross Swift frames:
        // this C shim owns every setjmp and returns plain error codes.
        .target(name: "_RadLensPNGShim", dependencies: ["CPNG"]),
        .target(
            name: "RadLensImaging",
            dependencies: ["_RadLensPNGShim", "CTurboJPEG", "COpenJPEG", "CZlib", "CCharLS"]),

        // Stage 2: preprocessing, driven by the model's manifest.
        .target(name: "RadLensPreprocess", dependencies: ["RadLensImaging"], swiftSettings: optimized),

        // Stage 3: inference. Kernels are one Swift source compiled per CPU level (the AVX2 and
        // AVX-512 targets symlink the generic target's Kernels.swift); cpuid picks one at run time.
        .target(name: "RadLensKernels", swiftSettings: optimized),
        .target(name: "_RadLensCPU"),
        .target(name: "_RadLensKernelsGeneric", dependencies: ["RadLensKernels"], swiftSettings: kernelOptimized),
        .target(name: "_RadLensKernelsAVX2", dependencies: ["RadLensKernels"],
                swiftSettings: kernelOptimized + targetCPU("haswell")),
        .target(name: "_RadLensKernelsAVX512", dependencies: ["RadLensKernels"],
                swiftSettings: kernelOptimized + targetCPU("skylake-avx512")),
        .target(
            name: "RadLensInference",
            dependencies: [
                "RadLensKernels", "_RadLensCPU", "_RadLensKernelsGeneric", "_RadLensKernelsAVX2", "_RadLensKernelsAVX512",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["ONNX/README.md"],
            swiftSettings: optimized),

        // The model bundle: manifest, heads (binary, multilabel, multiclass, groups), calibration,
        // decision rules, out-of-distribution statistics, hashing.
        .target(
            name: "RadLensModel",
            dependencies: ["RadLensPreprocess", .product(name: "Crypto", package: "swift-crypto")]),

        // Stage 4: findings and reports.
        .target(
            name: "RadLensReport",
            dependencies: [
                "RadLensImaging", "RadLensModel",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
            ]),

        // PACS: DICOMweb (QIDO-RS, WADO-RS, STOW-RS) over libcurl; the C shim types its variadic calls.
        .target(name: "_RadLensCurlShim", dependencies: ["CCurl"]),
        .target(name: "RadLensDICOMweb", dependencies: ["CCurl", "_RadLensCurlShim"]),

        // Stage 5: the pipelines (analyze, evaluate, batch) that compose the stages.
        .target(
            name: "RadLensPipeline",
            dependencies: ["RadLensImaging", "RadLensPreprocess", "RadLensInference", "RadLensModel", "RadLensReport", "RadLensDICOMweb"],
            swiftSettings: optimized),

        // The command-line tool: parsing and printing only.
        .executableTarget(
            name: "radlens",
            dependencies: [
                "RadLensImaging", "RadLensInference", "RadLensModel", "RadLensPipeline", "RadLensReport", "RadLensDICOMweb",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // Benchmarks (run on demand, see Benchmarks/README.md).
        .executableTarget(name: "radlens-decode-bench", dependencies: ["RadLensImaging"],
                          path: "Benchmarks/DecodeBenchmark"),

        .target(name: "RadLensTestSupport", path: "Tests/RadLensTestSupport"),
        .testTarget(name: "RadLensImagingTests", dependencies: ["RadLensImaging", "RadLensTestSupport"],
                    exclude: []),
        .testTarget(name: "RadLensInferenceTests", dependencies: ["RadLensInference", "RadLensKernels",
                    "_RadLensKernelsGeneric", "_RadLensKernelsAVX2", "_RadLensKernelsAVX512", "RadLensTestSupport"]),
        .testTarget(name: "RadLensPreprocessTests", dependencies: ["RadLensPreprocess", "RadLensImaging", "RadLensInference", "RadLensTestSupport"]),
        .testTarget(name: "RadLensDICOMTests", dependencies: ["RadLensImaging", "RadLensTestSupport"]),
        .testTarget(name: "RadLensDICOMwebTests", dependencies: ["RadLensDICOMweb", "RadLensTestSupport"]),
        .testTarget(name: "RadLensCLITests", dependencies: ["radlens", "RadLensImaging", "RadLensTestSupport"]),
    ]
)
