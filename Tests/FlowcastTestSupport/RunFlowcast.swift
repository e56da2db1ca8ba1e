public import Foundation

/// The result of running the built `flowcast` executable.
public struct FlowcastRun: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

extension Fixtures {
    /// Runs the built `flowcast` with `arguments` from the repository root and waits for it.
    public static func runFlowcast(_ arguments: [String], currentDirectory: URL? = nil) throws -> FlowcastRun {
        let process = Process()
        process.executableURL = flowcastExecutable
        process.arguments = arguments
        process.currentDirectoryURL = currentDirectory ?? repositoryRoot
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes while the process runs, so a large output cannot block it.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        process.waitUntilExit()
        group.wait()
        return FlowcastRun(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                           stderr: String(decoding: errData, as: UTF8.self))
    }
}
