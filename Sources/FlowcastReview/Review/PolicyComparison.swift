public import FlowcastPolicy
internal import FlowcastTopology
public import Foundation

/// Two policy documents, or two folders of them matched by file name, compared.
public struct PolicyComparison: Codable, Hashable, Sendable {
    /// How one file fared.
    public enum FileStatus: String, Codable, Hashable, Sendable {
        case added, removed, changed, unchanged
    }

    /// One compared file (or the single pair of documents, with `name` nil).
    public struct FileEntry: Codable, Hashable, Sendable {
        /// File name within the folders; nil when two files were compared directly.
        public var name: String?
        public var status: FileStatus
        /// Present for files on both sides.
        public var diff: PolicyDiff?
        /// For an added or removed file: how many cells and demands it decides.
        public var cells: Int?
        public var demands: Int?

        public init(name: String?, status: FileStatus, diff: PolicyDiff? = nil, cells: Int? = nil, demands: Int? = nil) {
            self.name = name
            self.status = status
            self.diff = diff
            self.cells = cells
            self.demands = demands
        }
    }

    /// The OLD path as given.
    public var old: String
    /// The NEW path as given.
    public var new: String
    /// True when two folders were compared.
    public var isFolder: Bool
    /// Files in name order (numbers compared as numbers).
    public var files: [FileEntry]
    /// The tolerances and thresholds the comparison used.
    public var options: DiffOptions

    public init(old: String, new: String, isFolder: Bool, files: [FileEntry], options: DiffOptions = DiffOptions()) {
        self.old = old
        self.new = new
        self.isFolder = isFolder
        self.files = files
        self.options = options
    }

    /// True when every file is unchanged and none was added or removed.
    public var isEqual: Bool { files.allSatisfy { $0.status == .unchanged } }

    /// Exit status of `flowcast diff`: 0 equal, 1 different.
    public var exitStatus: Int32 { isEqual ? 0 : 1 }

    /// Compares two files, or two folders of `*.json` policy documents matched by name.
    public static func compare(old: URL, new: URL, options: DiffOptions = DiffOptions()) throws(PolicyError) -> PolicyComparison {
        for url in [old, new] where !FileManager.default.fileExists(atPath: url.path) {
            throw .badInput(path: url.path, message: "no such file or folder")
        }
        let oldIsFolder = isDirectory(old), newIsFolder = isDirectory(new)
        guard oldIsFolder == newIsFolder else {
            // Named by the folder, with the file beside it: the message named the file alone, as
            // if it were the one at fault, in either order (an audit).
            let (folder, file) = oldIsFolder ? (old, new) : (new, old)
            throw .badInput(path: folder.path,
                            message: "is a folder and \(file.path) a file: give two files or two folders")
        }
        let differ = PolicyDiffer(options: options)
        if !oldIsFolder {
            let a = try PolicyDocument(reviewing: old), b = try PolicyDocument(reviewing: new)
            return PolicyComparison(old: old.relativePath, new: new.relativePath, isFolder: false,
                                    files: [entry(name: nil, differ.diff(a, b))], options: options)
        }
        let before = try policyFiles(in: old), after = try policyFiles(in: new)
        // Two folders without a policy compare nothing: a review gate pointed at the wrong
        // folders must not pass as "equal".
        guard !before.isEmpty || !after.isEmpty else {
            throw .badInput(path: new.path, message: "no policy files (*.json) here nor in \(old.path)")
        }
        var files: [FileEntry] = []
        for name in sortedUnion(before, after) {
            switch (before.contains(name), after.contains(name)) {
            case (true, true):
                let a = try PolicyDocument(reviewing: old.appendingPathComponent(name))
                let b = try PolicyDocument(reviewing: new.appendingPathComponent(name))
                files.append(entry(name: name, differ.diff(a, b)))
            case (false, _):
                let b = try PolicyDocument(reviewing: new.appendingPathComponent(name))
                files.append(FileEntry(name: name, status: .added, cells: b.spectrum.cells.count, demands: b.routing.demands.count))
            case (_, false):
                let a = try PolicyDocument(reviewing: old.appendingPathComponent(name))
                files.append(FileEntry(name: name, status: .removed, cells: a.spectrum.cells.count, demands: a.routing.demands.count))
            }
        }
        return PolicyComparison(old: old.relativePath, new: new.relativePath, isFolder: true, files: files, options: options)
    }

    private static func entry(name: String?, _ diff: PolicyDiff) -> FileEntry {
        FileEntry(name: name, status: diff.isEmpty ? .unchanged : .changed, diff: diff)
    }

    private static func isDirectory(_ url: URL) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) && isDir.boolValue
    }

    /// What Flowcast writes beside policies and is no policy: `flowcast policies` writes
    /// policies-summary.json into the folder it fills, so two such folders could not be compared
    /// (an audit: exit 2, "$.schemaVersion: required field is missing"); the planner and a run
    /// write theirs into the folder above, where `--policies` may put the policies too.
    static let runSummaries: Set<String> = ["policies-summary.json", "planner-summary.json", "summary.json"]

    private static func policyFiles(in folder: URL) throws(PolicyError) -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: folder.path)
                .filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") && !runSummaries.contains($0) }
        } catch {
            throw .io(path: folder.path, message: error.localizedDescription)
        }
    }
}
