import Foundation
import FlowcastCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Byte cursor")
struct ByteCursorTests {
    func written(_ bound: Int = 256, _ body: (inout ByteCursor) -> Void) -> String {
        var out: [UInt8] = Array("prefix|".utf8)
        out.appendWritten(maximumCount: bound, body)
        #expect(out.starts(with: Array("prefix|".utf8)))
        return String(decoding: out.dropFirst(7), as: UTF8.self)
    }

    @Test("decimals, with and without minimum digits, are what String(describing:) gives, zero-padded")
    func decimals() {
        var rng = SplitMix64(seed: 7)
        var values: [UInt64] = [0, 1, 9, 10, 99, 100, 999_999_999, 1_000_000_000, UInt64.max, UInt64.max - 1]
        for _ in 0..<2000 { values.append(rng.next() >> (rng.next() % 64)) }
        for v in values {
            #expect(written { $0.decimal(v) } == String(v))
            let padded = String(v)
            #expect(written { $0.decimal(v, minimumDigits: 9) } == String(repeating: "0", count: max(0, 9 - padded.count)) + padded)
        }
        #expect(written { $0.decimal(Int.min) } == String(Int.min))
        #expect(written { $0.decimal(-5) } == "-5")
    }

    @Test("times keep nine decimals and Wireshark's sign rule: a minus when either part is negative")
    func timestamps() {
        #expect(written { $0.timestamp(seconds: 1_700_000_000, fraction: 5) } == "1700000000.000000005")
        #expect(written { $0.timestamp(seconds: -1, fraction: 999_999_999) } == "-1.999999999")
        #expect(written { $0.timestamp(seconds: 0, fraction: -1) } == "-0.000000001")
        #expect(written { $0.timestamp(seconds: .min, fraction: .min) }
                == "-9223372036854775808.9223372036854775808")
    }

    /// Every address written as glibc's inet_ntop writes the same 16 bytes: random words, and
    /// words drawn from {0, 1, 0xffff} so runs of zeros of every length and place occur.
    @Test("IPv6 addresses are written as inet_ntop writes them")
    func ipv6AgainstInetNtop() throws {
        var rng = SplitMix64(seed: 11)
        for trial in 0..<20_000 {
            var bytes = [UInt8](repeating: 0, count: 16)
            for w in 0..<8 {
                let word: UInt16 = trial % 2 == 0 ? [0, 0, 1, 0xFFFF][Int(rng.next() % 4)] : UInt16(truncatingIfNeeded: rng.next())
                bytes[2 * w] = UInt8(word >> 8); bytes[2 * w + 1] = UInt8(word & 0xFF)
            }
            var text = [CChar](repeating: 0, count: 64)
            try #require(inet_ntop(AF_INET6, bytes, &text, 64) != nil)
            let expected = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let address = try #require(IPAddress(expected[...]))
            #expect(written { $0.address(address) } == expected, "\(bytes)")
        }
    }

    @Test("JSON strings decode back to what was written, control characters, quotes and non-ASCII included")
    func jsonStrings() throws {
        for s in ["", "cell-1", "a\"b\\c", "tab\there\n", "\u{0}\u{1f}", "zürich 東京 🛰", String(repeating: "\"", count: 40)] {
            let line = written(s.utf8.count * 6 + 2) { $0.jsonString(s) }
            let decoded = try JSONSerialization.jsonObject(with: Data("[\(line)]".utf8)) as? [String]
            #expect(decoded == [s], "\(line)")
        }
    }

    @Test("a piece longer than what is left of the bound stops the program rather than writing past it")
    func boundIsChecked() async {
        await #expect(processExitsWith: .failure) {
            var out: [UInt8] = []
            out.appendWritten(maximumCount: 4) { $0.literal("longer than four") }
        }
    }
}
