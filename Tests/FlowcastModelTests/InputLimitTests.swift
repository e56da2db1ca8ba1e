import FlowcastTestSupport
import FlowcastCore
import FlowcastModel
import Foundation
import Testing

/// Series and model files beyond their bounds (docs/limits.md): an error naming the file (and the
/// line), never the whole file in memory.
@Suite("Model input limits")
struct InputLimitTests {
    static func temporaryFile(_ name: String) -> URL {
        Scratch.root.appendingPathComponent("flowcast-limits-\(UUID().uuidString)-\(name)")
    }

    /// A sparse file of `size` bytes (no disk used).
    static func sparse(_ url: URL, size: Int) {
        #expect(FileManager.default.createFile(atPath: url.path, contents: nil))
        #expect(truncate(url.path, off_t(size)) == 0)
    }

    @Test("a model file beyond the bound is refused before it is read")
    func modelBeyondTheBound() throws {
        let url = Self.temporaryFile("model.json")
        defer { try? FileManager.default.removeItem(at: url) }
        Self.sparse(url, size: ModelFile.maximumBytes + 1)
        let error = try #require(throws: ModelFileError.self) { try ModelFile.read(from: url) }
        #expect(error == .tooLarge(path: url.path, bytes: ModelFile.maximumBytes + 1, limit: ModelFile.maximumBytes))
        #expect(error.description.hasSuffix("more than the bound of 67108864 bytes (docs/limits.md)"))
    }

    @Test("a series file beyond the bound is refused before it is read")
    func seriesBeyondTheBound() throws {
        let url = Self.temporaryFile("series.csv")
        defer { try? FileManager.default.removeItem(at: url) }
        Self.sparse(url, size: SeriesReader.fileBounds.maximumBytes + 1)
        let error = try #require(throws: SeriesInputError.self) { try SeriesReader.read(file: url) }
        guard case .beyondBound(let bound) = error, case .tooLarge = bound.problem else { Issue.record("\(error)"); return }
        #expect(error.description.hasPrefix("\(url.path): the series file is"))
    }

    @Test("a series line beyond the bound (CSV or windows.jsonl) is an error naming the file and line",
          arguments: ["series.csv", "windows.jsonl"])
    func seriesLineBeyondTheBound(_ name: String) throws {
        let url = Self.temporaryFile(name)
        defer { try? FileManager.default.removeItem(at: url) }
        let long = String(repeating: "9", count: SeriesReader.fileBounds.maximumLineBytes + 1)
        let text = name.hasSuffix(".csv") ? "t,a\n0,1\n1,\(long)\n2,3\n" : "{\"x\":1}\n{\"x\":1}\n{\"x\":\(long)}\n"
        try text.write(to: url, atomically: false, encoding: .utf8)
        let error = try #require(throws: SeriesInputError.self) { try SeriesReader.read(file: url) }
        #expect(error.description == "\(url.path):3: line longer than 1048576 bytes, the bound for a line of a series file (docs/limits.md)")
    }
}
