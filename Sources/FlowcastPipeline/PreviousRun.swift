internal import Foundation
internal import FlowcastCore

/// What an earlier `replay` or `live` left in an output folder, found and cleared before a new
/// run writes there, so the folder only ever holds one run's files: a report of the folder
/// never mixes the new run's policies with an older run's (an older run with more policies
/// used to leave its extra `policy-NNNN.json` files behind, and `report` counted them).
///
/// Only the files these runs write are touched: `windows*.jsonl`, `flows*.jsonl`,
/// `stats*.jsonl`, `summary.json`, and under `policies/` the `policy-NNNN.json` files,
/// `forecasts.jsonl` and `reload-N/` folders; each also as `NAME.partial`. Anything else (a
/// publish spool, a report, a capture written with `--write`, the user's own files) stays.
public struct PreviousRun: Sendable, Equatable, Codable, CustomStringConvertible {
    public enum State: String, Sendable, Codable {
        /// summary.json was there: the earlier run ended and wrote everything.
        case finished
        /// No summary.json, but partial or committed outputs: the earlier run was killed or
        /// failed before its end.
        case interrupted
    }

    public var state: State
    /// Files removed (or moved): the folder's own, then the policies' (relative to the folder when inside it).
    public var removed: [String]
    /// Where they were moved to, when they were kept.
    public var keptIn: String?
    /// How many of them were `.partial` files (a write under way when the run stopped).
    public var partialFiles: Int
    /// Policies among them.
    public var policies: Int

    /// One line for the log: what was there and that it was removed.
    public var description: String {
        var parts: [String] = []
        let outputs = removed.count - policies - partialFiles
        if outputs > 0 { parts.append("\(outputs) output file\(outputs == 1 ? "" : "s")") }
        if policies > 0 { parts.append("\(policies) polic\(policies == 1 ? "y" : "ies")") }
        if partialFiles > 0 {
            parts.append("\(partialFiles) partial file\(partialFiles == 1 ? "" : "s") (a write under way when it stopped)")
        }
        let list = parts.count > 1 ? parts.dropLast().joined(separator: ", ") + " and " + parts.last! : parts.joined()
        let done = keptIn.map { "moved its \(list) to \($0)" } ?? "removed its \(list)"
        return state == .finished ? "held a finished run; \(done)" : "held an interrupted run (no summary.json); \(done)"
    }

    /// Finds and removes an earlier run's files in `directory` (policies in `policyDirectory`,
    /// by default `directory/policies`); nil when there were none. Throws when one cannot be
    /// removed (the new run would otherwise mix with it). Call it before anything of the new
    /// run is created (a planner opens its forecasts file when it is made), and only once the
    /// inputs have opened: a mistyped capture path must not cost the folder its last run.
    ///
    /// `keepingIn`: move the files into that folder (created, keeping their relative places)
    /// instead of removing them. `live` does this: its outputs are the only record of traffic
    /// that is gone, and a tap restarted after a crash must not erase them.
    public static func clear(_ directory: String, policyDirectory: String? = nil,
                             keepingIn archive: String? = nil) throws(ReplayError) -> PreviousRun? {
        let fm = FileManager.default
        let (found, folders) = files(directory, policyDirectory: policyDirectory)
        guard !found.isEmpty else { return nil }
        let policyFolder = policyDirectory ?? directory + "/policies"
        var moved: [(from: String, to: String)] = []
        for file in found {
            do {
                if let archive {
                    let target = archivedPath(file.name, in: archive, policyFolder: shownPolicyFolder(directory, policyFolder),
                                              outside: !isInside(policyFolder, directory))
                    try fm.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    try fm.moveItem(atPath: file.path, toPath: target)
                    moved.append((file.path, target))
                } else {
                    try fm.removeItem(atPath: file.path)
                }
            } catch {
                // A move that fails part way puts back what it moved: the folder is as it was
                // (until 7 December 2026 the files moved so far were left in the archive, said nowhere).
                for m in moved.reversed() { try? fm.moveItem(atPath: m.to, toPath: m.from) }
                throw .output(path: file.path, reason: "an earlier run's file cannot be \(archive == nil ? "removed" : "moved to \(archive!)"): "
                    + error.localizedDescription)
            }
        }
        // Emptied reload folders go too; a folder with other files in it stays.
        for folder in folders.dropFirst() where entries(folder.path).isEmpty { try? fm.removeItem(atPath: folder.path) }
        let names = found.map(\.name)
        return PreviousRun(state: names.contains("summary.json") ? .finished : .interrupted, removed: names, keptIn: archive,
                           partialFiles: names.filter { $0.hasSuffix(".partial") }.count,
                           policies: names.filter { $0.contains("/policy-") && !$0.hasSuffix(".partial") }.count)
    }

    /// The first `directory/earlier-N` (N from 1) that does not exist: where `clear` keeps an
    /// earlier run's files (live for good, replay until the new run has finished).
    public static func freeArchive(in directory: String) -> String {
        NumberedFolders.firstFree(in: directory, prefix: "earlier")
    }

