import FlowcastTestSupport
import FlowcastCore
import Foundation
import Testing

/// `BoundedInput`: a text input beyond its bounds is an error naming the file (and the line),
/// found before more than the bound is held in memory.
@Suite("Bounded input")
struct BoundedInputTests {
    static func temporaryFile(_ name: String) -> String {
        Scratch.root.appendingPathComponent("flowcast-bounded-\(UUID().uuidString)-\(name)").path
    }

    @Test("a file larger than the bound is refused before a byte is read, naming the file and its size")
    func fileBeyondTheBound() throws {
        let path = Self.temporaryFile("big.txt")
        defer { try? FileManager.default.removeItem(atPath: path) }
        // A sparse file: its size is what counts, and it costs no disk.
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        #expect(truncate(path, 3 << 30) == 0)
        let bounds = InputBounds(what: "test file", maximumBytes: 1 << 20, maximumLineBytes: 1 << 10)
        let error = try #require(throws: BoundedInputError.self) { try BoundedInput.read(path: path, bounds: bounds) }
        #expect(error.problem == .tooLarge(bytes: 3 << 30, limit: 1 << 20))
        #expect(error.description == "\(path): the test file is 3221225472 bytes, more than the bound of 1048576 bytes (docs/limits.md)")
    }

    @Test("a line longer than the bound is an error naming the file and the line; shorter lines read whole")
    func lineBeyondTheBound() throws {
        let path = Self.temporaryFile("lines.txt")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bounds = InputBounds(what: "test file", maximumBytes: 64 << 20, maximumLineBytes: 1 << 16)
        // Lines of exactly the bound (a CR before the LF counts) read fine.
        let fine = "a\r\n" + String(repeating: "b", count: 1 << 16) + "\n" + String(repeating: "c", count: (1 << 16) - 1) + "\r\n"
        try fine.write(toFile: path, atomically: false, encoding: .utf8)
        #expect(try BoundedInput.read(path: path, bounds: bounds) == Array(fine.utf8))
        // Line 4 is one byte over, spread across reads of the file.
        let over = fine + String(repeating: "d", count: 3 << 20) + "\nend\n"
        try over.write(toFile: path, atomically: false, encoding: .utf8)
        let error = try #require(throws: BoundedInputError.self) { try BoundedInput.read(path: path, bounds: bounds) }
        #expect(error.problem == .lineTooLong(line: 4, limit: 1 << 16))
        #expect(error.description.hasPrefix("\(path):4: line longer than 65536 bytes"))
    }

    @Test("a stream without a size (a pipe) stops at the bound")
    func streamBeyondTheBound() throws {
        let pipe = Pipe()
        let writer = Thread {
            let block = Data(repeating: 10, count: 1 << 16)
            // Until the reader closes its end (the write then fails and the thread ends).
            for _ in 0..<64 { guard (try? pipe.fileHandleForWriting.write(contentsOf: block)) != nil else { break } }
            try? pipe.fileHandleForWriting.close()
        }
        signal(SIGPIPE, SIG_IGN)
        writer.start()
        let path = "/dev/fd/\(pipe.fileHandleForReading.fileDescriptor)"
        let bounds = InputBounds(what: "test stream", maximumBytes: 1 << 20, maximumLineBytes: 1 << 10)
        let error = try #require(throws: BoundedInputError.self) { try BoundedInput.read(path: path, bounds: bounds) }
        guard case .tooLarge(let read, let limit) = error.problem else { Issue.record("\(error)"); return }
        #expect(limit == 1 << 20 && read > limit && read <= limit + (1 << 20))
        try? pipe.fileHandleForReading.close()
    }

    @Test("a missing file or a folder is unreadable, not a crash")
    func unreadable() {
        let bounds = InputBounds(what: "test file", maximumBytes: 1 << 20, maximumLineBytes: 1 << 10)
        for path in ["/nonexistent/flowcast", Scratch.root.path] {
            #expect(throws: BoundedInputError.self) { try BoundedInput.read(path: path, bounds: bounds) }
        }
    }
}
