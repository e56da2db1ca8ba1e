import ArgumentParser
import FlowcastCapture
import FlowcastDecode
import FlowcastPipeline

struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode every packet of a capture, one line per packet.",
        discussion: """
            TSV columns: frame, epoch time, wire length, captured length, outer IP source, outer IP \
            destination, inner IP source, inner IP destination, inner protocol, inner source port, \
            inner destination port, outermost GTPv1 TEID, outermost VLAN ID. With --filter, frame \
            numbers stay the packets' numbers in the file (as tshark -Y keeps them).
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case tsv, json, none }

    @Argument(help: "A pcap or pcapng file (the magic number decides, not the extension).")
    var file: String
    @Option(help: "Output format: tsv, json (JSON Lines with decode issues) or none (benchmarks).")
    var format: Format = .tsv
    @Option(name: .short, parsing: .unconditional, help: "Stop after N packets (with --filter, N matching packets).")
    var count: Int?
    @OptionGroup var reading: CaptureReadingOptions

    func validate() throws {
        if let count, count < 0 { throw ValidationError("-c must be zero or more") }
    }

    func run() throws {
        let out = BufferedOutput()
        let format = self.format
        let reading = self.reading
        // Set once the capture is open and read (never for a file or filter refused at the start).
        var final: DecodeStatistics?
        defer { if let final { reading.filterNote(command: "decode", passed: final.packets, skipped: final.filteredPackets) } }
        do {
            _ = try decodeCapture(path: file, limit: count, mapFile: reading.mapFile, filter: reading.filter,
                                  onStatistics: { final = $0 }) { number, summary in
                switch format {
                case .tsv: summary.appendTSV(number: number, to: &out.buffer)
                case .json: summary.appendJSON(number: number, to: &out.buffer)
                case .none: return
                }
                out.flushIfNeeded()
            }
        } catch let error as CaptureError {
            out.flush()
            printError("flowcast decode: \(error)")
            throw ExitCode(2)
        }
        out.flush()
    }
}
