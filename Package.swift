// swift-tools-version: 6.1
import PackageDescription

// Strict settings for every Flowcast target (see ../shared/STYLE.md, hummingbird):
// SE-0335 ExistentialAny, SE-0444 MemberImportVisibility, SE-0409 InternalImportsByDefault.
// `.ci/run` sets FLOWCAST_WARNINGS_AS_ERRORS=1: Flowcast's own targets (never its dependencies)
// must then build without a single warning.
let warningsAsErrors: [SwiftSetting] =
    Context.environment["FLOWCAST_WARNINGS_AS_ERRORS"] == "1" ? [.unsafeFlags(["-warnings-as-errors"])] : []
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
] + warningsAsErrors

let package = Package(
    name: "Flowcast",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "flowcast", targets: ["flowcast"]),
        .library(name: "FlowcastDecode", targets: ["FlowcastDecode"]),
        .library(name: "FlowcastCapture", targets: ["FlowcastCapture"]),
        .library(name: "FlowcastModel", targets: ["FlowcastModel"]),
        .library(name: "FlowcastPolicy", targets: ["FlowcastPolicy"]),
        .library(name: "FlowcastReview", targets: ["FlowcastReview"]),
        .library(name: "FlowcastTopology", targets: ["FlowcastTopology"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // C libraries, wrapped as system-library targets (GRDB's recipe).
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        .systemLibrary(name: "CCbc", pkgConfig: "cbc", providers: [.apt(["coinor-libcbc-dev"])]),
        .systemLibrary(name: "CNats", pkgConfig: "libnats", providers: [.apt(["libnats-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "FlowcastNATS", dependencies: ["CNats"], swiftSettings: strict),

        // Small C helpers Swift cannot express (a cache prefetch).
        .target(name: "CFlowcastShims", path: "Sources/CFlowcastShims"),
        // The shared vocabulary every stage speaks; depends on nothing.
        .target(name: "FlowcastCore", swiftSettings: strict),
        .target(name: "FlowcastCapture", dependencies: ["CPcap", "CZlib", "CFlowcastShims", "FlowcastCore"], swiftSettings: strict),
        .target(name: "FlowcastDecode", dependencies: ["FlowcastCore"], swiftSettings: strict),
        .target(name: "FlowcastTopology",
                dependencies: ["FlowcastCore", .product(name: "Yams", package: "Yams")], swiftSettings: strict),
        .target(name: "FlowcastAggregate",
                dependencies: ["FlowcastDecode", "FlowcastTopology", "CFlowcastShims"], swiftSettings: strict),
        .target(name: "FlowcastModel", dependencies: ["FlowcastCore"], swiftSettings: strict),
        .target(name: "FlowcastPolicy",
                dependencies: ["CCbc", "FlowcastCore", "FlowcastTopology"], swiftSettings: strict),
        .target(name: "FlowcastReview",
                dependencies: ["FlowcastCore", "FlowcastAggregate", "FlowcastPolicy", "FlowcastPipeline", "FlowcastTopology"],
                swiftSettings: strict),
        // The demo scenario's synthetic capture, used by `flowcast synth` only (no library depends on it).
        .target(name: "FlowcastDemo", dependencies: ["FlowcastCore", "FlowcastCapture", "FlowcastDecode"], swiftSettings: strict),
        .target(name: "FlowcastPipeline",
                dependencies: ["FlowcastCapture", "FlowcastDecode", "FlowcastTopology",
                               "FlowcastAggregate", "FlowcastModel", "FlowcastPolicy", "FlowcastNATS", "CFlowcastShims",
                               .product(name: "Logging", package: "swift-log"),
                               .product(name: "CoreMetrics", package: "swift-metrics"),
                               .product(name: "Prometheus", package: "swift-prometheus")],
                swiftSettings: strict),
        .executableTarget(name: "flowcast",
                          dependencies: ["FlowcastCore", "FlowcastPipeline", "FlowcastCapture", "FlowcastDecode",
                                         "FlowcastTopology", "FlowcastAggregate", "FlowcastModel",
                                         "FlowcastPolicy", "FlowcastReview", "FlowcastDemo",
                                         .product(name: "Logging", package: "swift-log"),
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: strict),

        .target(name: "FlowcastTestSupport", path: "Tests/FlowcastTestSupport", swiftSettings: strict),
        .testTarget(name: "FlowcastCoreTests",
                    dependencies: ["FlowcastCore", "FlowcastTestSupport"], swiftSettings: strict),
        .testTarget(name: "FlowcastCaptureTests",
                    dependencies: ["FlowcastCore", "FlowcastCapture", "FlowcastTestSupport"], swiftSettings: strict),
        .testTarget(name: "FlowcastDecodeTests",
                    dependencies: ["FlowcastCore", "FlowcastDecode", "FlowcastCapture", "FlowcastTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "FlowcastAggregateTests",
                    dependencies: ["FlowcastCore", "FlowcastAggregate", "FlowcastDecode", "FlowcastCapture", "FlowcastPipeline",
                                   "FlowcastPolicy", "FlowcastTopology", "FlowcastTestSupport"],
                    exclude: ["Oracles"],  // tshark's GTPv2 fields and TCP retransmission counts, read from the source tree by path
                    swiftSettings: strict),
        .testTarget(name: "FlowcastPipelineTests",
                    dependencies: ["FlowcastCore", "FlowcastPipeline", "FlowcastAggregate", "FlowcastDecode", "FlowcastCapture",
                                   "FlowcastModel", "FlowcastPolicy", "FlowcastTopology", "FlowcastTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "FlowcastTopologyTests",
                    dependencies: ["FlowcastCore", "FlowcastTopology", "FlowcastTestSupport"], swiftSettings: strict),
        .testTarget(name: "FlowcastModelTests",
                    dependencies: ["FlowcastCore", "FlowcastModel", "FlowcastTestSupport"], swiftSettings: strict),
        .testTarget(name: "FlowcastPolicyTests",
                    dependencies: ["FlowcastCore", "FlowcastPolicy", "FlowcastTopology", "FlowcastTestSupport"],
                    exclude: ["Golden"],  // fixtures read from the source tree by path
                    swiftSettings: strict),
        .testTarget(name: "FlowcastReviewTests",
                    dependencies: ["FlowcastCore", "FlowcastReview", "FlowcastPolicy", "FlowcastTopology", "FlowcastTestSupport"],
                    exclude: ["ReviewFixtures"],  // fixtures read from the source tree by path
                    swiftSettings: strict),
        .testTarget(name: "FlowcastNATSTests",
                    dependencies: ["CNats", "FlowcastCore", "FlowcastNATS", "FlowcastPipeline", "FlowcastCapture", "FlowcastDecode", "FlowcastTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "FlowcastCLITests",
                    dependencies: ["FlowcastCore", "FlowcastTestSupport"], swiftSettings: strict),
    ]
)