    /// The `directory/earlier-N` folders there are, by N.
    public static func archives(in directory: String) -> [String] {
        NumberedFolders.list(in: directory, prefix: "earlier").map(\.path)
    }

    /// Whether `directory` (and its policies folder) holds any file a run writes.
    public static func holdsRunFiles(_ directory: String, policyDirectory: String? = nil) -> Bool {
        !files(directory, policyDirectory: policyDirectory).found.isEmpty
    }

    /// Moves the files `clear(_:policyDirectory:keepingIn:)` moved to `archive` back where they
    /// were, and removes `archive` when that leaves it empty: for a run that failed before it
    /// wrote anything of its own, so a bad option costs the folder nothing, not even a move.
    public func restore(_ directory: String, policyDirectory: String? = nil, from archive: String) throws {
        let fm = FileManager.default
        let policies = policyDirectory ?? directory + "/policies"
        let shown = Self.shownPolicyFolder(directory, policies)
        let outside = !Self.isInside(policies, directory)
        for name in removed {
            // The name is relative to `directory`, or (policies kept elsewhere) starts with the policy folder as given.
            let original = name.hasPrefix(shown + "/") && outside ? policies + name.dropFirst(shown.count) : directory + "/" + name
            try fm.createDirectory(atPath: (original as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try fm.moveItem(atPath: Self.archivedPath(name, in: archive, policyFolder: shown, outside: outside), toPath: original)
        }
        // Folders the move created and left empty, deepest first; then the archive itself.
        let left = (fm.subpaths(atPath: archive) ?? []).sorted { $0.count > $1.count }
        for sub in left where Self.entries(archive + "/" + sub).isEmpty { try? fm.removeItem(atPath: archive + "/" + sub) }
        if Self.entries(archive).isEmpty { try fm.removeItem(atPath: archive) }
    }

    private static func entries(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }

    private static func shownPolicyFolder(_ directory: String, _ policies: String) -> String {
        policies.hasPrefix(directory + "/") ? String(policies.dropFirst(directory.count + 1)) : policies
    }

    /// Where `clear` keeps a file: its place relative to the folder, or for a policies folder
    /// given by an absolute path, under `policies/` (until 7 December 2026 by its bare name, so
    /// reload-N folders' policies collided with the first generation's and the move failed).
    /// A policies folder outside `directory` (`--policies /abs` or `--policies ../pol`) is kept
    /// under `policies/` too: joined as given, `../pol` put the earlier policies outside the
    /// archive (`OUT/earlier-1/../pol`), where the next run's move then failed (an audit).
    private static func archivedPath(_ name: String, in archive: String, policyFolder shown: String, outside: Bool) -> String {
        outside && name.hasPrefix(shown + "/") ? archive + "/policies" + name.dropFirst(shown.count)
            : archive + "/" + (name.hasPrefix("/") ? (name as NSString).lastPathComponent : name)
    }

    /// Whether `folder` lies inside `directory`, as the paths are written (no `..` after it).
    private static func isInside(_ folder: String, _ directory: String) -> Bool {
        folder.hasPrefix(directory + "/") && !folder.dropFirst(directory.count + 1).split(separator: "/").contains("..")
    }

    /// The run files of `directory`: how the log names each (relative to `directory` when inside
    /// it) and its path; and the policy folders looked in (the policies folder, then its reload-N).
    private static func files(_ directory: String, policyDirectory: String?)
        -> (found: [(name: String, path: String)], folders: [(name: String, path: String)]) {
        func entries(_ folder: String) -> [String] { Self.entries(folder) }
        func matches(_ name: String, _ rule: (String) -> Bool) -> Bool {
            rule(name.hasSuffix(".partial") ? String(name.dropLast(".partial".count)) : name)
        }
        // Each found file: how the log names it (relative to `directory` when inside it), and its path.
        var found: [(name: String, path: String)] = []
        for name in entries(directory) where matches(name, { base in
            base == "summary.json"
                || (base.hasSuffix(".jsonl") && ["windows", "flows", "stats"].contains { base.hasPrefix($0) })
        }) {
            found.append((name, directory + "/" + name))
        }
        // Policies: their folder and every reload-N folder under it.
        let policies = policyDirectory ?? directory + "/policies"
        let shown = shownPolicyFolder(directory, policies)
        var folders = [(name: shown, path: policies)]
        for reload in NumberedFolders.list(in: policies, prefix: "reload") {
            folders.append((shown + "/reload-\(reload.number)", reload.path))
        }
        for folder in folders {
            for name in entries(folder.path) where matches(name, { base in
                base == "forecasts.jsonl" || (base.hasPrefix("policy-") && base.hasSuffix(".json"))
            }) {
                found.append((folder.name + "/" + name, folder.path + "/" + name))
            }
        }
        return (found, folders)
    }
}
