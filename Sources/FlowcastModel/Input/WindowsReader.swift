internal import FlowcastCore
internal import Foundation

/// Reads `windows.jsonl` from `flowcast replay` or `flowcast live` through its format type,
/// `WindowLine` (one line per window per cell and link). A series per (kind, id) whose value is
/// total bytes per second over the window. A window absent for one series is zero traffic (the
/// aggregator emits windows only where traffic was seen); a window that reads low (partial,
/// `observedFrom`, `droppedBeforeCapture`) is a missing value. A line that is not a `WindowLine` —
/// a missing field, another spelling, an unsupported `formatVersion` — is an error naming the
/// file and line.
enum WindowsReader {
    static func read(text: String, path: String) throws(SeriesInputError) -> SeriesSet {
        var observations: [LongCSVReader.Observation] = []
        var durations: [Double] = []
        var number = 0
        let decoder = JSONDecoder()
        for rawLine in CSVText.lines(text) {
            number += 1
            let line = rawLine.trimmingSpaces
            if line.isEmpty { continue }
            let window: WindowLine
            do {
                window = try FormatReading.decode(WindowLine.self, from: Data(line.utf8), path: path, line: number, decoder: decoder)
            } catch {
                if error.problem == .notJSON { throw .badJSON(path: path, line: number, reason: "unparseable line") }
                throw .badLine(error)
            }
            if window.duration > 0 { durations.append(window.duration) }
            // A window that reads low is a missing value, as the planner treats it, not a quiet one.
            let value = window.duration > 0 && !window.readsLow ? Double(window.bytesUp + window.bytesDown) / window.duration : nil
            observations.append((window.start, window.kind.rawValue + ":" + window.id, value, number))
        }
        guard !observations.isEmpty else { throw .empty(path: path) }
        let step = durations.isEmpty ? nil : TimeGrid.estimateStep([0] + [durations.sorted()[durations.count / 2]])
        return try LongCSVReader.regularise(observations, source: path, absentIsZero: true, knownStep: step)
    }
}
