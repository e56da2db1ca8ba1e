internal import Foundation

/// Reads `windows.jsonl` from `flowcast replay`: one WindowSummary per line. A series per
/// (kind, id) whose value is total bytes per second over the window. Tolerant of field spelling:
/// `bytesUp`/`bytesDown`, `bytes_up`/`bytes_down`, nested `bytes: {up, down}` or a single `bytes`;
/// `start` as seconds, milliseconds, nanoseconds or an ISO timestamp. A window absent for one
/// series is zero traffic (the aggregator emits windows only where traffic was seen).
enum WindowsReader {
    static func read(text: String, path: String) throws(SeriesInputError) -> SeriesSet {
        var observations: [(time: Double, series: String, value: Double?)] = []
        var durations: [Double] = []
        var number = 0
        for rawLine in CSVText.lines(text) {
            number += 1
            let line = rawLine.trimmingSpaces
            if line.isEmpty { continue }
            let object: [String: Any]
            do {
                guard let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    throw SeriesInputError.badJSON(path: path, line: number, reason: "not an object")
                }
                object = parsed
            } catch let error as SeriesInputError {
                throw error
            } catch {
                throw .badJSON(path: path, line: number, reason: "unparseable line")
            }
            guard let start = time(object["start"] ?? object["startTime"] ?? object["time"]) else {
                throw .badJSON(path: path, line: number, reason: "missing or bad 'start'")
            }
            let duration = seconds(object["duration"] ?? object["durationSeconds"]) ?? 0
            let kind = (object["kind"] as? String) ?? "series"
            let id = (object["id"] as? String) ?? (object["id"].map { "\($0)" } ?? "")
            guard !id.isEmpty else { throw .badJSON(path: path, line: number, reason: "missing 'id'") }
            guard let bytes = totalBytes(object) else {
                throw .badJSON(path: path, line: number, reason: "no byte counts")
            }
            if duration > 0 { durations.append(duration) }
            let value = duration > 0 ? bytes / duration : nil
            observations.append((start, kind + ":" + id, value))
        }
        guard !observations.isEmpty else { throw .empty(path: path) }
        let step = durations.isEmpty ? nil : TimeGrid.estimateStep([0] + [durations.sorted()[durations.count / 2]])
        return try LongCSVReader.regularise(observations, source: path, absentIsZero: true, knownStep: step)
    }

    private static func number(_ any: Any?) -> Double? {
        if let value = any as? NSNumber { return value.doubleValue }
        if let text = any as? String { return Double(text) }
        return nil
    }

    private static func time(_ any: Any?) -> Double? {
        if let text = any as? String, Double(text) == nil { return Timestamp.parse(text) }
        guard let value = number(any) else { return nil }
        if value > 1e15 { return value / 1e9 }  // nanoseconds
        if value > 1e11 { return value / 1e3 }  // milliseconds
        return value
    }

    private static func seconds(_ any: Any?) -> Double? {
        guard let value = number(any) else { return nil }
        if value > 1e6 { return value / 1e9 }  // a duration this long is nanoseconds
        return value
    }

    private static func totalBytes(_ object: [String: Any]) -> Double? {
        let upKeys = ["bytesUp", "bytes_up", "uplinkBytes", "upBytes"]
        let downKeys = ["bytesDown", "bytes_down", "downlinkBytes", "downBytes"]
        let up = upKeys.lazy.compactMap { number(object[$0]) }.first
        let down = downKeys.lazy.compactMap { number(object[$0]) }.first
        if up != nil || down != nil { return (up ?? 0) + (down ?? 0) }
        if let nested = object["bytes"] as? [String: Any] {
            let parts = ["up", "down", "uplink", "downlink"].compactMap { number(nested[$0]) }
            return parts.isEmpty ? nil : parts.reduce(0, +)
        }
        return number(object["bytes"])
    }
}
