import Foundation

/// The one error line of `diff`, `export` and `report`, as the other commands write theirs:
/// `flowcast COMMAND: MESSAGE`, naming files as they were given (the reading code names them by
/// absolute path; a reviewer typed `a.json`, not `/home/…/a.json`).
enum CommandError {
    static func line(_ command: String, _ error: any Error, given paths: [String], prefix: String = "") -> String {
        var message = "\(error)"
        // Longest first, so a folder does not take the place of a file inside it.
        for path in paths.sorted(by: { $0.count > $1.count }) {
            let absolute = URL(fileURLWithPath: path).path
            if absolute != path { message = message.replacingOccurrences(of: absolute, with: path) }
        }
        return "flowcast \(command): \(prefix)\(message)"
    }
}
