public import FlowcastPolicy
internal import FlowcastTopology
internal import Foundation

extension PolicyComparison {
    /// Versioned, deterministic JSON (`formatVersion`, sorted keys) for tools.
    public func json() throws(PolicyError) -> String {
        struct Envelope: Encodable {
            var formatVersion = PolicyDiff.formatVersion
            var old: String
            var new: String
            var folders: Bool
            var equal: Bool
            var options: DiffOptions
            var files: [FileEntry]
            /// The plan line per file, so a reader need not recompute it; lines to print, so a file
            /// name's control characters are shown as code points (`name`, `old`, `new` are as given).
            var summaries: [String]
        }
        let envelope = Envelope(old: old, new: new, folders: isFolder, equal: isEqual, options: options, files: files,
                                summaries: files.compactMap(\.summary))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(envelope), as: UTF8.self) + "\n"
        } catch {
            throw .inconsistent("cannot encode diff: \(error)")
        }
    }
}

extension PolicyComparison.FileEntry {
    /// Its line in the JSON's `summaries`: the text's bold line for a file on both sides, and the
    /// text's line for one added or removed (those were left out, so a tool reading `summaries`
    /// missed a policy dropped from a folder: an audit).
    var summary: String? {
        let prefix = name.map { "\(DiffFormat.visible($0)): " } ?? ""
        switch status {
        case .added: return prefix + "added (\(cells ?? 0) cells, \(demands ?? 0) demands)"
        case .removed: return prefix + "removed (\(cells ?? 0) cells, \(demands ?? 0) demands)"
        case .changed, .unchanged: return diff.map { prefix + $0.headline + $0.summaryLine }
        }
    }
}
