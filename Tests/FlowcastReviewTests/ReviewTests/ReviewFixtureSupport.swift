@testable import FlowcastReview
import FlowcastPolicy
import FlowcastTestSupport
import Foundation
import Testing

/// Fixtures of the review tests: the demo baseline, the failed-link plan, a hand-made run folder.
enum ReviewFixture {
    static let root = Fixtures.repositoryRoot
    static let folder = root.appendingPathComponent("Tests/FlowcastReviewTests/ReviewFixtures")

    /// A repository-relative URL, so renderings show short, machine-independent paths.
    static func url(_ relative: String) -> URL { URL(fileURLWithPath: relative, relativeTo: root) }

    static let baselinePath = "policies/baseline/demo.json"
    static let failedLinkPath = "Tests/FlowcastReviewTests/ReviewFixtures/Policies/failed-link.json"
    static let runPath = "Tests/FlowcastReviewTests/ReviewFixtures/Run"

    static func document(_ relative: String) throws -> PolicyDocument {
        try PolicyDocument(reviewing: url(relative))
    }

    static var baseline: PolicyDocument { get throws { try document(baselinePath) } }
    static var failedLink: PolicyDocument { get throws { try document(failedLinkPath) } }
    /// The run fixture's policies, one per plan interval.
    static var runPolicies: [PolicyDocument] {
        get throws { try (0..<5).map { try document("\(runPath)/policies/policy-000\($0).json") } }
    }

    /// Every fixture policy: enough variety for the property tests.
    static var all: [PolicyDocument] { get throws { try loaded.get() } }
    private static let loaded = Result { try [baseline, failedLink] + runPolicies }

    /// Compares `actual` with the golden file, or rewrites it when FLOWCAST_UPDATE_GOLDEN=1.
    static func expectGolden(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = folder.appendingPathComponent("Golden/\(name)")
        if ProcessInfo.processInfo.environment["FLOWCAST_UPDATE_GOLDEN"] == "1" {
            try Data(actual.utf8).write(to: url)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(actual == expected, "\(name) differs from its golden; rerun with FLOWCAST_UPDATE_GOLDEN=1 after checking", sourceLocation: sourceLocation)
    }
}

/// A seeded generator, so shuffled fixtures are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension PolicyDocument {
    /// The same decisions with every array shuffled (blocks, cells, demands, paths, loads).
    func shuffled(using rng: inout SplitMix64) -> PolicyDocument {
        var d = self
        d.spectrum.cells = d.spectrum.cells.map { var c = $0; c.blocks.shuffle(using: &rng); return c }.shuffled(using: &rng)
        d.routing.demands = d.routing.demands.map { var x = $0; x.paths.shuffle(using: &rng); return x }.shuffled(using: &rng)
        d.predicted.links.shuffle(using: &rng)
        d.predicted.cells.shuffle(using: &rng)
        return d
    }
}
