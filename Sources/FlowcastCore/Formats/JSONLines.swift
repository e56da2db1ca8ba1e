public import Foundation

/// Why one line of a JSON Lines output file (windows.jsonl, flows.jsonl, forecasts.jsonl), or one
/// JSON output document, could not be read through its format type. Names the file and line.
public struct FormatReadError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Problem: Sendable, Equatable {
        /// The text is not JSON.
        case notJSON
        /// The text is not JSON, with where and why the strict parser stopped (`at column 12: a
        /// string that is never closed`).
        case invalidJSON(String)
        /// The JSON is not an object.
        case notAnObject
        /// A field the format always has is absent.
        case missing(field: String)
        /// A field holds the wrong type of value (or a value out of range).
        case badValue(field: String)
        /// The line says a `formatVersion` this flowcast does not read.
        case unsupportedVersion(found: Int, supported: Int)
        /// Valid JSON with a number its field cannot hold (out of range, or not whole where a
        /// count is): the field when one number at the top level looks it, else nil.
        case badNumber(field: String?)
    }

    public var path: String
    /// 1-based line of a JSON Lines file; nil for a whole-file document.
    public var line: Int?
    public var problem: Problem

    public init(path: String, line: Int?, problem: Problem) {
        self.path = path; self.line = line; self.problem = problem
    }

    /// The problem alone, without file and line.
    public var reason: String {
        switch problem {
        case .notJSON: "not valid JSON"
        case .invalidJSON(let why): "not valid JSON \(why)"
        case .notAnObject: "not a JSON object"
        case .missing(let field): "missing \"\(field)\""
        case .badValue(let field): "bad value for \"\(field)\""
        case let .unsupportedVersion(found, supported):
            "formatVersion \(found) is not supported (this flowcast reads version \(supported))"
        case .badNumber(let field?): "bad value for \"\(field)\": a number out of range, or not whole where a count is"
        case .badNumber(nil): "a number out of range for its field, or not whole where a count is"
        }
    }

    public var description: String { line.map { "\(path.visible):\($0): \(reason)" } ?? "\(path.visible): \(reason)" }
}

/// Thrown by a format type's `init(from:)` when the data names a `formatVersion` it does not read;
/// `FormatReading` turns it into a `FormatReadError` naming the file and line.
public struct UnsupportedFormatVersion: Error, Sendable, Equatable {
    public var found: Int
    public var supported: Int
    public init(found: Int, supported: Int) { self.found = found; self.supported = supported }
}

/// Decodes Flowcast's output files through their format types, with errors that say where.
public enum FormatReading {
    /// Decodes one JSON value (a JSON Lines line or a whole document) as `T`.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, path: String, line: Int? = nil,
                                            decoder: JSONDecoder = JSONDecoder()) throws(FormatReadError) -> T {
        do {
            return try decoder.decode(T.self, from: data)
        } catch let error as UnsupportedFormatVersion {
            throw FormatReadError(path: path, line: line, problem: .unsupportedVersion(found: error.found, supported: error.supported))
        } catch let error as DecodingError {
            var found = problem(error)
            if found == .notJSON { found = numberProblem(data) ?? syntaxProblem(data, whole: line == nil) }
            throw FormatReadError(path: path, line: line, problem: found)
        } catch {
            throw FormatReadError(path: path, line: line, problem: .notJSON)
        }
    }

    /// Where and why the strict parser stops on `data`: a line and column for a whole document,
    /// a column for a JSON Lines line (whose line the error already names).
    private static func syntaxProblem(_ data: Data, whole: Bool) -> FormatReadError.Problem {
        guard let failure = data.withUnsafeBytes({ JSONValue.failure($0) }) else { return .notJSON }
        let place = whole ? "at line \(failure.line), column \(failure.column)" : "at column \(failure.column)"
        return .invalidJSON("\(place): \(failure.reason)")
    }

    /// Foundation's decoder reports a number its type cannot hold (1e300 or -1 for a count, 1.5
    /// for an integer) as invalid JSON, with no field. When the text is valid JSON, that is what
    /// it was: the field is the one top-level number that no 64-bit integer holds, when there is
    /// exactly one.
    private static func numberProblem(_ data: Data) -> FormatReadError.Problem? {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        let suspects = object.compactMap { key, value -> String? in
            guard let number = value as? NSNumber else { return nil }  // true and false read as 1 and 0: whole
            let v = number.doubleValue
            return v.rounded() != v || v < 0 || v >= 9.223_372_036_854_775_807e18 ? key : nil
        }
        return .badNumber(field: suspects.count == 1 ? suspects[0] : nil)
    }

    private static func problem(_ error: DecodingError) -> FormatReadError.Problem {
        func name(_ path: [any CodingKey]) -> String { path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".") }
        switch error {
        case .keyNotFound(let key, let context): return .missing(field: name(context.codingPath + [key]))
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return context.codingPath.isEmpty ? .notAnObject : .badValue(field: name(context.codingPath))
        case .dataCorrupted(let context):
            // Invalid JSON text has no coding path; a bad enum value or number has one.
            return context.codingPath.isEmpty ? .notJSON : .badValue(field: name(context.codingPath))
        @unknown default: return .notJSON
        }
    }
}

extension KeyedDecodingContainer {
    /// Checks an optional `formatVersion` key first, before any other field is trusted. Absent
    /// means version 1: the JSON Lines formats carried no version field when they were first
    /// written, and version 1 is the only one there has been.
    public func checkFormatVersion(_ key: Key, supported: Int) throws {
        let found = try decodeIfPresent(Int.self, forKey: key) ?? 1
        guard found == supported else { throw UnsupportedFormatVersion(found: found, supported: supported) }
    }
}
