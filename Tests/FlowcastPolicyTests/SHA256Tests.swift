import FlowcastTestSupport
@testable import FlowcastPolicy
import Foundation
import Testing

@Test(arguments: [
    ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
])
func sha256MatchesFIPSVectors(message: String, digest: String) {
    #expect(SHA256.hex(Array(message.utf8)) == digest)
}

@Test func sha256OfAMillionAs() {
    var hasher = SHA256()
    for _ in 0..<1000 { hasher.update([UInt8](repeating: 0x61, count: 1000)) }
    let hex = hasher.finalize().map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    #expect(hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
}

@Test func sha256AcrossBlockBoundaries() {
    // 55, 56 and 64 bytes exercise the padding edge cases; compare one-shot with byte-at-a-time.
    for n in [55, 56, 63, 64, 65, 119, 120] {
        let bytes = (0..<n).map { UInt8($0 & 0xFF) }
        var hasher = SHA256()
        for b in bytes { hasher.update([b]) }
        #expect(hasher.finalize().count == 32)
        #expect(SHA256.hex(bytes) == hasher.finalize().map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined())
    }
}

/// Against coreutils' `sha256sum`, on lengths around every block edge and fed in uneven pieces
/// (the block-at-a-time path, the unfinished-block buffer, and a non-contiguous sequence).
@Test func sha256MatchesCoreutils() throws {
    var generator = SystemRandomNumberGenerator()
    for n in [0, 1, 63, 64, 65, 127, 128, 129, 1000, 4096, 100_003] {
        let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let path = Scratch.root.appendingPathComponent("flowcast-sha-\(n)-\(getpid())").path
        defer { unlink(path) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let expected = String(output.prefix(64))
        #expect(SHA256.hex(bytes) == expected, "\(n) bytes at once")
        var pieces = SHA256(), start = 0, step = 1
        while start < n {
            let end = min(n, start + step)
            pieces.update(bytes[start..<end])
            start = end; step = step * 3 % 97 + 1
        }
        #expect(pieces.hexDigest() == expected, "\(n) bytes in pieces")
        #expect(SHA256.hex(bytes.lazy.map { $0 }) == expected, "\(n) bytes, not contiguous")
    }
}
