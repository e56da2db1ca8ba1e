internal import FlowcastAggregate
internal import FlowcastCapture
internal import Foundation

/// summary.json: totals, unmatched traffic, decode issues, flow-table and capture statistics.
/// Deterministic: sorted keys, no wall-clock times.
struct ReplaySummary {
    var object: [String: Any]

    init(options: ReplayOptions, capture: OfflineCapture, aggregator: TrafficAggregator, result: ReplayResult) {
        let t = aggregator.totals
        let f = aggregator.flows
        var issues: [String: Any] = [:]
        for (name, entry) in result.decode.issues {
            issues[name] = ["count": entry.count, "firstPacket": entry.firstPacket]
        }
        let fileName = (options.capturePath as NSString).lastPathComponent
        object = [
            "formatVersion": 1,
            "capture": [
                "file": fileName,
                "format": capture.format.description,
                "linkTypes": capture.linkTypes.reduce(into: [String]()) { if !$0.contains($1.description) { $0.append($1.description) } },
                "packets": result.decode.packets,
                "wireBytes": result.decode.wireBytes,
                "capturedBytes": result.decode.capturedBytes,
                "firstTime": t.firstNanoseconds.map { Double($0) / 1e9 } as Any,
                "lastTime": Double(t.lastNanoseconds) / 1e9,
                "error": result.captureError as Any,
            ] as [String: Any],
            "decode": [
                "issues": issues,
                "packetsWithIssues": result.decode.issues.values.reduce(0) { $0 + $1.count },
                "nonIPPackets": t.nonIPPackets,
            ] as [String: Any],
            "cells": [
                "names": aggregator.cellNames,
                "matchedPackets": t.cellPackets,
                "matchedBytes": t.cellBytes,
                "learnedFromSignallingPackets": t.learnedCellPackets,
                "staticRuleConflicts": t.staticLearnedConflicts,
                "signallingMessages": t.signallingMessages,
                "learnedTEIDs": aggregator.learner.cellByTEID.count,
                "signallingConflicts": aggregator.learner.conflicts,
            ] as [String: Any],
            "unmatched": ["packets": t.unmatchedPackets, "bytes": t.unmatchedBytes],
            "flows": [
                "created": f.createdFlows,
                "written": result.flowsWritten,
                "evicted": f.evictedFlows,
                "expired": f.expiredFlows,
                "peakLive": f.peakFlows,
                "maximumLive": f.configuration.maximumFlows,
                "idleTimeoutSeconds": Double(f.configuration.idleTimeout) / 1e9,
                "activeTimeoutSeconds": Double(f.configuration.activeTimeout) / 1e9,
                "bytesPerFlow": FlowTable.bytesPerFlow,
            ] as [String: Any],
            "windows": [
                "seconds": Double(options.aggregation.windowNanoseconds) / 1e9,
                "sampling": options.aggregation.sampling,
                "count": t.windows,
                "lines": result.windowLines,
                "latePackets": t.latePackets,
            ] as [String: Any],
            "totals": ["packets": t.packets, "bytes": t.bytes],
        ]
        if options.ipfix != nil { object["ipfix"] = result.ipfix.map(\.json) }
    }

    func json() -> [UInt8] {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])) ?? Data()
        return [UInt8](data) + [10]
    }
}
