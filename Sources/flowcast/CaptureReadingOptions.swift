import ArgumentParser
import FlowcastCapture
import FlowcastPipeline

/// How a command reads a capture file: the options shared by decode, inspect, flows and replay.
struct CaptureReadingOptions: ParsableArguments {
    @Flag(name: .customLong("no-mmap"),
          help: "Read the capture through a buffer instead of mapping it into memory (for a file still being written, rotated or truncated).")
    var noMmap = false

    @Option(name: .customLong("filter"), help: ArgumentHelp(
        "Only packets matching this BPF expression, as tcpdump's (compiled by libpcap); packet numbers stay the file's, and skipped packets are counted.",
        valueName: "expr"))
    var filter: String?

    var mapFile: Bool { !noMmap }

    /// The one line each command prints on standard error when a filter skipped packets, so none
    /// is skipped silently.
    func filterNote(command: String, passed: Int, skipped: Int) {
        guard let filter else { return }
        printError("flowcast \(command): filter '\(filter)': \(passed) packets passed, \(skipped) skipped")
    }
}

extension CaptureError {
    var isBadFilter: Bool {
        if case .badFilter = self { return true }
        return false
    }
}
