package import Foundation
internal import FlowcastCore

/// Why planning, reading, writing or exporting a policy failed.
public enum PolicyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A file could not be read or written.
    case io(path: String, message: String)
    /// An input file (forecasts, policy) is not what was expected; the message names the field.
    case badInput(path: String, message: String)
    /// A policy document breaks the JSON Schema at `field` (a JSON path such as `$.routing.demands[0].id`).
    case schemaViolation(path: String, field: String, message: String)
    /// The inputs do not fit the topology (e.g. a demand with no path).
    case inconsistent(String)
    /// The solver failed.
    case solver(SolverError)

    public var description: String {
        switch self {
        case let .io(path, message): "\(path.visible): \(message)"
        case let .badInput(path, message): "\(path.visible): \(message)"
        case let .schemaViolation(path, field, message): "\(path.visible): \(field): \(message)"
        case let .inconsistent(message): message
        case let .solver(error): "solver: \(error)"
        }
    }

    /// A person-readable account of a `DecodingError`, naming the field.
    package static func describe(decoding error: any Error) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            "$" + keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): required field is missing"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        case DecodingError.dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}

/// How large a policy document or a planner input (forecasts JSON) may be (docs/limits.md).
public enum PolicyLimits {
    /// 256 MiB. The demo's policy is 18 KB for 6 cells and 6 demands, about 1.5 KB per entry; a
    /// policy for a topology at its bounds (65,536 cells and as many demands) stays under 200 MB.
    /// JSON may sit on one line, so the file's size is the one bound (it bounds the line too).
    public static let maximumFileBytes = 256 << 20

    /// The file's bytes, refused before reading when beyond `maximumFileBytes`; errors name the file.
    package static func read(_ url: URL, what: String) throws(PolicyError) -> Data {
        let bounds = InputBounds(what: what, maximumBytes: maximumFileBytes, maximumLineBytes: maximumFileBytes)
        do { return Data(try BoundedInput.read(path: url.path, bounds: bounds)) } catch {
            if case .unreadable(let reason) = error.problem { throw .io(path: url.path, message: reason) }
            throw .badInput(path: url.path, message: error.reason)
        }
    }
}
