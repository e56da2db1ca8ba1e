/// A reader of one flat JSON object (a window line, a tap mark), fast enough for the planner's
/// ingest: top-level members as raw byte ranges, nested objects and arrays skipped whole. Numbers
/// keep their text, so seconds with nine decimals convert to nanoseconds exactly.
struct FlatJSON {
    enum Value {
        case string(String), number(Substring.UTF8View), bool(Bool), null, array([Substring.UTF8View]), other
    }
    private(set) var members: [(key: String, value: Value)] = []

    /// nil when the bytes are not one JSON object.
    init?(_ bytes: [UInt8]) {
        var i = 0
        let n = bytes.count
        func skipSpace() { while i < n && (bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09) { i += 1 } }
        func string() -> String? {
            guard i < n && bytes[i] == UInt8(ascii: "\"") else { return nil }
            i += 1
            // Most strings (every key, ids, sites) have no escape: one String straight from the
            // bytes, with no buffer in between (and no allocation at all up to 15 bytes).
            var end = i
            while end < n, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 { end += 1 }
            if end < n && bytes[end] == UInt8(ascii: "\"") {
                let text = String(decoding: bytes[i..<end], as: UTF8.self)
                i = end + 1
                return text
            }
            var out: [UInt8] = []
            while i < n {
                let b = bytes[i]
                if b == UInt8(ascii: "\"") { i += 1; return String(decoding: out, as: UTF8.self) }
                if b == UInt8(ascii: "\\") {
                    guard i + 1 < n else { return nil }
                    let e = bytes[i + 1]
                    switch e {
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "u"):
                        guard i + 5 < n, let v = UInt32(String(decoding: bytes[(i + 2)...(i + 5)], as: UTF8.self), radix: 16),
                              let scalar = Unicode.Scalar(v) else { return nil }
                        out.append(contentsOf: Array(String(Character(scalar)).utf8))
                        i += 4
                    default: out.append(e)
                    }
                    i += 2
                    continue
                }
                if b < 0x20 { return nil }
                out.append(b); i += 1
            }
            return nil
        }
        func number() -> Substring.UTF8View? {
            let start = i
            while i < n, let c = Optional(bytes[i]), (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "-")
                    || c == UInt8(ascii: "+") || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") { i += 1 }
            guard i > start else { return nil }
            return Substring(decoding: bytes[start..<i], as: UTF8.self).utf8
        }
        func skipNested() -> Bool {
            var depth = 0
            while i < n {
                let b = bytes[i]
                if b == UInt8(ascii: "\"") { guard string() != nil else { return false }; continue }
                if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") { depth += 1 }
                if b == UInt8(ascii: "}") || b == UInt8(ascii: "]") { depth -= 1; if depth == 0 { i += 1; return true } }
                i += 1
            }
            return false
        }
        members.reserveCapacity(20)
        skipSpace()
        guard i < n && bytes[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        skipSpace()
        if i < n && bytes[i] == UInt8(ascii: "}") { i += 1 } else {
            while true {
                skipSpace()
                guard let key = string() else { return nil }
                skipSpace()
                guard i < n && bytes[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                skipSpace()
                guard i < n else { return nil }
                let value: Value
                switch bytes[i] {
                case UInt8(ascii: "\""): guard let s = string() else { return nil }; value = .string(s)
                case UInt8(ascii: "t"): guard i + 4 <= n, bytes[i..<(i + 4)].elementsEqual("true".utf8) else { return nil }; i += 4; value = .bool(true)
                case UInt8(ascii: "f"): guard i + 5 <= n, bytes[i..<(i + 5)].elementsEqual("false".utf8) else { return nil }; i += 5; value = .bool(false)
                case UInt8(ascii: "n"): guard i + 4 <= n, bytes[i..<(i + 4)].elementsEqual("null".utf8) else { return nil }; i += 4; value = .null
                case UInt8(ascii: "["):
                    let save = i
                    i += 1
                    var items: [Substring.UTF8View] = []
                    var flat = true
                    skipSpace()
                    if i < n && bytes[i] == UInt8(ascii: "]") { i += 1 } else {
                        while flat {
                            skipSpace()
                            guard let item = number() else { flat = false; break }
                            items.append(item)
                            skipSpace()
                            guard i < n else { return nil }
                            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                            if bytes[i] == UInt8(ascii: "]") { i += 1; break }
                            return nil
                        }
                    }
                    if flat { value = .array(items) } else { i = save; guard skipNested() else { return nil }; value = .other }
                case UInt8(ascii: "{"): guard skipNested() else { return nil }; value = .other
                default: guard let v = number() else { return nil }; value = .number(v)
                }
                members.append((key, value))
                skipSpace()
                guard i < n else { return nil }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; break }
                return nil
            }
        }
        skipSpace()
        guard i == n else { return nil }
    }

    subscript(_ key: String) -> Value? { members.first { $0.key == key }?.value }

    func string(_ key: String) -> String? { if case let .string(s)? = self[key] { return s }; return nil }
    func bool(_ key: String) -> Bool? { if case let .bool(b)? = self[key] { return b }; return nil }
    func isNull(_ key: String) -> Bool { if case .null? = self[key] { return true }; return false }
    func unsigned(_ key: String) -> UInt64? { if case let .number(v)? = self[key] { return UInt64(Substring(v)) }; return nil }
    /// A non-negative or negative decimal number of seconds as exact nanoseconds (at most nine decimals).
    func nanoseconds(_ key: String) -> Int64? { if case let .number(v)? = self[key] { return Self.nanoseconds(v) }; return nil }

    static func nanoseconds(_ text: Substring.UTF8View) -> Int64? {
        var negative = false
        var whole: Int64 = 0, fraction: Int64 = 0, digits = 0
        var seenDot = false, any = false
        for (k, c) in text.enumerated() {
            if k == 0 && c == UInt8(ascii: "-") { negative = true; continue }
            if c == UInt8(ascii: ".") { guard !seenDot else { return nil }; seenDot = true; continue }
            guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else { return nil }
            any = true
            let d = Int64(c - UInt8(ascii: "0"))
            if seenDot {
                guard digits < 9 else { return nil }
                fraction = fraction * 10 + d; digits += 1
            } else {
                let (m, o1) = whole.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(d)
                guard !o1 && !o2 && a <= Int64.max / 1_000_000_000 - 1 else { return nil }
                whole = a
            }
        }
        guard any else { return nil }
        while digits < 9 { fraction *= 10; digits += 1 }
        let value = whole * 1_000_000_000 + fraction
        return negative ? -value : value
    }
}
