// swift-tools-version: 6.1
// libFuzzer targets for Flowcast, apart from the release product (see docs/fuzzing.md).
// Build and run one with `tools/fuzz.sh TARGET SECONDS`; `tools/fuzz.sh --list` names them.
// Every executable here is one file with a `@_cdecl("LLVMFuzzerTestOneInput")` entry point and
// no `main`: libFuzzer's runtime (linked by `--sanitize fuzzer`) provides it.
import PackageDescription

let flowcast = "Flowcast"
let support: Target.Dependency = "FuzzSupport"

/// Target name → the Flowcast library products it exercises.
let targets: [(name: String, products: [String])] = [
    ("decode", ["FlowcastDecode", "FlowcastCapture"]),
    ("pcap", []),    // through FuzzCapture
    ("pcapng", []),
    ("gtpv2", ["FlowcastDecode"]),
    ("topology", ["FlowcastTopology"]),
    ("policy", ["FlowcastPolicy", "FlowcastReview"]),
    ("diff", ["FlowcastPolicy", "FlowcastReview"]),
    ("series", ["FlowcastModel"]),
    ("model", ["FlowcastModel"]),
]

let package = Package(
    name: "FlowcastFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: flowcast, path: "../..")],
    targets: [
        .target(name: "FuzzSupport"),
        .target(name: "FuzzCapture", dependencies: [support, .product(name: "FlowcastCapture", package: flowcast)]),
    ] + targets.map { target in
        .executableTarget(name: "fuzz-\(target.name)",
                          dependencies: [support] + target.products.map { .product(name: $0, package: flowcast) }
                              + (["pcap", "pcapng"].contains(target.name) ? ["FuzzCapture"] : []),
                          path: "Sources/\(target.name)")
    }
)
