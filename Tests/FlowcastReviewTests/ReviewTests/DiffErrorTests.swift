import FlowcastTestSupport
@testable import FlowcastReview
import FlowcastPolicy
import Foundation
import Testing

@Suite struct ReviewDiffErrorTests {
    /// Writes `text` to a temporary file and compares it against the baseline.
    func compare(against text: String, name: String = "bad.json") throws -> PolicyError? {
        let folder = Scratch.root.appendingPathComponent("flowcast-review-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        do {
            _ = try PolicyComparison.compare(old: ReviewFixture.url(ReviewFixture.baselinePath), new: url)
            return nil
        } catch {
            return error
        }
    }

    func baselineObject() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: ReviewFixture.url(ReviewFixture.baselinePath))) as! [String: Any]
    }

    func text(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    @Test func truncatedJSONNamesTheFile() throws {
        let full = try String(contentsOf: ReviewFixture.url(ReviewFixture.baselinePath), encoding: .utf8)
        let error = try #require(try compare(against: String(full.prefix(400)), name: "cut.json"))
        guard case .badInput(let path, let message) = error else { Issue.record("\(error)"); return }
        #expect(path.hasSuffix("cut.json"))
        // Where the document stops: the end of the 400 characters (all ASCII in this fixture).
        let cut = String(full.prefix(400))
        let line = cut.filter { $0 == "\n" }.count + 1
        let column = (cut.split(separator: "\n", omittingEmptySubsequences: false).last?.count ?? 0) + 1
        #expect(message.hasPrefix("not valid JSON at line \(line), column \(column): "), "\(message)")
    }

    @Test("a number beyond a Double's range is invalid JSON at its place, not a field of the wrong type; a huge schemaVersion is unknown")
    func numbersOutOfRange() throws {
        let full = try String(contentsOf: ReviewFixture.url(ReviewFixture.baselinePath), encoding: .utf8)
        let first = try #require(full.range(of: "\"load\" : "))
        var text = full
        let digits = text[first.upperBound...].prefix { $0.isNumber || $0 == "." || $0 == "e" || $0 == "-" || $0 == "+" }
        text.replaceSubrange(first.upperBound..<text.index(first.upperBound, offsetBy: digits.count), with: "1e999")
        let error = try #require(try compare(against: text))
        guard case .badInput(_, let message) = error else { Issue.record("\(error)"); return }
        let line = full[..<first.lowerBound].filter { $0 == "\n" }.count + 1
        #expect(message.hasPrefix("not valid JSON at line \(line), column "), "\(message)")
        #expect(message.hasSuffix(": a number beyond what a 64-bit floating-point value holds"), "\(message)")
        var object = try baselineObject()
        object["schemaVersion"] = 1e20
        let version = try #require(try compare(against: try self.text(object)))
        #expect("\(version)".contains("schema version 1e+20 is not one flowcast knows (1)"), "\(version)")
    }

    @Test("a path that does not exist is named as such; two folders without a policy are an error, not 'equal'")
    func missingPathsAndEmptyFolders() throws {
        let base = ReviewFixture.url(ReviewFixture.baselinePath)
        let missing = Scratch.root.appendingPathComponent("flowcast-nothing-\(UUID().uuidString)")
        #expect(throws: PolicyError.badInput(path: missing.path, message: "no such file or folder")) {
            _ = try PolicyComparison.compare(old: base, new: missing)
        }
        let a = Scratch.root.appendingPathComponent("flowcast-empty-a-\(UUID().uuidString)")
        let b = Scratch.root.appendingPathComponent("flowcast-empty-b-\(UUID().uuidString)")
        for f in [a, b] { try FileManager.default.createDirectory(at: f, withIntermediateDirectories: true) }
        defer { for f in [a, b] { try? FileManager.default.removeItem(at: f) } }
        #expect(throws: PolicyError.badInput(path: b.path, message: "no policy files (*.json) here nor in \(a.path)")) {
            _ = try PolicyComparison.compare(old: a, new: b)
        }
    }

    @Test func aMissingFieldIsNamed() throws {
        var o = try baselineObject()
        var routing = o["routing"] as! [String: Any]
        var demands = routing["demands"] as! [[String: Any]]
        demands[1]["reason"] = nil
        routing["demands"] = demands
        o["routing"] = routing
        let error = try #require(try compare(against: try text(o)))
        #expect(error == .schemaViolation(path: error.path, field: "$.routing.demands[1].reason", message: "required field is missing"))
        #expect(error.description.contains("bad.json: $.routing.demands[1].reason"))
    }

    @Test func aWrongTypeIsNamed() throws {
        var o = try baselineObject()
        var spectrum = o["spectrum"] as! [String: Any]
        var cells = spectrum["cells"] as! [[String: Any]]
        cells[2]["blocks"] = "12-15"
        spectrum["cells"] = cells
        o["spectrum"] = spectrum
        let error = try #require(try compare(against: try text(o)))
        guard case .schemaViolation(_, let field, _) = error else { Issue.record("\(error)"); return }
        #expect(field == "$.spectrum.cells[2].blocks")
    }

    @Test func aNewerSchemaVersionIsRefusedClearly() throws {
        var o = try baselineObject()
        o["schemaVersion"] = 2
        let error = try #require(try compare(against: try text(o)))
        guard case .schemaViolation(_, let field, let message) = error else { Issue.record("\(error)"); return }
        #expect(field == "$.schemaVersion")
        #expect(message.contains("schema version 2 is newer than this flowcast reads (1)"))
    }

    @Test func anOlderSchemaVersionWithoutMigrationIsRefused() throws {
        var o = try baselineObject()
        o["schemaVersion"] = 0
        let error = try #require(try compare(against: try text(o)))
        #expect(error.description.contains("schema version 0 has no migration to version 1"))
    }

    @Test func aMissingSchemaVersionIsNamed() throws {
        var o = try baselineObject()
        o["schemaVersion"] = nil
        let error = try #require(try compare(against: try text(o)))
        guard case .schemaViolation(_, let field, _) = error else { Issue.record("\(error)"); return }
        #expect(field == "$.schemaVersion")
    }

    @Test func aFileAgainstAFolderIsRefused() throws {
        #expect(throws: PolicyError.self) {
            try PolicyComparison.compare(old: ReviewFixture.url(ReviewFixture.baselinePath), new: ReviewFixture.url("policies/baseline"))
        }
    }

    @Test func foldersShowAddedAndRemovedFiles() throws {
        let c = try PolicyComparison.compare(old: ReviewFixture.url("Tests/FlowcastReviewTests/ReviewFixtures/Folders/old"),
                                             new: ReviewFixture.url("Tests/FlowcastReviewTests/ReviewFixtures/Folders/new"))
        #expect(c.files.map { "\($0.status.rawValue) \($0.name ?? "")" } ==
                ["changed demo.json", "unchanged policy-0000.json", "removed policy-0001.json", "added policy-0004.json"])
        #expect(c.exitStatus == 1)
    }
}

extension PolicyError {
    var path: String {
        switch self {
        case .io(let path, _), .badInput(let path, _), .schemaViolation(let path, _, _): path
        default: ""
        }
    }
}
