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
