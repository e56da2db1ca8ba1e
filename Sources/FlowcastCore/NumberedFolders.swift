import Foundation

/// Subfolders named PREFIX-N (N = 1, 2, …) that a run keeps beside its own files: replay's
/// `earlier-N` (an earlier run's files, kept until the new run finishes) and live's
/// `policies/reload-N` (the policies of the N-th topology reload). One definition, so the
/// writer, the cleaner and the report agree on which names count.
public enum NumberedFolders {
    /// The number in `name` when it is exactly `prefix-N` with N ≥ 1 written without a sign or
    /// leading zeros (so `reload-01` and `reload-1` are never both taken as reload 1).
    public static func number(of name: String, prefix: String) -> Int? {
        let lead = prefix + "-"
        guard name.hasPrefix(lead) else { return nil }
        let digits = name.dropFirst(lead.count)
        guard let n = Int(digits), n > 0, String(n) == digits else { return nil }
        return n
    }

    /// The `prefix-N` folders in `directory` (symbolic links to folders included), by N; none
    /// when `directory` cannot be read.
    public static func list(in directory: String, prefix: String) -> [(number: Int, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> (number: Int, path: String)? in
            guard let n = number(of: name, prefix: prefix) else { return nil }
            let path = directory + "/" + name
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue ? (n, path) : nil
        }.sorted { $0.number < $1.number }
    }

    /// `directory/prefix-N` for the first N from 1 that names nothing there.
    public static func firstFree(in directory: String, prefix: String) -> String {
        var n = 1
        while FileManager.default.fileExists(atPath: directory + "/\(prefix)-\(n)") { n += 1 }
        return directory + "/\(prefix)-\(n)"
    }
}
