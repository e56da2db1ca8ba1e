/// Any JSON value, decoded without Foundation's `Any` so booleans and numbers stay distinct.
public enum JSONValue: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number(let n): n == n.rounded() ? "integer" : "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

extension JSONValue {
    /// Parses strict RFC 8259 JSON bytes straight into a `JSONValue`; `nil` when the bytes are not
    /// valid JSON (callers then go through `JSONDecoder` for its error message).
    ///
    /// Decoding through `Decodable` tries each case in turn and pays for a thrown error per miss:
    /// it was a third of `flowcast plan`'s run time on a 500-demand policy, validated twice.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> JSONValue? {
        var parser = Parser(bytes: bytes)
        parser.skipSpace()
        guard let value = parser.value(depth: 0) else { return nil }
        parser.skipSpace()
        return parser.at == bytes.count ? value : nil
    }

    /// Where strict parsing of `bytes` fails, as a 1-based line and column (of the byte the parser
    /// stopped at: the error is there or just before it, as with a number beyond a Double's
    /// range), the key when it failed on a key given twice in one object, and what was wrong
    /// (`reason`: "the file is empty", "a byte-order mark …", "nested deeper than 512 levels",
    /// "a string that is not valid UTF-8" …); nil when the bytes are valid JSON. Until
    /// 6 December 2026 only the position was given, and an empty file, a byte-order mark from
    /// a Windows editor or a string in Latin-1 all read "not valid JSON at line 1, column 1".
    public static func failure(_ bytes: UnsafeRawBufferPointer) -> (line: Int, column: Int, repeatedKey: String?, reason: String)? {
        var parser = Parser(bytes: bytes)
        parser.skipSpace()
        if parser.value(depth: 0) != nil {
            parser.skipSpace()
            if parser.at == bytes.count { return nil }
            parser.note("text after the end of the JSON value, found \(parser.found())")
        }
        let end = min(parser.at, bytes.count)
        var line = 1, column = 1
        for i in 0..<end {
            if bytes[i] == 0x0A { line += 1; column = 1 } else { column += 1 }
        }
        var reason = parser.reason ?? "not a JSON value"
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            reason = "it starts with a UTF-8 byte-order mark (EF BB BF), which JSON does not allow; save the file without it"
        } else if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            reason = bytes.isEmpty ? "the file is empty" : "the file holds only white space"
        }
        return (line, column, parser.repeatedKey, reason)
    }

    private struct Parser {
        let bytes: UnsafeRawBufferPointer
        var at = 0
        /// The key that stopped the parse by appearing twice in one object.
        var repeatedKey: String?
        /// What stopped the parse, set where it stopped (the innermost failure: callers up the
        /// stack return nil without overwriting it).
        var reason: String?

        /// Records why parsing stopped, once.
        mutating func note(_ why: String) {
            if reason == nil { reason = why }
        }

        /// Records why parsing stopped, once, and returns nil for the caller to pass up.
        mutating func fail<T>(_ why: String, _: T.Type = T.self) -> T? {
            note(why)
            return nil
        }

        func hex(_ c: UInt8) -> String {
            let digits = Array("0123456789ABCDEF")
            return String([digits[Int(c >> 4)], digits[Int(c & 15)]])
        }

        /// The byte at `at`, named for a message: `'x'`, or its hex value when not printable.
        func found() -> String {
            guard at < bytes.count else { return "the end of the file" }
            let c = bytes[at]
            return (0x21...0x7E).contains(c) ? "'\(Character(Unicode.Scalar(c)))'" : "byte 0x" + hex(c)
        }

        mutating func skipSpace() {
            while at < bytes.count, bytes[at] == 0x20 || bytes[at] == 0x0A || bytes[at] == 0x0D || bytes[at] == 0x09 { at += 1 }
        }

        mutating func literal(_ text: StaticString) -> Bool {
            let n = text.utf8CodeUnitCount
            guard at + n <= bytes.count else { return false }
            for i in 0..<n where bytes[at + i] != text.utf8Start[i] { return false }
            at += n
            return true
        }

        mutating func value(depth: Int) -> JSONValue? {
            guard at < bytes.count else { return fail("the file ends where a value should start") }
            guard depth < 512 else { return fail("nested deeper than 512 levels") }
            switch bytes[at] {
            case UInt8(ascii: "{"):
                at += 1
                var members: [String: JSONValue] = [:]
                skipSpace()
                if at < bytes.count, bytes[at] == UInt8(ascii: "}") { at += 1; return .object(members) }
                while true {
                    skipSpace()
                    let keyStart = at
                    guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else {
                        return fail("expected a key in double quotes, found \(found())")
                    }
                    guard let key = string() else { return nil }
                    // A key given twice is refused: JSON readers differ on which value they keep
                    // (Python's json and jq the last, JSONDecoder the first), so one document would
                    // mean one thing to Flowcast and another to the tools beside it.
                    if members[key] != nil { repeatedKey = key; at = keyStart; return fail("key \"\(key)\" given twice in one object") }
                    skipSpace()
                    guard at < bytes.count, bytes[at] == UInt8(ascii: ":") else { return fail("expected ':' after a key, found \(found())") }
                    at += 1
                    skipSpace()
                    guard let v = value(depth: depth + 1) else { return nil }
                    members[key] = v
                    skipSpace()
                    if at < bytes.count, bytes[at] == UInt8(ascii: ",") { at += 1; continue }
                    if at < bytes.count, bytes[at] == UInt8(ascii: "}") { at += 1; return .object(members) }
                    return fail("expected ',' or '}' in an object, found \(found())")
                }
            case UInt8(ascii: "["):
                at += 1
                var items: [JSONValue] = []
                skipSpace()
                if at < bytes.count, bytes[at] == UInt8(ascii: "]") { at += 1; return .array(items) }
                while true {
                    skipSpace()
                    guard let v = value(depth: depth + 1) else { return nil }
                    items.append(v)
                    skipSpace()
                    if at < bytes.count, bytes[at] == UInt8(ascii: ",") { at += 1; continue }
                    if at < bytes.count, bytes[at] == UInt8(ascii: "]") { at += 1; return .array(items) }
                    return fail("expected ',' or ']' in an array, found \(found())")
                }
            case UInt8(ascii: "\""): return string().map { .string($0) }
            case UInt8(ascii: "t"): return literal("true") ? .bool(true) : fail("expected true, found \(found())")
            case UInt8(ascii: "f"): return literal("false") ? .bool(false) : fail("expected false, found \(found())")
            case UInt8(ascii: "n"): return literal("null") ? .null : fail("expected null, found \(found())")
            case UInt8(ascii: "-"), 0x30...0x39: return number()
            default: return fail("expected a value, found \(found())")
            }
        }

        private func isDigit(_ i: Int) -> Bool { i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 }

        mutating func number() -> JSONValue? {
            let start = at
            if at < bytes.count, bytes[at] == UInt8(ascii: "-") { at += 1 }
            guard isDigit(at) else { return fail("expected a digit after '-', found \(found())") }
            if bytes[at] == 0x30 {
                at += 1
                if isDigit(at) { return fail("a number with a leading zero") }
            } else { while isDigit(at) { at += 1 } }
            if at < bytes.count, bytes[at] == UInt8(ascii: ".") {
                at += 1
                guard isDigit(at) else { return fail("expected a digit after the decimal point, found \(found())") }
                while isDigit(at) { at += 1 }
            }
            var mantissaEnd: Int? = nil
            if at < bytes.count, bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") {
                mantissaEnd = at
                at += 1
                if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") { at += 1 }
                guard isDigit(at) else { return fail("expected a digit in the exponent, found \(found())") }
                while isDigit(at) { at += 1 }
            }
            guard let n = Double(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)),
                  n.isFinite else { return fail("a number beyond what a 64-bit floating-point value holds") }
            // 1e-400 reads as 0 here and JSONDecoder refuses it, which then named no line: say so.
            if n == 0, bytes[start..<(mantissaEnd ?? at)].contains(where: { $0 >= 0x31 && $0 <= 0x39 }) {
                return fail("a number too small for a 64-bit floating-point value (it would read as 0)")
            }
            return .number(n)
        }

        mutating func hex4() -> UInt32? {
            guard at + 4 <= bytes.count else { return fail("the file ends inside a \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[at]
                let d: UInt8
                switch c {
                case 0x30...0x39: d = c - 0x30
                case 0x41...0x46: d = c - 0x41 + 10
                case 0x61...0x66: d = c - 0x61 + 10
                default: return fail("expected four hex digits after \\u, found \(found())")
                }
                v = v << 4 | UInt32(d)
                at += 1
            }
            return v
        }

        /// At an opening quote.
        mutating func string() -> String? {
            at += 1
            let start = at
            // Fast path: no escapes.
            while at < bytes.count, bytes[at] != UInt8(ascii: "\""), bytes[at] != UInt8(ascii: "\\") {
                if bytes[at] < 0x20 { return controlInString() }
                at += 1
            }
            guard at < bytes.count else { return fail("a string that is never closed (no closing '\"')") }
            if bytes[at] == UInt8(ascii: "\"") {
                let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<at])
                guard let text = String(validating: raw, as: UTF8.self) else { return notUTF8(from: start) }
                at += 1
                return text
            }
            var out = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<at]))
            while true {
                guard at < bytes.count else { return fail("a string that is never closed (no closing '\"')") }
                let c = bytes[at]
                if c == UInt8(ascii: "\"") { break }
                if c < 0x20 { return controlInString() }
                if c != UInt8(ascii: "\\") { out.append(c); at += 1; continue }
                at += 1
                guard at < bytes.count else { return fail("a string that is never closed (no closing '\"')") }
                let e = bytes[at]
                at += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    guard var scalar = hex4() else { return nil }
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard at + 1 < bytes.count, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") else {
                            return fail("a \\u escape of half a UTF-16 surrogate pair, with no second half after it")
                        }
                        at += 2
                        guard let low = hex4() else { return nil }
                        guard (0xDC00..<0xE000).contains(low) else { return fail("a \\u surrogate pair whose second half is not a low surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        return fail("a \\u escape of the second half of a UTF-16 surrogate pair, with no first half")
                    }
                    guard let u = Unicode.Scalar(scalar) else { return nil }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default:
                    at -= 1
                    return fail("an unknown escape: a backslash before \(found()) in a string (JSON has \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
                }
            }
            guard let text = String(validating: out, as: UTF8.self) else { return notUTF8(from: start) }
            at += 1
            return text
        }

        /// A control character (below U+0020) at `at`, inside a string: JSON needs it escaped.
        mutating func controlInString() -> String? {
            fail(bytes[at] == 0x0A ? "a line break inside a string (a string that is never closed, or a newline to write as \\n)"
                 : "a control character (byte 0x\(hex(bytes[at]))) inside a string; write it as an escape", String.self)
        }

        /// A string from `start` whose bytes are not UTF-8: moves `at` to the first bad byte.
        mutating func notUTF8(from start: Int) -> String? {
            var i = start
            while i < bytes.count {
                let end = min(i + 4, bytes.count)
                // The shortest prefix from i that decodes to one scalar; none means i is bad.
                var ok = false
                for n in 1...(end - i) where String(validating: UnsafeRawBufferPointer(rebasing: bytes[i..<(i + n)]), as: UTF8.self) != nil {
                    i += n; ok = true; break
                }
                if !ok { break }
            }
            at = i
            return fail("a string that is not valid UTF-8 (byte 0x\(i < bytes.count ? hex(bytes[i]) : "??")); save the file as UTF-8", String.self)
        }
    }
}
