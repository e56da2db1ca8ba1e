public import Foundation

/// The result of running the built `flowcast` executable.
public struct FlowcastRun: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

extension Fixtures {
    /// Runs the built `flowcast` with `arguments` from the repository root and waits for it, at
    /// most `timeout` seconds (then it is killed and this throws, naming the command).
    public static func runFlowcast(_ arguments: [String], currentDirectory: URL? = nil, timeout: Double = 600) throws -> FlowcastRun {
        let child = try ChildProcess(flowcast: arguments, currentDirectory: currentDirectory)
        try child.wait(timeout: timeout)
        return FlowcastRun(status: child.terminationStatus, stdout: child.stdout, stderr: child.stderr)
    }
}
