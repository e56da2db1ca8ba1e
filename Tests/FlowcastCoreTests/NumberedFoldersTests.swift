import FlowcastTestSupport
import FlowcastCore
import Foundation
import Testing

/// The PREFIX-N folders replay keeps (`earlier-N`) and live writes (`policies/reload-N`).
@Suite("NumberedFolders")
struct NumberedFoldersTests {
    @Test("only folders named exactly PREFIX-N with N ≥ 1 count, ordered by N, not by name")
    func listing() throws {
        let dir = Scratch.root.appendingPathComponent("flowcast-numbered-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fm = FileManager.default
        for name in ["reload-10", "reload-2", "reload-1", "reload-0", "reload--3", "reload-01", "reload-+4", "reload-x", "reloaded-5", "earlier-1"] {
            try fm.createDirectory(atPath: dir + "/" + name, withIntermediateDirectories: true)
        }
        #expect(fm.createFile(atPath: dir + "/reload-7", contents: Data()))   // a file, not a folder
        try fm.createSymbolicLink(atPath: dir + "/reload-3", withDestinationPath: dir + "/reload-x")
        let found = NumberedFolders.list(in: dir, prefix: "reload")
        #expect(found.map(\.number) == [1, 2, 3, 10])
        #expect(found.map(\.path) == [1, 2, 3, 10].map { dir + "/reload-\($0)" })
        #expect(NumberedFolders.list(in: dir, prefix: "earlier").map(\.number) == [1])
        #expect(NumberedFolders.list(in: dir + "/absent", prefix: "reload").isEmpty)
        // The first free name skips files as well as folders: reload-7 is a file.
        #expect(NumberedFolders.firstFree(in: dir, prefix: "earlier") == dir + "/earlier-2")
        for n in 4...6 { try fm.createDirectory(atPath: dir + "/reload-\(n)", withIntermediateDirectories: true) }
        #expect(NumberedFolders.firstFree(in: dir, prefix: "reload") == dir + "/reload-8")
        #expect(NumberedFolders.number(of: "earlier-12", prefix: "earlier") == 12)
        #expect(NumberedFolders.number(of: "earlier-", prefix: "earlier") == nil)
    }
}
