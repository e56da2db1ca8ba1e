internal import Foundation

/// Why an output folder could not be made, in words: Foundation's own error for a path under a
/// file is "The operation could not be completed. (NSCocoaErrorDomain error 512.)".
public enum OutputFolder {
    /// Creates `path` and the folders above it; throws the reason as text.
    public static func create(_ path: String) throws(OutputFolderError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw OutputFolderError(reason: explain(path, error))
        }
    }

    static func explain(_ path: String, _ error: any Error) -> String {
        // The nearest part of the path that exists: a file there is the usual cause.
        var probe = (path as NSString).standardizingPath
        let fm = FileManager.default
        while !probe.isEmpty && probe != "/" {
            var isFolder: ObjCBool = false
            if fm.fileExists(atPath: probe, isDirectory: &isFolder) {
                if !isFolder.boolValue { return "\(probe) is a file, not a folder" }
                if !fm.isWritableFile(atPath: probe) { return "\(probe) is not writable" }
                break
            }
            probe = (probe as NSString).deletingLastPathComponent
        }
        // A folder there that refuses new folders (a read-only or virtual file system such as
        // /proc, where Foundation said "The file doesn't exist."): mkdir's own words, and where.
        var isFolder: ObjCBool = false
        if !probe.isEmpty, fm.fileExists(atPath: probe, isDirectory: &isFolder), isFolder.boolValue {
            let child = path.hasPrefix("/") || probe.hasPrefix("/") ? (path as NSString).standardizingPath : path
            let below = child.dropFirst(probe == "/" ? 1 : probe.count + 1).split(separator: "/").first.map(String.init)
            if let below {
                let trial = (probe as NSString).appendingPathComponent(below)
                if mkdir(trial, 0o755) == 0 {
                    rmdir(trial)  // it could be made after all: the cause is further down
                } else if errno != EEXIST {
                    return "\(probe) does not take a new folder (\(String(cString: strerror(errno))))"
                }
            }
        }
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        if let underlying, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return error.localizedDescription
    }
}

public struct OutputFolderError: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}
