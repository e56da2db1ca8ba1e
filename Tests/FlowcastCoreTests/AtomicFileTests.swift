import FlowcastTestSupport
import FlowcastCore
import Synchronization
import Foundation
import Testing

/// `AtomicFile` resumed from a saved length (the planner's forecasts.jsonl after a restart).
@Suite("AtomicFile")
struct AtomicFileTests {
    static func temporaryPath() -> String {
        Scratch.root.appendingPathComponent("flowcast-atomic-\(UUID().uuidString).jsonl").path
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
        let folder = Scratch.root.appendingPathComponent("flowcast-none-\(UUID().uuidString)").path
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

/// What a name stands for (an audit: `NAME.partial` was renamed over devices, FIFOs and symbolic
/// links, and two writers of one file shared one `NAME.partial`).
@Suite("AtomicFile targets")
struct AtomicFileTargetTests {
    static func folder() throws -> String {
        let path = Scratch.root.appendingPathComponent("flowcast-targets-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("a symbolic link stays a link, to the new bytes; the replaced file keeps its permissions")
    func symbolicLink() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "old\n".write(toFile: dir + "/real.json", atomically: false, encoding: .utf8)
        #expect(chmod(dir + "/real.json", 0o600) == 0)
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: "real.json")
        try AtomicFile.write(Array("new\n".utf8), to: dir + "/link")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/link") == "real.json")
        #expect(FileManager.default.contents(atPath: dir + "/real.json") == Data("new\n".utf8))
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/real.json")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["link", "real.json"])
    }

    @Test("a loop of links and a link to nothing are refused, naming the file")
    func badLinks() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createSymbolicLink(atPath: dir + "/a", withDestinationPath: "b")
        try FileManager.default.createSymbolicLink(atPath: dir + "/b", withDestinationPath: "a")
        try FileManager.default.createSymbolicLink(atPath: dir + "/dangling", withDestinationPath: "missing")
        #expect(throws: AtomicFileError(path: dir + "/a", reason: "a loop of symbolic links")) {
            try AtomicFile.write(Array("x".utf8), to: dir + "/a")
        }
        #expect(throws: AtomicFileError(path: dir + "/dangling", reason: "a symbolic link to a missing file (No such file or directory)")) {
            try AtomicFile.write(Array("x".utf8), to: dir + "/dangling")
        }
        #expect(throws: AtomicFileError(path: dir, reason: "is a folder, not a file")) { try AtomicFile.write(Array("x".utf8), to: dir) }
        // `--out ""` read as "is a folder" (an audit).
        #expect(throws: AtomicFileError(path: "\"\"", reason: "an empty name: give a file")) { try AtomicFile.write(Array("x".utf8), to: "") }
    }

    @Test("a FIFO is written through and stays a FIFO")
    func fifo() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/pipe"
        #expect(mkfifo(path, 0o644) == 0)
        let received = Mutex<Data?>(nil)
        let reader = Thread { let bytes = FileHandle(forReadingAtPath: path)?.readDataToEndOfFile(); received.withLock { $0 = bytes } }
        reader.start()
        try AtomicFile.write(Array("through\n".utf8), to: path)
        let deadline = Date().addingTimeInterval(10)
        while received.withLock({ $0 }) == nil && Date() < deadline { usleep(10_000) }
        #expect(received.withLock { $0 } == Data("through\n".utf8))
        var info = stat()
        #expect(lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
    }

    @Test("a device that refuses the bytes (/dev/full) fails the commit and is left a device",
          .enabled(if: FileManager.default.fileExists(atPath: "/dev/full")))
    func fullDevice() throws {
        #expect(throws: AtomicFileError(path: "/dev/full", reason: "No space left on device")) {
            try AtomicFile.write(Array("x".utf8), to: "/dev/full")
        }
        var info = stat()
        #expect(lstat("/dev/full", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR)
    }

    @Test("a second writer of a file being written is refused; once the first commits, the file is its bytes")
    func secondWriter() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/f.csv"
        let first = try AtomicFile(path: path)
        first.write(Array("first\n".utf8))
        #expect(throws: AtomicFileError(path: path, reason: "another process is writing it (its temporary file f.csv.partial is locked); give each run its own file")) {
            _ = try AtomicFile(path: path)
        }
        try first.commit()
        #expect(FileManager.default.contents(atPath: path) == Data("first\n".utf8))
        try AtomicFile.write(Array("second\n".utf8), to: path)
        #expect(FileManager.default.contents(atPath: path) == Data("second\n".utf8))
        // A partial file left by a killed writer (not locked) is taken over and cut.
        try "stale bytes of a killed run\n".write(toFile: path + ".partial", atomically: false, encoding: .utf8)
        try AtomicFile.write(Array("third\n".utf8), to: path)
        #expect(FileManager.default.contents(atPath: path) == Data("third\n".utf8))
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
    }
}
