internal import FlowcastCore
import Foundation

/// Validates JSON against the subset of JSON Schema (2020-12) that policy.schema.json uses:
/// `type`, `properties`, `required`, `additionalProperties: false`, `items`, `minItems`, `enum`,
/// `const`, `minimum`, `maximum`, `minLength`, `pattern` and local `$ref` into `$defs`.
///
/// Hand-written because no JSON Schema validator is available without a new package dependency,
/// and this subset is small enough to check exhaustively in tests. Unknown keywords are ignored
/// (as the spec allows), so keep the schema inside the subset.
struct SchemaValidator {
    struct Violation: Equatable, Sendable {
        /// JSON path of the offending field, e.g. `$.routing.demands[0].paths`.
        var field: String
        var message: String
    }

    let root: JSONValue
    /// The schema compiled once: keywords read into fields and `$ref`s resolved, so checking a
    /// large document (a 1,000-cell policy has about a million values) does no keyword lookups.
    private let compiled: Node

    init(schema: JSONValue) {
        self.root = schema
        var cache: [String: Node] = [:]
        compiled = Self.compile(schema, root: schema, cache: &cache)
    }

    /// Every violation, in document order (stable for tests and messages).
    func violations(of value: JSONValue) -> [Violation] {
        var out: [Violation] = []
        var path: [Step] = []
        check(value, against: compiled, at: &path, into: &out)
        return out
    }

    /// One schema, its keywords read (nil or empty: absent).
    final class Node: Sendable {
        let type: String?
        let options: [JSONValue]?
        let constant: JSONValue?
        let minimum: Double?
        let maximum: Double?
        let minLength: Double?
        let pattern: String?
        let minItems: Double?
        let items: Node?
        let properties: [String: Node]
        /// `properties`' keys, sorted: members are checked in key order.
        let propertyKeys: [String]
        let required: [String]
        let closed: Bool

        init(_ schema: [String: JSONValue], compile: (JSONValue) -> Node) {
            if case .string(let t)? = schema["type"] { type = t } else { type = nil }
            if case .array(let o)? = schema["enum"] { options = o } else { options = nil }
            constant = schema["const"]
            if case .number(let n)? = schema["minimum"] { minimum = n } else { minimum = nil }
            if case .number(let n)? = schema["maximum"] { maximum = n } else { maximum = nil }
            if case .number(let n)? = schema["minLength"] { minLength = n } else { minLength = nil }
            if case .string(let p)? = schema["pattern"] { pattern = p } else { pattern = nil }
            if case .number(let n)? = schema["minItems"] { minItems = n } else { minItems = nil }
            items = schema["items"].map(compile)
            if case .object(let p)? = schema["properties"] { properties = p.mapValues(compile) } else { properties = [:] }
            propertyKeys = properties.keys.sorted()
            if case .array(let r)? = schema["required"] {
                required = r.compactMap { if case .string(let key) = $0 { key } else { nil } }
            } else {
                required = []
            }
            if case .bool(false)? = schema["additionalProperties"] { closed = true } else { closed = false }
        }
    }

    /// A schema with its `$ref` followed (a ref replaces the whole schema; one that does not
    /// resolve to an object is the empty schema). Refs to the same place share one node; the
    /// schemas here have no cyclic refs.
    private static func compile(_ value: JSONValue, root: JSONValue, cache: inout [String: Node]) -> Node {
        guard case .object(let schema) = value else { return Node([:]) { _ in preconditionFailure("an empty schema has no subschemas") } }
        if case .string(let ref)? = schema["$ref"], ref.hasPrefix("#/") {
            if let node = cache[ref] { return node }
            var target = root
            for part in ref.dropFirst(2).split(separator: "/") {
                guard case .object(let o) = target, let next = o[String(part)] else { target = .object([:]); break }
                target = next
            }
            if case .object = target {} else { target = .object([:]) }
            let node = compile(target, root: root, cache: &cache)
            cache[ref] = node
            return node
        }
        return Node(schema) { compile($0, root: root, cache: &cache) }
    }

    /// A step of the path to the value being checked; rendered only for a violation.
    private enum Step { case key(String), index(Int) }

    private static func fieldPath(_ path: [Step]) -> String {
        var text = "$"
        for step in path {
            switch step {
            case .key(let k): text += ".\(k)"
            case .index(let i): text += "[\(i)]"
            }
        }
        return text
    }

