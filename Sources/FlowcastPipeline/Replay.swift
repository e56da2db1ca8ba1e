public import FlowcastAggregate
public import FlowcastCapture
public import FlowcastDecode
public import FlowcastTopology
internal import Foundation

/// Replays a capture into DIR/windows.jsonl, DIR/flows.jsonl and DIR/summary.json.
///
/// With `threads: 2` one thread reads and decodes while the other aggregates; aggregation stays
/// sequential in packet order, so the output is byte-identical to `threads: 1` (a test checks).
/// Sharding aggregation itself does not pay on two cores: decoding is the larger half.
public struct ReplayOptions: Sendable {
    public var capturePath: String
    public var topology: Topology
    public var outputDirectory: String
    public var aggregation: TrafficAggregator.Configuration
    public var threads: Int
    /// Called now and then from the aggregating thread with (packets, file fraction, live flows).
    public var progress: (@Sendable (Int, Double, Int) -> Void)?

    public init(capturePath: String, topology: Topology, outputDirectory: String,
                aggregation: TrafficAggregator.Configuration = .init(), threads: Int = 2,
                progress: (@Sendable (Int, Double, Int) -> Void)? = nil) {
        self.capturePath = capturePath; self.topology = topology; self.outputDirectory = outputDirectory
        self.aggregation = aggregation; self.threads = threads; self.progress = progress
    }
}

/// What a replay did, for summary.json and the CLI.
public struct ReplayResult: Sendable {
    public var totals: TrafficAggregator.Totals
    public var decode: DecodeStatistics
    public var flowsWritten = 0
    public var windowLines = 0
    public var captureError: String?
}

/// A batch of decoded packets passed from the reader to the aggregator.
struct PacketBatch: @unchecked Sendable {
    var summaries: [PacketSummary] = []
    var numbers: [Int] = []
    /// GTPv2-C messages with the index of the packet that carried them.
    var messages: [(Int, GTPv2Message)] = []
    var fileFraction: Double = 0
    var error: (any Error)? = nil
}

public enum ReplayError: Error, CustomStringConvertible {
    case output(path: String, reason: String)
    public var description: String {
        switch self { case let .output(path, reason): return "\(path): \(reason)" }
    }
}

public func runReplay(_ options: ReplayOptions, planner: IntervalPlanner? = nil) throws -> ReplayResult {
    let fm = FileManager.default
    do {
        try fm.createDirectory(atPath: options.outputDirectory, withIntermediateDirectories: true)
    } catch {
        throw ReplayError.output(path: options.outputDirectory, reason: "cannot create the folder: \(error.localizedDescription)")
    }
    let capture = try OfflineCapture(path: options.capturePath)
    let windowsFile = try OutputFile(directory: options.outputDirectory, name: "windows.jsonl")
    let flowsFile = try OutputFile(directory: options.outputDirectory, name: "flows.jsonl")
    var aggregator = TrafficAggregator(topology: options.topology, configuration: options.aggregation)
    var result = ReplayResult(totals: .init(), decode: .init())
    // Cell names as of the latest packet; flows name their cell by index into it.
    var cellNames = aggregator.cellNames

    func windowClosed(_ windows: [WindowSummary]) {
        for w in windows { w.appendJSON(to: &windowsFile.buffer) }
        result.windowLines += windows.count
        windowsFile.flushIfNeeded()
        planner?.windowClosed(windows)
    }
    func flowEnded(_ record: borrowing FlowRecord, _ reason: FlowEndReason) {
        let index = Int(record.cell)
        let cell: String? = (0..<cellNames.count).contains(index) ? cellNames[index] : nil
        record.appendJSON(reason: reason, cellName: cell, to: &flowsFile.buffer)
        result.flowsWritten += 1
        flowsFile.flushIfNeeded()
    }
    func consume(_ batch: PacketBatch) {
        var m = 0
        aggregator.prepare(batch.summaries)
        for i in batch.summaries.indices {
            while m < batch.messages.count && batch.messages[m].0 == i {
                aggregator.learn(batch.messages[m].1)
                m += 1
            }
            aggregator.add(batch.summaries[i], packetNumber: batch.numbers[i], batchIndex: i,
                           windowClosed: windowClosed, flowEnded: flowEnded)
            if aggregator.cellNames.count != cellNames.count { cellNames = aggregator.cellNames }
        }
        options.progress?(Int(aggregator.totals.packets), batch.fileFraction, aggregator.flows.liveFlows)
    }

    let decoder = PacketDecoder()
    let batchSize = 4096
    let reader = BatchReader(capture: capture, decoder: decoder, batchSize: batchSize)
    if options.threads >= 2 {
        let channel = BatchChannel<PacketBatch>(buffers: (0..<4).map { _ in PacketBatch() })
        let thread = Thread { reader.run(into: channel) }
        thread.stackSize = 1 << 20
        thread.start()
        while let batch = channel.receive() {
            consume(batch)
            if let error = batch.error { result.captureError = "\(error)" }
            channel.recycle(batch)
        }
    } else {
        reader.runInline { batch in
            consume(batch)
            if let error = batch.error { result.captureError = "\(error)" }
        }
    }
    aggregator.finish(windowClosed: windowClosed, flowEnded: flowEnded)
    result.totals = aggregator.totals
    result.decode = reader.statistics
    try windowsFile.commit()
    try flowsFile.commit()
    try planner?.finish()
    let summary = ReplaySummary(options: options, capture: capture, aggregator: aggregator, result: result)
    let summaryFile = try OutputFile(directory: options.outputDirectory, name: "summary.json")
    summaryFile.buffer.append(contentsOf: summary.json())
    try summaryFile.commit()
    return result
}

