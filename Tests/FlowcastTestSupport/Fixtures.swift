public import Foundation

/// Locates the repository's bundled fixtures and the shared data folder from this file's path.
public enum Fixtures {
    /// The repository root (the folder holding Package.swift).
    public static let repositoryRoot: URL = {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // FlowcastTestSupport
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // root
    }()

    /// `captures/` inside the repository.
    public static var captures: URL { repositoryRoot.appendingPathComponent("captures") }

    /// `../shared` beside the repository, when present (copyleft data is read from there only).
    public static var shared: URL? {
        let url = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// The built `flowcast` executable for end-to-end tests.
    public static var flowcastExecutable: URL {
        let bundle = Bundle.main.bundleURL
        // swift test runs from .build/<config>/ ; the executable sits beside the xctest bundle.
        var dir = bundle
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("flowcast")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return bundle.deletingLastPathComponent().appendingPathComponent("flowcast")
    }
}
