public import FlowcastCore
public import FlowcastAggregate
public import FlowcastNATS
internal import FlowcastPolicy

/// The NATS subjects, message ids and streams of Flowcast's scale-out (docs/scaleout.md): one
/// owner for the names both taps and the planner use. Version 1 of the formats (`flowcast.v1.…`).
public enum FlowcastSubjects {
    public static let prefix = "flowcast.v1"
    /// Every tap's closed windows and tap events: the planner's one input stream.
    public static let windowStream = StreamConfiguration(
        name: "FLOWCAST_WINDOWS", subjects: ["flowcast.v1.win.>", "flowcast.v1.tap.>"],
        maxAgeNanoseconds: 7 * 86_400 * 1_000_000_000, duplicateWindowNanoseconds: 15 * 60 * 1_000_000_000)
    /// Flows as they end (`--publish-flows`).
    public static let flowStream = StreamConfiguration(
        name: "FLOWCAST_FLOWS", subjects: ["flowcast.v1.flow.>"],
        maxAgeNanoseconds: 86_400 * 1_000_000_000, duplicateWindowNanoseconds: 2 * 60 * 1_000_000_000)
    /// Planned policies, for exporters and taps.
    public static let policyStream = StreamConfiguration(
        name: "FLOWCAST_POLICIES", subjects: ["flowcast.v1.policy"],
        maxAgeNanoseconds: 30 * 86_400 * 1_000_000_000, duplicateWindowNanoseconds: 15 * 60 * 1_000_000_000)

    public static let policy = "flowcast.v1.policy"

    /// `flowcast.v1.win.<site>.<cell|link>.<id>`.
    public static func window(site: String, kind: WindowSummary.Kind, id: String) -> String {
        "\(prefix).win.\(token(site)).\(kind.rawValue).\(token(id))"
    }
    /// Whether `subject` is `window(site:kind:id:)`, compared byte by byte without building it (the
    /// planner checks every line it reads). The expected subject is ASCII, so this is `==`.
    static func isWindow(_ subject: String, site: String, kind: WindowSummary.Kind, id: String) -> Bool {
        var subject = subject
        return subject.withUTF8 { s -> Bool in
            var i = 0
            func expect(_ b: UInt8) -> Bool {
                guard i < s.count, s[i] == b else { return false }
                i += 1
                return true
            }
            func literal(_ text: String) -> Bool { text.utf8.allSatisfy(expect) }
            func token(_ name: String) -> Bool {
                if name.isEmpty { return expect(UInt8(ascii: "%")) }
                for b in name.utf8 {
                    switch b {
                    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                         UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: ":"):
                        guard expect(b) else { return false }
                    default:
                        guard expect(UInt8(ascii: "%")), expect(hexDigit(b >> 4)), expect(hexDigit(b & 0xF)) else { return false }
                    }
                }
                return true
            }
            return literal(prefix) && literal(".win.") && token(site) && expect(UInt8(ascii: ".")) && literal(kind.rawValue)
                && expect(UInt8(ascii: ".")) && token(id) && i == s.count
        }
    }

    private static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? UInt8(ascii: "0") + v : UInt8(ascii: "A") + v - 10 }

    /// `flowcast.v1.tap.<site>`: window marks, heartbeats and the tap's end.
    public static func tap(site: String) -> String { "\(prefix).tap.\(token(site))" }
    /// The site token (escaped, as in the subject) of a `flowcast.v1.win.…` or `flowcast.v1.tap.…`
    /// subject; nil for another subject.
    static func siteToken(of subject: String) -> String? {
        let parts = subject.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 4, "\(parts[0]).\(parts[1])" == prefix, parts[2] == "win" || parts[2] == "tap" else { return nil }
        return String(parts[3])
    }
    /// The site a `flowcast.v1.win.…` or `flowcast.v1.tap.…` subject names, its escapes undone
    /// (`a%2Eb` is site `a.b`, as its tap was given it): what the log calls it. nil for another
    /// subject or a token that is no escaping of a name.
    static func siteName(of subject: String) -> String? {
        guard let token = siteToken(of: subject) else { return nil }
        if token == "%" { return "" }
        var out: [UInt8] = []
        var bytes = token.utf8.makeIterator()
        func hex(_ c: UInt8?) -> UInt8? {
            guard let c else { return nil }
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        while let b = bytes.next() {
            if b == UInt8(ascii: "%") {
                guard let high = hex(bytes.next()), let low = hex(bytes.next()) else { return nil }
                out.append(high << 4 | low)
            } else {
                out.append(b)
            }
        }
        return String(validating: out, as: UTF8.self)
    }
    /// `flowcast.v1.flow.<site>`.
    public static func flow(site: String) -> String { "\(prefix).flow.\(token(site))" }

    /// `<site>|<kind>|<id>|<window start ns>|<content>` (`content(of:)` of the payload): the
    /// stream's duplicate window drops a re-sent window, and only that. Until 7 December 2026 the
    /// id had no content: a tap's short trial run, a capture rotated inside a window, or a rerun
    /// on another topology published a window under the ids of another run's, and the stream
    /// dropped the later one as a duplicate, which the planner never saw (an audit). Now a line
    /// with other counts reaches the planner, which names it (a conflict).
    public static func windowMessageID(site: String, kind: WindowSummary.Kind, id: String, start: Int64,
                                       payload: some Collection<UInt8>) -> String {
        "\(site)|\(kind.rawValue)|\(id)|\(start)|\(content(of: payload))"
    }

    /// The first 16 hex digits (64 bits) of the payload's SHA-256: what tells a re-sent message
    /// (the same bytes) from another one under the same name.
    public static func content(of payload: some Collection<UInt8>) -> String {
        String(SHA256.hex(payload).prefix(16))
    }

    /// A name as one subject token: ASCII letters, digits, `-`, `_` and `:` stay; every other byte
    /// of its UTF-8 (`.`, `*`, `>`, space, `%`, non-ASCII …) becomes `%XX` (upper-case hex), so
    /// distinct names stay distinct and no name adds a token or a wildcard. "" becomes `%`.
    public static func token(_ name: String) -> String {
        if name.isEmpty { return "%" }
        var out: [UInt8] = []
        out.reserveCapacity(name.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for b in name.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: ":"):
                out.append(b)
            default:
                out.append(UInt8(ascii: "%")); out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
