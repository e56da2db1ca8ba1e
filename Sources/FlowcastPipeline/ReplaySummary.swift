internal import FlowcastCore
internal import FlowcastAggregate
internal import FlowcastCapture
internal import Foundation

extension RunSummary {
    /// A replay's summary.json.
    init(replay options: ReplayOptions, capture: OfflineCapture, aggregator: TrafficAggregator, result: ReplayResult) {
        let t = aggregator.totals
        let f = aggregator.flows
        let linkTypes = capture.linkTypes.reduce(into: [String]()) { if !$0.contains($1.description) { $0.append($1.description) } }
        self.init(
            capture: .file(FileCapture(
                file: (options.capturePath as NSString).lastPathComponent, format: (capture.compressed ? "gzip-compressed " : "") + capture.format.description,
                linkTypes: linkTypes, packets: result.decode.packets, wireBytes: result.decode.wireBytes,
                capturedBytes: result.decode.capturedBytes, firstTime: t.firstNanoseconds.map { Double($0) / 1e9 },
                lastTime: t.firstNanoseconds == nil ? nil : Double(t.lastNanoseconds) / 1e9, error: result.captureError,
                filter: options.filter, filteredPackets: options.filter != nil ? result.decode.filteredPackets : nil)),
            decode: Decode(issues: result.decode.issues.mapValues { Decode.Issue(count: $0.count, firstPacket: $0.firstPacket) },
                           packetsWithIssues: result.decode.issues.values.reduce(0) { $0 + $1.count }, nonIPPackets: t.nonIPPackets,
                           packetsWithoutTime: result.decode.firstPacketWithoutTime.map { Decode.Issue(count: result.decode.packetsWithoutTime, firstPacket: $0) },
                           packetsDatedAhead: result.decode.firstPacketDatedAhead.map { Decode.Issue(count: result.decode.packetsDatedAhead, firstPacket: $0) },
                           recordsLongerThanWire: result.decode.firstRecordLongerThanWire.map {
                               Decode.Issue(count: result.decode.recordsLongerThanWire, firstPacket: $0)
                           }),
            cells: Cells(names: aggregator.cellNames, matchedPackets: t.cellPackets, matchedBytes: t.cellBytes,
                         learnedFromSignallingPackets: t.learnedCellPackets, signallingMessages: t.signallingMessages,
                         staticRuleConflicts: t.staticLearnedConflicts, learnedTEIDs: aggregator.learner.cellByTunnel.count,
                         signallingConflicts: aggregator.learner.conflicts, teidsRefused: aggregator.learner.refused,
                         cellsRefused: Int(t.cellsRefused),
                         malformedSignalling: t.firstMalformedSignalling.map {
                             Cells.MalformedSignalling(count: t.malformedSignalling, firstPacket: $0.packet, firstProblem: $0.problem)
                         }),
            unmatched: Traffic(packets: t.unmatchedPackets, bytes: t.unmatchedBytes),
            flows: Flows(created: f.createdFlows, written: result.flowsWritten, evicted: f.evictedFlows, expired: f.expiredFlows,
                         peakLive: f.peakFlows, maximumLive: f.configuration.maximumFlows,
                         idleTimeoutSeconds: Double(f.configuration.idleTimeout) / 1e9,
                         activeTimeoutSeconds: Double(f.configuration.activeTimeout) / 1e9, bytesPerFlow: FlowTable.bytesPerFlow),
            windows: Windows(seconds: Double(options.aggregation.windowNanoseconds) / 1e9, count: t.windows,
                             lines: result.windowLines, latePackets: t.latePackets, sampling: options.aggregation.sampling,
                             skippedEmptyWindows: t.skippedEmptyWindows, droppedWindows: t.droppedWindows),
            totals: Traffic(packets: t.packets, bytes: t.bytes),
            ipfix: options.ipfix != nil ? result.ipfix : nil)
        inferredTopology = options.inferred.map(InferredTopology.init)
    }
}
