// swift-tools-version: 6.1
import PackageDescription

// Strict settings for every Flowcast target (see ../shared/STYLE.md, hummingbird):
// SE-0335 ExistentialAny, SE-0444 MemberImportVisibility, SE-0409 InternalImportsByDefault.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Flowcast",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "flowcast", targets: ["flowcast"]),
        .library(name: "FlowcastDecode", targets: ["FlowcastDecode"]),
        .library(name: "FlowcastCapture", targets: ["FlowcastCapture"]),
        .library(name: "FlowcastModel", targets: ["FlowcastModel"]),
        .library(name: "FlowcastPolicy", targets: ["FlowcastPolicy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // C libraries, wrapped as system-library targets (GRDB's recipe).
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        .systemLibrary(name: "CCbc", pkgConfig: "cbc", providers: [.apt(["coinor-libcbc-dev"])]),
        .systemLibrary(name: "CNats", pkgConfig: "libnats", providers: [.apt(["libnats-dev"])]),
        .target(name: "FlowcastNATS", dependencies: ["CNats"], swiftSettings: strict),

        // Small C helpers Swift cannot express (a cache prefetch).
        .target(name: "CFlowcastShims", path: "Sources/CFlowcastShims"),
        .target(name: "FlowcastCapture", dependencies: ["CPcap", "CFlowcastShims"], swiftSettings: strict),
        .target(name: "FlowcastDecode", swiftSettings: strict),
        .target(name: "FlowcastTopology",
                dependencies: [.product(name: "Yams", package: "Yams")], swiftSettings: strict),
        .target(name: "FlowcastAggregate",
                dependencies: ["FlowcastDecode", "FlowcastTopology", "CFlowcastShims"], swiftSettings: strict),
        .target(name: "FlowcastModel", swiftSettings: strict),
        .target(name: "FlowcastPolicy",
                dependencies: ["CCbc", "FlowcastTopology"], swiftSettings: strict),
        .target(name: "FlowcastPipeline",
                dependencies: ["FlowcastCapture", "FlowcastDecode", "FlowcastTopology",
                               "FlowcastAggregate", "FlowcastModel", "FlowcastPolicy", "FlowcastNATS", "CFlowcastShims"],
                swiftSettings: strict),
        .executableTarget(name: "flowcast",
                          dependencies: ["FlowcastPipeline", "FlowcastCapture", "FlowcastDecode",
                                         "FlowcastTopology", "FlowcastAggregate", "FlowcastModel",
                                         "FlowcastPolicy", .product(name: "Logging", package: "swift-log"),
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: strict),

        .target(name: "FlowcastTestSupport", path: "Tests/FlowcastTestSupport", swiftSettings: strict),
        .testTarget(name: "FlowcastCaptureTests",
                    dependencies: ["FlowcastCapture", "FlowcastTestSupport"], swiftSettings: strict),
        .testTarget(name: "FlowcastDecodeTests",
                    dependencies: ["FlowcastDecode", "FlowcastCapture", "FlowcastTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "FlowcastAggregateTests",
                    dependencies: ["FlowcastAggregate", "FlowcastDecode", "FlowcastCapture", "FlowcastPipeline",
                                   "FlowcastPolicy", "FlowcastTopology", "FlowcastTestSupport"],
                    exclude: ["Oracles"],  // tshark's GTPv2 fields, read from the source tree by path
                    swiftSettings: strict),
        .testTarget(name: "FlowcastTopologyTests",
                    dependencies: ["FlowcastTopology", "FlowcastTestSupport"], swiftSettings: strict),
        .testTarget(name: "FlowcastModelTests",
                    dependencies: ["FlowcastModel", "FlowcastTestSupport"], swiftSettings: strict),
        .testTarget(name: "FlowcastPolicyTests",
                    dependencies: ["FlowcastPolicy", "FlowcastTopology", "FlowcastTestSupport"],
                    exclude: ["Golden", "ReviewFixtures"],  // fixtures read from the source tree by path
                    swiftSettings: strict),
        .testTarget(name: "FlowcastNATSTests",
                    dependencies: ["FlowcastNATS", "FlowcastPipeline", "FlowcastCapture", "FlowcastDecode", "FlowcastTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "FlowcastCLITests",
                    dependencies: ["FlowcastTestSupport"], swiftSettings: strict),
    ]
)
