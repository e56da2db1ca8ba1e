import FlowcastCore
import ArgumentParser
import FlowcastPipeline
import FlowcastPolicy
import FlowcastTopology
import Foundation

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a policy document as O-RAN A1 policies, ip route commands or NR cell configuration.")

    @Argument(help: "A policy JSON file (flowcast plan).") var policy: String
    @Option(help: "Format: \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", ")).") var to: String
    @Option(help: "Write to FILE (atomically) instead of standard output.") var out: String?
    @Option(help: ArgumentHelp("The topology the policy was planned on, for every next hop's address, a node's or its interface's on "
        + "a link (iproute: a transit router's next hop may be no path's first hop, whose address the policy alone does not give); "
        + "it must be the policy's own.",
        valueName: "topology")) var topology: String?

    @Option(help: ArgumentHelp("iproute: only this router's routes (a node id), to run on it; the whole export holds one section per router.",
        valueName: "node")) var router: String?

    func validate() throws {
        if ExportFormat(rawValue: to) == nil {
            throw ValidationError("--to must be one of \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if router != nil && to != ExportFormat.iproute.rawValue { throw ValidationError("--router is for --to iproute") }
    }

    func run() throws {
        do {
            let document = try PolicyDocument(contentsOf: URL(fileURLWithPath: policy))
            var addresses = NextHopAddresses()
            var parsedTopology: Topology?
            if let topology {
                let data = try Data(contentsOf: URL(fileURLWithPath: topology))
                // Another topology's addresses would route this plan through routers it never chose.
                guard Provenance.digest(data) == document.provenance.topologyDigest else {
                    printError("flowcast export: \(topology) is not the topology \(policy) was planned on "
                        + "(\(Provenance.digest(data)), the policy says \(document.provenance.topologyDigest))")
                    throw ExitCode.failure
                }
                let parsed = try Topology(contentsOfFile: topology)
                parsedTopology = parsed
                // Its digest is the policy's, so a path whose link does not join its nodes there is a
                // hand edit: the export would name a next hop over a link that does not reach it.
                if let wrong = Self.pathNotInTopology(document, parsed) {
                    printError("flowcast export: \(policy): \(wrong)")
                    throw ExitCode.failure
                }
                addresses = NextHopAddresses(topology: parsed)
            }
            if let router {
                // A node the policy's paths (or the topology) name: a typo wrote a header and nothing else.
                let nodes = Set(document.routing.demands.flatMap { $0.paths.flatMap(\.nodes) })
                let known = Set(parsedTopology?.nodes.map(\.id) ?? [])
                guard nodes.contains(router) || known.contains(router) else {
                    printError("flowcast export: --router \(router.visible): no such node in \(policy)'s paths"
                        + (topology == nil ? "" : " or in \(topology!)"))
                    throw ExitCode(64)
                }
            }
            let text = try PolicyExporter.export(document, as: ExportFormat(rawValue: to)!, addresses: addresses, router: router)
            // Warnings in the export's comments are said on stderr too: an operator piping the
            // commands to a router reads neither.
            for line in text.split(separator: "\n") where line.hasPrefix("# warning: ") {
                printError("flowcast export: \(policy): " + line.dropFirst(2))
            }
            if let out {
                try PolicyDocument.writeAtomically(Data(text.utf8), to: URL(fileURLWithPath: out))
            } else {
                print(text, terminator: "")
            }
        } catch let exit as ExitCode {
            throw exit
        } catch PolicyError.inconsistent(let message) where message.hasPrefix("$.") {
            // A document that reads but cannot be exported as it stands: name it, as a read error does.
            printError("flowcast export: \(policy): \(message)")
            throw ExitCode.failure
        } catch {
            printError(CommandError.line("export", error, given: [policy] + (out.map { [$0] } ?? [])))
            throw ExitCode.failure
        }
    }
}

extension ExportCommand {
    /// The first path of `document` whose links do not join its nodes, hop by hop, in `topology`.
    static func pathNotInTopology(_ document: PolicyDocument, _ topology: Topology) -> String? {
        for (i, demand) in document.routing.demands.enumerated() {
            for (j, path) in demand.paths.enumerated() {
                for (k, id) in path.links.enumerated() where k + 1 < path.nodes.count {
                    let (from, to) = (path.nodes[k], path.nodes[k + 1])
                    guard let l = topology.linkIndex(id), let u = topology.nodeIndex(from), let v = topology.nodeIndex(to),
                          topology.links[l].otherEnd(from: u) == v else {
                        return "$.routing.demands[\(i)].paths[\(j)]: link '\(id)' does not join '\(from)' and '\(to)' in the topology"
                    }
                }
            }
        }
        return nil
    }
}
