import FlowcastCore
import Foundation
import Testing

/// Window times against coreutils' `date`: whole seconds as before, a fraction where there is one
/// (a live run planning every 400 ms wrote policies "from 02:27:35 to 02:27:35").
@Suite("RFC 3339 window times")
struct ISOTimeTests {
    static func coreutils(_ nanoseconds: Int64) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/date")
        let seconds = nanoseconds / 1_000_000_000, fraction = nanoseconds % 1_000_000_000
        process.arguments = ["-u", "-d", "@\(seconds).\(String(format: "%09lld", fraction))", "+%Y-%m-%dT%H:%M:%S.%N"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        var (whole, digits) = { let p = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "."); return (String(p[0]), String(p[1])) }()
        while digits.hasSuffix("0") { digits.removeLast() }
        return whole + (digits.isEmpty ? "" : "." + digits) + "Z"
    }

    @Test(arguments: [Int64(0), 1_765_000_000_000_000_000, 1_765_000_000_400_000_000, 1_765_000_055_123_456_789,
                      1_765_000_000_000_000_001, 1_765_000_000_999_999_999, 4_102_444_800_500_000_000])
    func writesWhatDateWrites(nanoseconds: Int64) throws {
        let text = ISOTime.string(nanoseconds: nanoseconds)
        #expect(text == (try Self.coreutils(nanoseconds)))
        let back = try #require(ISOTime.seconds(text))
        #expect(abs(back - Double(nanoseconds) / 1e9) < 1e-6, "\(text)")
    }

    @Test func readsBothFormsAndRefusesOthers() {
        #expect(ISOTime.seconds("2026-12-07T02:27:35Z") == 1_796_610_455)
        #expect(ISOTime.seconds("2026-12-07T02:27:35.4Z") == 1_796_610_455.4)
        #expect(ISOTime.seconds("2026-12-07T02:27:35.400Z") == 1_796_610_455.4)
        #expect(ISOTime.seconds("2026-12-07T02:27:35.Z") == nil)
        #expect(ISOTime.seconds("2026-12-07T02:27:35.1234567891Z") == nil)
        #expect(ISOTime.seconds("yesterday") == nil)
        #expect(ISOTime.seconds("2026-12-07T02:27:35.5x") == nil)
    }
}
