import FlowcastCore
import Foundation
import Testing

/// `AtomicFile` resumed from a saved length (the planner's forecasts.jsonl after a restart).
@Suite("AtomicFile")
struct AtomicFileTests {
    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("flowcast-atomic-\(UUID().uuidString).jsonl").path
    }

    @Test("a fresh file dropped uncommitted leaves nothing; one a saved state counts on keeps its bytes")
    func droppedFiles() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path + ".partial") }
        do {
            let file = try AtomicFile(path: path)
            file.write(Array("abc\n".utf8))
        }
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
        do {
            let file = try AtomicFile(path: path)
            file.write(Array("abc\n".utf8))
            try file.sync()
            file.keepsPartialFile = true
        }
        #expect(FileManager.default.contents(atPath: path + ".partial") == Data("abc\n".utf8))
        // A resumed file keeps its bytes too, and what it wrote after them.
        do {
            let file = try AtomicFile(path: path, resumingAt: 4)
            file.write(Array("def\n".utf8))
        }
        #expect(FileManager.default.contents(atPath: path + ".partial") == Data("abc\ndef\n".utf8))
    }

    /// A missing folder is named with the file asked for, not its temporary `.partial`
    /// (`flowcast plan: /nonexistent-dir/p.json.partial: No such file or directory`).
    @Test func aMissingFolderIsNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("flowcast-none-\(UUID().uuidString)").path
        #expect(throws: AtomicFileError(path: folder + "/p.json", reason: "cannot write it: its folder \(folder) does not exist or is not a folder")) {
            _ = try AtomicFile(path: folder + "/p.json")
        }
    }

    @Test("resuming cuts bytes past the saved length and carries on after it")
    func resumeCuts() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FileManager.default.createFile(atPath: path + ".partial", contents: Data("abc\nhalf a li".utf8)))
        let file = try AtomicFile(path: path, resumingAt: 4)
        file.write(Array("def\n".utf8))
        try file.commit()
        #expect(FileManager.default.contents(atPath: path) == Data("abc\ndef\n".utf8))
    }

    @Test("resuming a partial file that is missing or shorter than the saved length throws; nothing is written")
    func resumeMissingOrShort() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path + ".partial") }
        #expect(throws: AtomicFileError.self) { _ = try AtomicFile(path: path, resumingAt: 161_430) }
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
        #expect(FileManager.default.createFile(atPath: path + ".partial", contents: Data("abc\n".utf8)))
        do {
            _ = try AtomicFile(path: path, resumingAt: 10)
            Issue.record("a short file was resumed")
        } catch {
            #expect(error.reason.contains("holds 4 bytes"), "\(error)")
        }
        #expect(FileManager.default.contents(atPath: path + ".partial") == Data("abc\n".utf8))
    }
}
