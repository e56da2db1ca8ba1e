import ArgumentParser
import FlowcastTopology
import Foundation

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
                // A log that is not there (yet) is not a topology error, but plans will fall back
                // to the cell's configured peak (or fail without one): say so now.
                for cell in topology.cells {
                    guard let source = cell.kpiSource, !FileManager.default.fileExists(atPath: source) else { continue }
                    let fallback = cell.peakSpectralEfficiency.map { "plans will use its configured peak, \($0) bit/s/Hz" }
                        ?? "plans will fail until it exists (no peakSpectralEfficiency)"
                    print("\(file):\(cell.line): note: cell '\(cell.id)': radio KPI log \(source) does not exist; \(fallback)")
                }
            } catch {
                for problem in error.problems { print(problem) }
                print("\(file): \(error.problems.count) problem\(error.problems.count == 1 ? "" : "s")")
                throw ExitCode.failure
            }
        }
    }
}
