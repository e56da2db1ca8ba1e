internal import FlowcastModel
internal import Foundation

/// A cell's radio KPI log as spectral efficiency per second (CQI through the cell's TS 38.214
/// table, as `RadioKPIEfficiency` reads it), for scoring a run's spectrum plans against what the
/// cells could carry in each window (`flowcast report`).
public struct RadioKPISeries: Sendable {
    public var path: String
    /// Seconds since the epoch (the log's clock, as if UTC) of the first row.
    public var start: Double
    /// Seconds between rows (1 for G-NetTrack logs).
    public var step: Double
    /// bit/s/Hz per row; NaN where the log has no CQI report.
    public var efficiency: [Double]

    /// Reads `path` as a radio KPI log; `cqiTable` is the topology's spelling (nil: table 1).
    /// Throws a one-line message naming the file when it is missing, unreadable or not a radio
    /// KPI log.
    public static func read(path: String, cqiTable: String?) throws(RadioKPISeriesError) -> RadioKPISeries {
        let table = cqiTable.flatMap(CQITable.init(rawValue:)) ?? .table1
        let set: SeriesSet
        do {
            set = try SeriesReader.read(file: URL(fileURLWithPath: path),
                                        options: SeriesReadOptions(radioTarget: .spectralEfficiency, cqiTable: table, growingLog: true))
        } catch {
            throw RadioKPISeriesError(message: error.description)
        }
        guard set.radioTarget != nil, let values = set.series.first?.values, let start = set.startTime else {
            throw RadioKPISeriesError(message: "\(path): not a radio KPI log (Timestamp, CQI and DL_bitrate columns)")
        }
        return RadioKPISeries(path: path, start: start, step: set.step ?? 1, efficiency: values)
    }

    /// Seconds since the epoch just after the last row.
    public var end: Double { start + Double(efficiency.count) * step }

    /// Mean efficiency of the rows starting in [from, to), or nil when none has a report.
    public func mean(from: Double, to: Double) -> Double? {
        guard step > 0 else { return nil }
        let first = max(0, Int(((from - start) / step).rounded(.up)))
        let last = min(efficiency.count, Int(((to - start) / step).rounded(.up)))
        var sum = 0.0, count = 0
        if first < last {
            for v in efficiency[first..<last] where !v.isNaN {
                sum += v
                count += 1
            }
        }
        return count > 0 ? sum / Double(count) : nil
    }
}

/// Why a radio KPI log could not be read, in one line naming the file.
public struct RadioKPISeriesError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
