internal import Foundation

/// Pretty-printed JSON with object keys in the order `JSONSerialization`'s `.sortedKeys` gives:
/// `String.compare` with `[.numeric, .caseInsensitive, .forcedOrdering]` in the system locale
/// (so "fragment" sorts before "IPv4" and "9x" before "10x"). `JSONEncoder`'s `.sortedKeys`
/// orders by UTF-8 bytes instead. summary.json and `flowcast inspect --json` were first written
/// with `JSONSerialization`; this keeps their bytes while they are encoded from Codable types.
///
/// The value is encoded by `JSONEncoder` (pretty, sorted), which formats numbers and strings as
/// `JSONSerialization` does; only the members of each object are then put in Foundation's order,
/// and the text is laid out again in the same pretty format.
enum FoundationOrderedJSON {
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let data = [UInt8](try encoder.encode(value))
        var parser = Parser(bytes: data)
        guard let node = parser.value(), parser.atEnd else {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "JSONEncoder wrote JSON this layout cannot read"))
        }
        var out: [UInt8] = []
        out.reserveCapacity(data.count)
        write(node, indent: 0, to: &out)
        return out
    }

    static func precedes(_ a: String, _ b: String) -> Bool {
        a.compare(b, options: [.numeric, .caseInsensitive, .forcedOrdering], range: a.startIndex..<a.endIndex,
                  locale: Locale(identifier: "")) == .orderedAscending
    }

    private indirect enum Node {
        /// Members: the key as written (escaped, quoted), the key's text, the value.
        case object([(raw: ArraySlice<UInt8>, key: String, value: Node)])
        case array([Node])
        /// A string, number, boolean or null exactly as written.
        case scalar(ArraySlice<UInt8>)
    }

    private static func write(_ node: Node, indent: Int, to out: inout [UInt8]) {
        func newline(_ level: Int) { out.append(10); out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * level)) }
        switch node {
        case .scalar(let text): out.append(contentsOf: text)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            if items.isEmpty { out.append(10) }
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                write(item, indent: indent + 1, to: &out)
            }
            newline(indent)
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            if members.isEmpty { out.append(10) }
            for (i, member) in members.sorted(by: { precedes($0.key, $1.key) }).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                out.append(contentsOf: member.raw)
                out.append(contentsOf: Array(" : ".utf8))
                write(member.value, indent: indent + 1, to: &out)
            }
            newline(indent)
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Reads the encoder's own output (valid JSON), keeping every token's text.
    private struct Parser {
        let bytes: [UInt8]
        var at = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { mutating get { skipSpace(); return at == bytes.count } }

        mutating func skipSpace() {
            while at < bytes.count, bytes[at] == 0x20 || bytes[at] == 0x0A || bytes[at] == 0x0D || bytes[at] == 0x09 { at += 1 }
        }

        mutating func expect(_ byte: UInt8) -> Bool {
            skipSpace()
            guard at < bytes.count, bytes[at] == byte else { return false }
            at += 1
            return true
        }

        mutating func value() -> Node? {
            skipSpace()
            guard at < bytes.count else { return nil }
            switch bytes[at] {
            case UInt8(ascii: "{"):
                at += 1
                var members: [(raw: ArraySlice<UInt8>, key: String, value: Node)] = []
                if expect(UInt8(ascii: "}")) { return .object(members) }
                repeat {
                    skipSpace()
                    guard let raw = string(), let key = try? JSONDecoder().decode(String.self, from: Data(raw)),
                          expect(UInt8(ascii: ":")), let member = value() else { return nil }
                    members.append((raw, key, member))
                } while expect(UInt8(ascii: ","))
                return expect(UInt8(ascii: "}")) ? .object(members) : nil
            case UInt8(ascii: "["):
                at += 1
                var items: [Node] = []
                if expect(UInt8(ascii: "]")) { return .array(items) }
                repeat {
                    guard let item = value() else { return nil }
                    items.append(item)
                } while expect(UInt8(ascii: ","))
                return expect(UInt8(ascii: "]")) ? .array(items) : nil
            case UInt8(ascii: "\""):
                return string().map { .scalar($0) }
            default:
                let start = at
                while at < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), 0x20, 0x0A, 0x0D, 0x09].contains(bytes[at]) {
                    at += 1
                }
                return at > start ? .scalar(bytes[start..<at]) : nil
            }
        }

        /// A string token with its quotes and escapes.
        mutating func string() -> ArraySlice<UInt8>? {
            guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { return nil }
            let start = at
            at += 1
            while at < bytes.count, bytes[at] != UInt8(ascii: "\"") {
                at += bytes[at] == UInt8(ascii: "\\") ? 2 : 1
            }
            guard at < bytes.count else { return nil }
            at += 1
            return bytes[start..<at]
        }
    }
}