    private func check(_ value: JSONValue, against schema: Node, at path: inout [Step], into out: inout [Violation]) {
        if let t = schema.type, !matches(value, type: t) {
            if t == "integer", case .number(let n) = value, n == n.rounded() {
                // An integer past 2^53 is not exact as a double, and Int fields refused it with
                // "The given data was not valid JSON" at "$", naming nothing (an audit's
                // requiredBlocks of 2^63 + 5).
                out.append(Violation(field: Self.fieldPath(path), message: "expected an integer below 2^53 in magnitude, found \(render(value))"))
            } else {
                out.append(Violation(field: Self.fieldPath(path), message: "expected \(t), found \(value.typeName)"))
            }
            return
        }
        if let options = schema.options, !options.contains(value) {
            out.append(Violation(field: Self.fieldPath(path), message: "must be one of \(options.map(render).joined(separator: ", "))"))
        }
        if let c = schema.constant, c != value {
            out.append(Violation(field: Self.fieldPath(path), message: "must be \(render(c))"))
        }
        switch value {
        case .number(let n):
            if let min = schema.minimum, n < min {
                out.append(Violation(field: Self.fieldPath(path), message: "must be at least \(render(.number(min))), found \(render(value))"))
            }
            if let max = schema.maximum, n > max {
                out.append(Violation(field: Self.fieldPath(path), message: "must be at most \(render(.number(max))), found \(render(value))"))
            }
        case .string(let s):
            // Every string of a document is one line of printable text: an id or a reason holding
            // a newline or an escape sequence would forge lines in `flowcast diff`'s text and
            // markdown, the output a reviewer trusts, and a bidirectional override would make an
            // id read as another. Whatever the schema says of the field.
            if let bad = s.unprintableCharacter {
                out.append(Violation(field: Self.fieldPath(path),
                                     message: "contains \(bad); text in a policy is one line of printable characters"))
            }
            if let min = schema.minLength, Double(s.count) < min {
                out.append(Violation(field: Self.fieldPath(path), message: "must have at least \(Int(min)) characters"))
            }
            if let pattern = schema.pattern, s.range(of: pattern, options: .regularExpression) == nil {
                out.append(Violation(field: Self.fieldPath(path), message: "must match \(pattern)"))
            }
        case .array(let items):
            if let min = schema.minItems, Double(items.count) < min {
                out.append(Violation(field: Self.fieldPath(path), message: "must have at least \(Int(min)) items"))
            }
            if let itemSchema = schema.items {
                for (i, item) in items.enumerated() {
                    path.append(.index(i))
                    check(item, against: itemSchema, at: &path, into: &out)
                    path.removeLast()
                }
            }
        case .object(let members):
            for key in schema.required where members[key] == nil {
                path.append(.key(key))
                out.append(Violation(field: Self.fieldPath(path), message: "required field is missing"))
                path.removeLast()
            }
            // Members in key order: the schema's sorted property names when every member is one
            // of them (the usual case), else the members' own keys, sorted.
            let known = members.keys.allSatisfy { schema.properties[$0] != nil }
            for key in known ? schema.propertyKeys : members.keys.sorted() {
                guard let member = members[key] else { continue }
                path.append(.key(key))
                if let sub = schema.properties[key] {
                    check(member, against: sub, at: &path, into: &out)
                } else if schema.closed {
                    out.append(Violation(field: Self.fieldPath(path), message: "unknown field"))
                }
                path.removeLast()
            }
        default:
            break
        }
    }

    private func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string), ("array", .array),
             ("object", .object): true
        // Below 2^53: every integer there is exact as a double, while 2^53 + 1 parses as 2^53 and
        // was taken as that (an audit), so 2^53 itself cannot be told from its neighbour.
        case ("integer", .number(let n)): n == n.rounded() && n.magnitude < 9_007_199_254_740_992
        default: false
        }
    }

    private func render(_ v: JSONValue) -> String {
        switch v {
        case .null: "null"
        case .bool(let b): "\(b)"
        case .number(let n): n == n.rounded() && abs(n) < 1e15 ? "\(Int(n))" : "\(n)"
        case .string(let s): "\"\(s)\""
        case .array: "[…]"
        case .object: "{…}"
        }
    }
}
