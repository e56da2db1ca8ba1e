@testable import FlowcastPolicy
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
