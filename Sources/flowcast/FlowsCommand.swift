import ArgumentParser
import FlowcastAggregate
import FlowcastCapture
import FlowcastPipeline

struct FlowsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flows",
        abstract: "List the bidirectional flows of a capture (innermost 5-tuple).",
        discussion: """
            TSV columns: protocol, address A, port A, address B, port B (A sent the first packet), \
            packets A→B, bytes A→B, packets B→A, bytes B→A, first time, last time, TEID A→B, TEID B→A. \
            Flows are sorted by first time, then by the order their first packets appeared. IP fragments are \
            not reassembled: the first fragment of a datagram counts in its ports' flow, and the later ones, \
            which carry no ports, in a flow of the same addresses and protocol without ports (tshark's \
            conversations, which reassemble, count them in the first).
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case tsv, json }

    @Argument(help: "A pcap or pcapng file.") var file: String
    @OptionGroup(title: "Flows") var flowTable: FlowTableOptions
    @Option(help: "Output format: tsv or json (JSON Lines, with TCP flags, retransmissions and why each flow ended).")
    var format: Format = .tsv
    @OptionGroup var reading: CaptureReadingOptions

    func validate() throws {
    }

    func run() throws {
        let config = flowTable.configuration
        var flows: [(FlowRecord, FlowEndReason)] = []
        let table = FlowTable(configuration: config)
        var failure: (any Error)?
        var final: DecodeStatistics?  // set once the capture is open and read
        do {
            _ = try decodeCapture(path: file, mapFile: reading.mapFile, filter: reading.filter,
                                  onStatistics: { final = $0 }) { number, summary in
                _ = table.update(summary, packetNumber: number) { record, reason in flows.append((record, reason)) }
            }
        } catch let error as CaptureError where error.isBadFilter {
            printError("flowcast flows: \(error)")
            throw ExitCode(2)
        } catch {
            failure = error
        }
        if let final { reading.filterNote(command: "flows", passed: final.packets, skipped: final.filteredPackets) }
        if let note = final?.timeNote { printError("flowcast flows: warning: \(note)") }
        table.drain { record, reason in flows.append((record, reason)) }
        flows.sort { flowOrder($0.0, $1.0) }
        let out = BufferedOutput()
        for (record, reason) in flows {
            switch format {
            case .tsv: record.appendTSV(to: &out.buffer)
            case .json: record.appendJSON(reason: reason, cellName: nil, to: &out.buffer)
            }
            out.flushIfNeeded()
        }
        out.flush()
        if table.evictedFlows > 0 {
            printError("flowcast flows: \(table.evictedFlows) flows evicted at the bound of \(flowTable.maxFlows) live flows (each listed separately)")
        }
        if let failure {
            printError("flowcast flows: \(failure)")
            throw ExitCode(2)
        }
    }
}
