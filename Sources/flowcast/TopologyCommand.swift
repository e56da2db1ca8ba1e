import ArgumentParser
import FlowcastAggregate
import FlowcastCore
import FlowcastPipeline
import FlowcastPolicy
import FlowcastTopology
import Foundation

struct TopologyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topology", abstract: "Work with topology files.",
        subcommands: [Check.self, Infer.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a topology file; print a summary, or every problem as FILE:LINE: message.")
        @Argument(help: "A topology YAML file.") var file: String

        func run() throws {
            do {
                let topology = try Topology(contentsOfFile: file)
                print("\(file.visible): ok: \(topology.summary)")
                // A log that is not there (yet) is not a topology error, but plans will fall back
                // to the cell's configured peak (or fail without one): say so now.
                // A folder, a device or a pipe there is no log either (it said "ok" for one, and
                // plans then failed to read it): named for what it is. stat follows symbolic links.
                for cell in topology.cells {
                    guard let source = cell.kpiSource else { continue }
                    var info = stat()
                    let problem: String
                    if stat(source, &info) != 0 {
                        problem = "does not exist"
                    } else {
                        switch info.st_mode & S_IFMT {
                        case S_IFREG: continue
                        case S_IFDIR: problem = "is a folder, not a file"
                        case S_IFIFO: problem = "is a pipe, not a file"
                        case S_IFCHR, S_IFBLK: problem = "is a device, not a file"
                        default: problem = "is not a regular file"
                        }
                    }
                    let fallback = cell.peakSpectralEfficiency.map { "plans will use its configured peak, \($0) bit/s/Hz" }
                        ?? "plans will fail until it \(problem == "does not exist" ? "exists" : "is a file") (no peakSpectralEfficiency)"
                    print("\(file.visible):\(cell.line): note: cell '\(cell.id)': radio KPI log \(source) \(problem); \(fallback)")
                }
                // A demand whose nodes no links join loads and aggregates, but no plan can route it
                // (plan and backtest stop at the first such demand): each is named here. Demands
                // with candidate paths were checked when loaded.
                let finder = PathFinder(topology)
                for (d, demand) in topology.demands.enumerated()
                where demand.paths.isEmpty && finder.shortestByWeight(from: demand.source, to: demand.destination) == nil {
                    print("\(file.visible):\(demand.line): note: \(RoutingOptimizer.unroutable(topology, demand: d)); plans will fail until one joins them")
                }
            } catch {
                for problem in error.problems { print(problem) }
                print("\(file.visible): \(error.problems.count) problem\(error.problems.count == 1 ? "" : "s")")
                throw ExitCode.failure
            }
        }
    }

    struct Infer: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draft a topology file from a capture: what it shows, and FILL-IN for what it cannot.",
            discussion: """
                Nodes from GTP-U endpoints (eNB/gNB and UPF/SGW), cells from eNB/gNB addresses and \
                GTPv2-C cell identities (ECGI/NCGI), links from outer VLANs and MPLS labels, match rules \
                for the addresses, VLANs and labels seen. Bands, efficiencies, capacities and link ends \
                are written as FILL-IN with a `# FILL IN` comment: `topology check` fails until each is \
                replaced. A capture with no GTP-U traffic and no signalled cell identity is refused \
                (exit status 1, nothing written).
                """)
        @Argument(help: "A pcap or pcapng file.") var capture: String
        @Option(help: "Where to write the draft (default: standard output).") var out: String?
        @OptionGroup var reading: CaptureReadingOptions

        func run() throws {
            let network: InferredNetwork
            do { network = try inferNetwork(capturePath: capture, mapFile: reading.mapFile, filter: reading.filter) } catch {
                printError("flowcast topology infer: \(error)")
                throw ExitCode(2)
            }
            reading.filterNote(command: "topology infer", passed: Int(network.packets), skipped: Int(network.filter?.skipped ?? 0))
            guard !network.hasNoGTP else {
                printError("flowcast topology infer: \(capture): no GTP-U traffic and no GTPv2-C cell identity in "
                    + "\(network.packets) packets: nothing to draft a topology from")
                throw ExitCode.failure
            }
            let yaml = network.draftYAML(captureName: (capture as NSString).lastPathComponent)
            guard let out else { print(yaml, terminator: ""); return }
            do { try AtomicFile.write(Array(yaml.utf8), to: out) } catch {
                printError("flowcast topology infer: \(out): \(error)")
                throw ExitCode(2)
            }
            printError("flowcast topology infer: wrote \(out): \(network.cellCount) cells, \(network.radio.count + network.core.count) "
                + "nodes, \(network.links.count) links; replace every FILL-IN, then run `flowcast topology check \(out)`")
        }
    }
}
