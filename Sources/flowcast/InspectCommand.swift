import ArgumentParser
import FlowcastCapture
import FlowcastPipeline

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Summarise a capture: format, link types, time span, protocol mix, top talkers and tunnels, decode issues.")

    @Argument(help: "A pcap or pcapng file.") var file: String
    @Flag(help: "Print JSON instead of text.") var json = false
    @Option(parsing: .unconditional, help: "How many top talkers and tunnels to list.") var top: Int = 10
    @OptionGroup var reading: CaptureReadingOptions

    func validate() throws {
        if top < 0 { throw ValidationError("--top must be zero or more") }  // a negative one trapped
    }

    func run() throws {
        let report: CaptureInspection
        do {
            report = try CaptureInspection.inspect(path: file, mapFile: reading.mapFile, filter: reading.filter)
        } catch {
            printError("flowcast inspect: \(error)")
            throw ExitCode(2)
        }
        print(try json ? report.json(top: top) : report.text(top: top), terminator: json ? "\n" : "")
        if let error = report.error {
            printError("flowcast inspect: \(error) (the report covers the packets before it)")
            throw ExitCode(2)
        }
    }
}
