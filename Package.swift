// swift-tools-version: 6.1
import PackageDescription

/// Kernels are compiled once per CPU level; the engine picks one at run time from cpuid.
let package = Package(
    name: "RadLens",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "radlens", targets: ["radlens"]),
        .library(name: "RadLensImaging", targets: ["RadLensImaging"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Stage 1: decode. System libraries found through pkg-config.
        .systemLibrary(
            name: "CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "CTurboJPEG", pkgConfig: "libturbojpeg",
            providers: [.apt(["libturbojpeg0-dev"])]),
        // libpng reports errors with longjmp, which must never cross Swift frames:
        // this C shim owns every setjmp and returns plain error codes.
        .target(name: "_RadLensPNGShim", dependencies: ["CPNG"]),
        .target(
            name: "RadLensImaging",
            dependencies: ["_RadLensPNGShim", "CTurboJPEG"]),

        // The command-line tool: parsing and printing only.
        .executableTarget(
            name: "radlens",
            dependencies: [
                "RadLensImaging",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        .target(name: "RadLensTestSupport", path: "Tests/RadLensTestSupport"),
        .testTarget(name: "RadLensImagingTests", dependencies: ["RadLensImaging", "RadLensTestSupport"],
                    exclude: []),
        .testTarget(name: "RadLensCLITests", dependencies: ["radlens", "RadLensTestSupport"]),
    ]
)
