import ArgumentParser
import FlowcastTopology

struct TopologyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topology", abstract: "Work with topology files.",
        subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a topology file; print a summary, or every problem as FILE:LINE: message.")
        @Argument(help: "A topology YAML file.") var file: String

        func run() throws {
            do {
                let topology = try Topology(contentsOfFile: file)
                print("\(file): ok: \(topology.summary)")
            } catch {
                for problem in error.problems { print(problem) }
                print("\(file): \(error.problems.count) problem\(error.problems.count == 1 ? "" : "s")")
                throw ExitCode.failure
            }
        }
    }
}
