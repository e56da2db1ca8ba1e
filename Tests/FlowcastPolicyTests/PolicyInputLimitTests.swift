import FlowcastTestSupport
import FlowcastPolicy
import Foundation
import Testing

/// Policy documents and planner inputs (forecasts JSON) beyond the bound (docs/limits.md) are
/// refused before they are read, naming the file.
@Suite("Policy input limits")
struct PolicyInputLimitTests {
    @Test("a policy or forecasts file beyond the bound is refused before it is read", arguments: ["policy", "forecasts"])
    func fileBeyondTheBound(_ kind: String) throws {
        let url = Scratch.root.appendingPathComponent("flowcast-\(kind)-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(FileManager.default.createFile(atPath: url.path, contents: nil))
        #expect(truncate(url.path, off_t(PolicyLimits.maximumFileBytes + 1)) == 0)  // sparse: no disk
        let error = try #require(throws: PolicyError.self) {
            if kind == "policy" { _ = try PolicyDocument(contentsOf: url) } else { _ = try ForecastSet(contentsOf: url) }
        }
        let what = kind == "policy" ? "policy document" : "forecasts file"
        #expect(error == .badInput(path: url.path, message: "the \(what) is \(PolicyLimits.maximumFileBytes + 1) bytes, "
            + "more than the bound of \(PolicyLimits.maximumFileBytes) bytes (docs/limits.md)"))
    }
}
