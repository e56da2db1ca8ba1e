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

    init(schema: JSONValue) { self.root = schema }

    /// Every violation, in document order (stable for tests and messages).
    func violations(of value: JSONValue) -> [Violation] {
        var out: [Violation] = []
        check(value, against: root, at: "$", into: &out)
        return out
    }

    private func resolve(_ schema: [String: JSONValue]) -> [String: JSONValue] {
        guard case .string(let ref)? = schema["$ref"], ref.hasPrefix("#/") else { return schema }
        var node = root
        for part in ref.dropFirst(2).split(separator: "/") {
            guard case .object(let o) = node, let next = o[String(part)] else { return [:] }
            node = next
        }
        guard case .object(let resolved) = node else { return [:] }
        return resolve(resolved)
    }

    private func check(_ value: JSONValue, against schemaValue: JSONValue, at path: String, into out: inout [Violation]) {
        guard case .object(let raw) = schemaValue else { return }
        let schema = resolve(raw)
        if case .string(let t)? = schema["type"], !matches(value, type: t) {
            out.append(Violation(field: path, message: "expected \(t), found \(value.typeName)"))
            return
        }
        if case .array(let options)? = schema["enum"], !options.contains(value) {
            out.append(Violation(field: path, message: "must be one of \(options.map(render).joined(separator: ", "))"))
        }
        if let c = schema["const"], c != value {
            out.append(Violation(field: path, message: "must be \(render(c))"))
        }
        if case .number(let n) = value {
            if case .number(let min)? = schema["minimum"], n < min {
                out.append(Violation(field: path, message: "must be at least \(render(.number(min))), found \(render(value))"))
            }
            if case .number(let max)? = schema["maximum"], n > max {
                out.append(Violation(field: path, message: "must be at most \(render(.number(max))), found \(render(value))"))
            }
        }
        if case .string(let s) = value {
            if case .number(let min)? = schema["minLength"], Double(s.count) < min {
                out.append(Violation(field: path, message: "must have at least \(Int(min)) characters"))
            }
            if case .string(let pattern)? = schema["pattern"], s.range(of: pattern, options: .regularExpression) == nil {
                out.append(Violation(field: path, message: "must match \(pattern)"))
            }
        }
        if case .array(let items) = value {
            if case .number(let min)? = schema["minItems"], Double(items.count) < min {
                out.append(Violation(field: path, message: "must have at least \(Int(min)) items"))
            }
            if let itemSchema = schema["items"] {
                for (i, item) in items.enumerated() { check(item, against: itemSchema, at: "\(path)[\(i)]", into: &out) }
            }
        }
        if case .object(let members) = value {
            let properties: [String: JSONValue]
            if case .object(let p)? = schema["properties"] { properties = p } else { properties = [:] }
            if case .array(let required)? = schema["required"] {
                for case .string(let key) in required where members[key] == nil {
                    out.append(Violation(field: "\(path).\(key)", message: "required field is missing"))
                }
            }
            for key in members.keys.sorted() {
                if let sub = properties[key] {
                    check(members[key]!, against: sub, at: "\(path).\(key)", into: &out)
                } else if case .bool(false)? = schema["additionalProperties"] {
                    out.append(Violation(field: "\(path).\(key)", message: "unknown field"))
                }
            }
        }
    }

    private func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string), ("array", .array),
             ("object", .object): true
        case ("integer", .number(let n)): n == n.rounded()
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
