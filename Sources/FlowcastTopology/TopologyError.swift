import FlowcastCore

/// One thing wrong with a topology file, at a line.
public struct TopologyProblem: Hashable, Sendable, CustomStringConvertible {
    /// The file as named by the caller.
    public var file: String
    /// 1-based line, or 0 when the problem concerns the whole file.
    public var line: Int
    /// What is wrong, for a person.
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// `FILE:LINE: message`, the form compilers use so editors can jump to it; `FILE: message` for
    /// a problem with the whole file (line 0: it printed `FILE:0:`, a line no file has).
    /// The message's control, bidirectional and invisible characters (a value quoted from the
    /// file) show as code points: `topology check` printed them raw, and an escape sequence in a
    /// capacity cleared the terminal (an audit).
    public var description: String { line > 0 ? "\(file.visible):\(line): \(message.visible)" : "\(file.visible): \(message.visible)" }
}

/// Loading a topology failed; `problems` lists every problem found, in file order.
public struct TopologyError: Error, Sendable, CustomStringConvertible {
    public var problems: [TopologyProblem]

    public init(problems: [TopologyProblem]) { self.problems = problems }

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
