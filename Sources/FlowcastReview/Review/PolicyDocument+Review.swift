internal import FlowcastCore
public import FlowcastPolicy
internal import FlowcastTopology
public import Foundation

extension PolicyDocument {
    /// Reads a policy for review, checking its `schemaVersion` before the schema so that a
    /// document from another version gets a message about versions, not about fields.
    ///
    /// Version 1 is the only version so far, so there is nothing to migrate yet: other versions
    /// are refused, saying whether flowcast or the document needs updating. A future version 2
    /// adds the step from 1 here and keeps reading version-1 baselines.
    public init(reviewing url: URL) throws(PolicyError) {
        let data = try PolicyLimits.read(url, what: "policy document")
        try self.init(reviewing: data, path: url.path)
    }

    /// Like `init(reviewing:)`, from bytes; `path` names the source in errors.
    public init(reviewing data: Data, path: String) throws(PolicyError) {
        guard let value = data.withUnsafeBytes({ JSONValue.parse($0) }) else { throw PolicyDocument.invalidJSON(data, path: path) }
        guard case .object(let members) = value else {
            throw .schemaViolation(path: path, field: "$", message: "expected a policy document (object), found \(value.typeName)")
        }
        guard let version = members["schemaVersion"] else {
            throw .schemaViolation(path: path, field: "$.schemaVersion", message: "required field is missing")
        }
        guard case .number(let n) = version, n == n.rounded() else {
            throw .schemaViolation(path: path, field: "$.schemaVersion", message: "expected integer, found \(version.typeName)")
        }
        guard let v = Int(exactly: n), abs(v) < 1 << 31 else {
            throw .schemaViolation(path: path, field: "$.schemaVersion", message: "schema version \(n) is not one flowcast knows (\(PolicyDocument.currentSchemaVersion))")
        }
        let current = PolicyDocument.currentSchemaVersion
        if v > current {
            throw .schemaViolation(path: path, field: "$.schemaVersion", message:
                "schema version \(v) is newer than this flowcast reads (\(current)); update flowcast to review it")
        }
        if v < current {
            throw .schemaViolation(path: path, field: "$.schemaVersion", message:
                "schema version \(v) has no migration to version \(current); re-plan it with `flowcast plan`")
        }
        try self.init(jsonData: data, path: path)
    }
}

extension CellLoad {
    /// The predicted load of a cell its plan gives no capacity (no blocks: `maxBlocks` 0, a cell
    /// switched off) while it has demand; nil for every other cell. The planner writes such a
    /// cell's `utilisation` as a stand-in 1000000 (the schema wants a number; docs/policy.md), and
    /// no percentage is true of it: `diff` printed "100000000.0%", and the report's busiest-cell
    /// chart scaled its axis to it, flattening every real line onto 0. Told by its capacity, not
    /// by the stand-in, so a hand-written document reads the same.
    package var loadWithoutBlocks: Double? { capacity <= 0 && load > 0 ? load : nil }

    /// Its predicted utilisation, or nil for a cell without blocks for its load.
    package var knownUtilisation: Double? { loadWithoutBlocks == nil ? utilisation : nil }
}
