import ArgumentParser

/// How a command reads a capture file: the options shared by decode, inspect, flows and replay.
struct CaptureReadingOptions: ParsableArguments {
    @Flag(name: .customLong("no-mmap"),
          help: "Read the capture through a buffer instead of mapping it into memory (for a file still being written, rotated or truncated).")
    var noMmap = false

    var mapFile: Bool { !noMmap }
}
