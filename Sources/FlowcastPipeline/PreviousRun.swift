internal import Foundation

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
        func entries(_ folder: String) -> [String] { ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).sorted() }
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
        let shown = policies.hasPrefix(directory + "/") ? String(policies.dropFirst(directory.count + 1)) : policies
        var folders = [(name: shown, path: policies)]
        for name in entries(policies) where name.hasPrefix("reload-") && Int(name.dropFirst("reload-".count)) != nil {
            folders.append((shown + "/" + name, policies + "/" + name))
        }
        for folder in folders {
            for name in entries(folder.path) where matches(name, { base in
                base == "forecasts.jsonl" || (base.hasPrefix("policy-") && base.hasSuffix(".json"))
            }) {
                found.append((folder.name + "/" + name, folder.path + "/" + name))
            }
        }
        guard !found.isEmpty else { return nil }
        for file in found {
            do {
                if let archive {
                    let target = archive + "/" + (file.name.hasPrefix("/") ? (file.name as NSString).lastPathComponent : file.name)
                    try fm.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    try fm.moveItem(atPath: file.path, toPath: target)
                } else {
                    try fm.removeItem(atPath: file.path)
                }
            } catch {
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
}
