import ArgumentParser
import FlowcastAggregate
import FlowcastCapture
import FlowcastPipeline
import FlowcastDecode
import FlowcastCore
import Foundation

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
        var order = TimeOrderWatch(threshold: Int64((flowTable.idleTimeout > 0 ? flowTable.idleTimeout : 60) * 1e9))
        do {
            _ = try decodeCapture(path: file, mapFile: reading.mapFile, filter: reading.filter,
                                  onStatistics: { final = $0 }) { number, summary in
                if summary.timeIsUsable { order.see(summary.timestampNanoseconds, packet: number) }
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
        if let note = final?.lengthNote { printError("flowcast flows: warning: \(note)") }
        if let line = order.warning(file: file, packets: final?.packets ?? 0, idleTimeout: flowTable.idleTimeout) {
            printError("flowcast flows: warning: \(line)")
        }
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

/// Packets dated well before one that came earlier in the file. The flow table's timeouts run
/// on the latest time it has seen, so after one packet dated ahead of the rest (a clock that
/// jumped, a corrupt record) every live flow ends idle, and the packets after it start new
/// flows that last until that date: an audit's packet dated 2103 split a flow in two and gave
/// the second a last time 97 years on, without a word. Counted here, outside the table's
/// per-packet path, and said once at the end with where to look.
struct TimeOrderWatch {
    /// How far before the latest time a packet must be to count (the idle timeout, or 60 s).
    let threshold: Int64
    private var latest = Int64.min
    private var latestPacket = 0
    private(set) var behind = 0
    private(set) var firstBehind: Int?
    /// The packet holding the latest time when the first packet behind it came.
    private(set) var aheadPacket: Int?
    private var aheadTime = Int64.min

    init(threshold: Int64) { self.threshold = threshold }

    mutating func see(_ time: Int64, packet: Int) {
        guard latest != .min else { latest = time; latestPacket = packet; return }
        if time > latest { latest = time; latestPacket = packet; return }
        guard latest &- time > threshold, latest &- time > 0 else { return }
        behind += 1
        if firstBehind == nil { firstBehind = packet; aheadPacket = latestPacket; aheadTime = latest }
    }

    func warning(file: String, packets: Int, idleTimeout: Double) -> String? {
        guard behind > 0, let firstBehind, let aheadPacket else { return nil }
        let share = packets > 0 ? Double(behind) / Double(packets) * 100 : 0
        let seconds = Double(threshold) / 1e9
        let date = Date(timeIntervalSince1970: Double(aheadTime) / 1e9).ISO8601Format()
        return "\(file.visible): \(behind) packets (\(String(format: share < 0.1 ? "%.2g" : "%.1f", share)) %) were dated more than "
            + "\(seconds.formatted()) s before a packet that came earlier in the file (the first packet \(firstBehind), after packet "
            + "\(aheadPacket) dated \(date)): timeouts run on the latest time, so flows live then were ended "
            + (idleTimeout > 0 ? "idle " : "") + "and their later packets began new ones; a capture merged out of time order, "
            + "or packet \(aheadPacket) dated ahead of the rest?"
    }
}