/// Reads and decodes packets into batches (on its own thread, or inline).
final class BatchReader: @unchecked Sendable {
    let capture: OfflineCapture
    let decoder: PacketDecoder
    let batchSize: Int
    private(set) var statistics = DecodeStatistics()

    init(capture: OfflineCapture, decoder: PacketDecoder, batchSize: Int) {
        self.capture = capture; self.decoder = decoder; self.batchSize = batchSize
    }

    func run(into channel: BatchChannel<PacketBatch>) {
        var batch = channel.takeEmpty()
        reset(&batch)
        do {
            try read(batch: &batch) { full in
                channel.send(full)
                return channel.takeEmpty()
            }
        } catch {
            batch.error = error
        }
        channel.send(batch)
        channel.close()
    }

    func runInline(_ body: (PacketBatch) -> Void) {
        var batch = PacketBatch()
        reset(&batch)
        do {
            try read(batch: &batch) { full in body(full); return full }
        } catch {
            batch.error = error
        }
        body(batch)
    }

    private func reset(_ batch: inout PacketBatch) {
        batch.summaries.removeAll(keepingCapacity: true)
        batch.numbers.removeAll(keepingCapacity: true)
        batch.messages.removeAll(keepingCapacity: true)
        batch.error = nil
        if batch.summaries.capacity < batchSize {
            batch.summaries.reserveCapacity(batchSize)
            batch.numbers.reserveCapacity(batchSize)
        }
    }

    private func read(batch: inout PacketBatch, handOff: (PacketBatch) -> PacketBatch) throws {
        let size = max(1, Double(capture.fileSize))
        try capture.forEachPacket { packet in
            let s = decoder.decode(packet.bytes, linkType: packet.linkType.rawValue, wireLength: packet.wireLength,
                                   seconds: packet.timestampSeconds, fraction: packet.timestampFraction)
            statistics.packets += 1
            statistics.wireBytes += packet.wireLength
            statistics.capturedBytes += packet.capturedLength
            if let issue = s.issue { statistics.record(issue, packet: packet.number) }
            if let at = s.gtpv2Offset, let messages = GTPv2Message.parse(UnsafeRawBufferPointer(rebasing: packet.bytes[at...])) {
                for m in messages { batch.messages.append((batch.summaries.count, m)) }
            }
            batch.summaries.append(s)
            batch.numbers.append(packet.number)
            if batch.summaries.count >= batchSize {
                batch.fileFraction = Double(statistics.capturedBytes + 16 * statistics.packets) / size
                var next = handOff(batch)
                reset(&next)
                batch = next
            }
        }
        batch.fileFraction = 1
    }
}
