public import FlowcastPolicy
public import FlowcastTopology
public import FlowcastModel
internal import Foundation

/// Spectrum efficiency of the cells whose topology entry names a radio KPI log (`kpiSource`):
/// the log's CQI reports through the cell's TS 38.214 table (`cqiTable`), averaged over its most
/// recent seconds. The planner uses it for cells whose forecast gives no efficiency, before the
/// configured peak (which overstates what a cell delivers, so it sizes too few blocks).
///
/// Why a recent mean and not the Flowcast model: one second ahead no model tried beats the last
/// report (docs/forecasting.md), and a plan needs the efficiency over its whole interval, which
/// the mean of the last max(60 s, 2 × interval) predicts best: on the public 5G traces, mean
/// absolute error of the next interval's mean efficiency, held-out traces, 60 s / 300 s
/// intervals: 0.652 / 0.483 bit/s/Hz, against 0.950 / 1.041 for the last report
/// (`tools/analysis/se_horizon.py`; the window rule was chosen on the other traces).
public enum RadioKPIEfficiency {
    /// Seconds of reports averaged for a planning interval of `horizon` seconds.
    public static func window(horizon: Double) -> Double { RecentMeanRule.window(horizon: horizon) }

    /// Seconds of log an interval model needs: its longest feature window (1800 s).
    static let modelHistorySeconds = 1800.0

    /// Estimates every cell with a `kpiSource`, re-reading the logs (they may still be growing).
    /// A log that cannot be read, is not a radio KPI log or has no CQI report in the window gives
    /// a problem (file and reason) and no estimate: that cell falls back to its configured peak.
    ///
    /// With `model` (an interval model of spectral efficiency, `train --target se --horizon`), each
    /// cell's efficiency is the model's forecast of the mean over the next `horizon` and its source
    /// names the model and the band; where the model did not beat the rule on its validation traces
    /// the rule's mean is used, and the source says so.
    ///
    /// `until` (seconds since the epoch, the log's clock) uses the reports before that time instead
    /// of the log's last ones: a replay plans at capture time from a log that already holds the
    /// seconds after it, which a plan made then could not have seen.
    ///
    /// `reads` (one per plan) lets `windowMeans` of the same plan use the log this read, when it
    /// reaches back far enough, rather than read it again.
    public static func measure(_ topology: Topology, horizon: Double, model: IntervalModel? = nil,
                               until: Double? = nil, reads: RecentReads? = nil) -> (measured: [MeasuredEfficiency], problems: [String]) {
        var measured: [MeasuredEfficiency] = []
        var problems: [String] = []
        for cell in topology.cells {
            guard let path = cell.kpiSource else { continue }
            let table = cell.cqiTable.flatMap(CQITable.init(rawValue:)) ?? .table1
            let seconds = window(horizon: horizon)
            let history = model == nil ? seconds : max(seconds, modelHistorySeconds)
            let options = SeriesReadOptions(radioTarget: .spectralEfficiency, cqiTable: table, growingLog: true)
            do {
                let set = try recentReports(path: path, options: options, history: history, from: until.map { $0 - history },
                                            reads: reads, covariates: model != nil)
                guard set.radioTarget != nil, var series = set.series.first else {
                    problems.append("cell '\(cell.id)': \(path) is not a radio KPI log (Timestamp, CQI and DL_bitrate columns)")
                    continue
                }
                if let until {
                    // Rows starting before `until` only (a grid row's time is its start).
                    var kept = 0
                    while kept < series.values.count, let t = set.time(ofRow: kept), t < until { kept += 1 }
                    series.values = Array(series.values.prefix(kept))
                    series.covariates = series.covariates.map { Array($0.prefix(kept)) }
                }
                let values = series.values
                let rows = set.step.map { max(1, Int((seconds / $0).rounded())) } ?? values.count
                // With `until`, the window is the `seconds` before it, not the log's last rows
                // wherever they are: a live tap sized its cells on a log that had stopped a year
                // before, without a word (an audit). Such a log has no report in the window.
                var first = values.count - rows
                if let until {
                    while first < values.count, let t = set.time(ofRow: max(0, first)), t < until - seconds { first += 1 }
                }
                var sum = 0.0
                var reports = 0
                for value in values[max(0, first)...] where !value.isNaN {
                    sum += value
                    reports += 1
                }
                guard reports > 0 else {
                    let before = until.map { " before " + IntervalPlanner.iso(Int64($0 * 1e9)) } ?? ""
                    problems.append("cell '\(cell.id)': no CQI report in the last \(Int(seconds)) s\(before) of \(path)")
                    continue
                }
                let last = set.time(ofRow: values.count - 1).map { " to " + IntervalPlanner.iso(Int64($0 * 1e9)) } ?? ""
                let name = URL(fileURLWithPath: path).lastPathComponent
                if let model, let result = try IntervalForecaster.forecast(model, series: series, step: set.step ?? 1) {
                    let f = result.forecast
                    func number(_ x: Double) -> String { String(format: "%.3f", x) }
                    measured.append(MeasuredEfficiency(
                        cell: cell.id, bitsPerSecondPerHertz: f.point,
                        source: "radio KPIs of \(name)\(last), \(table.rawValue): \(result.source); "
                            + "\(number(f.point)) bit/s/Hz, P10 \(number(f.lower)), P90 \(number(f.upper)); "
                            + "recentMean \(number(result.recentMean))"))
                    continue
                }
                measured.append(MeasuredEfficiency(
                    cell: cell.id, bitsPerSecondPerHertz: sum / Double(reports),
                    source: "radio KPIs: mean of the last \(Int(seconds)) s of \(name), \(reports) CQI reports\(last), \(table.rawValue)"))
            } catch let error as SeriesInputError {
                problems.append("cell '\(cell.id)': \(error.description)")
            } catch {
                problems.append("cell '\(cell.id)': \(error)")
            }
        }
        return (measured, problems)
    }

    /// Each cell's measured efficiency over each of `windows` (seconds since the epoch, the log's
    /// clock, ascending): the mean of its log's CQI reports (through its `cqiTable`) that start in
    /// the window and before `until`, for the scenarios of the `flowcast` sizing rule. A window
    /// without a report takes the previous window's value (the first ones the first value there
    /// is); a cell without a `kpiSource`, or whose log gives no report in any window or cannot be
    /// read (`measure` reports why), is left out.
    ///
    /// With `cache` (one per planner), a window the log has already moved past (a report at or
    /// after its end, and its end not after `until`) is read once: later plans read only the
    /// seconds from the first window not yet known. Reading the whole half hour again at every
    /// plan cost 3.7 s a plan at 1,000 cells.
    public static func windowMeans(_ topology: Topology, windows: [(start: Double, end: Double)], until: Double,
                                   cache: WindowMeanCache? = nil, reads: RecentReads? = nil) -> [String: [Double]] {
        guard !windows.isEmpty else { return [:] }
        var result: [String: [Double]] = [:]
        for cell in topology.cells {
            guard let path = cell.kpiSource else { continue }
            let table = cell.cqiTable.flatMap(CQITable.init(rawValue:)) ?? .table1
            let key = cell.id + "\u{0}" + path + "\u{0}" + table.rawValue
            var (known, log) = cache?.means(key, path: path) ?? ([:], nil)
            var means = windows.map { known[$0.start] ?? .nan }
            if let firstMissing = windows.firstIndex(where: { known[$0.start] == nil }) {
                let first = windows[firstMissing].start
                let options = SeriesReadOptions(radioTarget: .spectralEfficiency, cqiTable: table, growingLog: true)
                let history = max(0, until - first) + 60
                do {
                    let set = try recentReports(path: path, options: options, history: history, from: first, reads: reads)
                    if let reads { log = reads.sets[RadioLogCache.key(path, options)]?.log }
                    guard set.radioTarget != nil, let series = set.series.first, let start = set.startTime, let step = set.step, step > 0 else {
                        continue
                    }
                    let lastReport = start + Double(series.values.count - 1) * step
                    for i in firstMissing..<windows.count where known[windows[i].start] == nil {
                        let w = windows[i]
                        let end = min(w.end, until)
                        var row = max(0, Int(((w.start - start) / step).rounded(.up)))
                        var sum = 0.0, reports = 0
                        while row < series.values.count, start + Double(row) * step < end {
                            let value = series.values[row]
                            if !value.isNaN { sum += value; reports += 1 }
                            row += 1
                        }
                        means[i] = reports > 0 ? sum / Double(reports) : .nan
                        if w.end <= until && lastReport >= w.end { known[w.start] = means[i] }
                    }
                } catch {
                    continue
                }
            }
            cache?.store(key, log: log, means: known, keeping: windows.first!.start)
            guard let filled = carriedForward(means) else { continue }
            result[cell.id] = filled
        }
        return result
    }

    /// A log's recent reports: only its tail is parsed, unless the tail does not parse (then the
    /// whole file is read, so an error names the right line). The tail read first is sized for
    /// `history` seconds at `bytesPerSecond`; while it starts after `from` (the reports needed are
    /// further back) a tail four times longer is read, up to the whole file. A fixed allowance
    /// for the longest rows (512 bytes a second) parsed nine hours of a 28-byte-a-row log to use
    /// half an hour of it, for every cell at every plan: 50 s a plan at 1,000 cells.
    /// Without `from`, the reports needed are the last `history` seconds before the log's last one.
    /// A tail is late when its first row is not before `from`: the cut may have dropped an earlier
    /// report of that same second.
    /// With `reads`, a set this plan already read is used again when it reaches back to `from`
    /// and the caller needs no `covariates` (a later plan reads afresh: the log may have grown).
    static func recentReports(path: String, options: SeriesReadOptions, history: Double, from: Double?,
                              reads: RecentReads? = nil, covariates: Bool = false) throws -> SeriesSet {
        func startsLate(_ set: SeriesSet) -> Bool {
            guard set.step != nil, let first = set.time(ofRow: 0),
                  let from = from ?? set.time(ofRow: set.rowCount - 1).map({ $0 - history }) else { return false }
            return first >= from
        }
        let key = RadioLogCache.key(path, options)
        if !covariates, from != nil, let set = reads?.sets[key]?.set, !startsLate(set) { return set }
        if let problem = notALogFile(path) { throw problem }
        // The log as it is before this read, for the window means computed from it.
        let log = reads == nil ? nil : WindowMeanCache.identity(of: path)?.log
        var bytes = Int(history.rounded(.up)) * bytesPerSecond + 4096
        while let recent = try recentText(path: path, bytes: bytes) {
            guard let tail = try? SeriesReader.read(text: recent, path: path, options: options) else { break }
            if !startsLate(tail) {
                reads?.keep(tail, key, log: log)
                return tail
            }
            bytes *= 4
        }
        let whole = try RadioLogCache.shared.read(path: path, options: options)
        reads?.keep(whole, key, log: log)
        return whole
    }

    /// Why `path` cannot be a radio KPI log, or nil: a log is a file that grows. A FIFO blocked
    /// the plan forever at its open and a device was read to 2 GB before its bound, so anything
    /// but a regular file (symbolic links followed) is refused before it is opened, for plan,
    /// replay, live and the planner alike.
    static func notALogFile(_ path: String) -> SeriesInputError? {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let type = (try? FileManager.default.attributesOfItem(atPath: resolved))?[.type] as? FileAttributeType else {
            return .fileNotFound(path: path)
        }
        if type == .typeRegular { return nil }
        return .unreadable(path: path, reason: type == .typeDirectory ? "is a folder, not a log file"
                            : "not a regular file (a pipe, device or socket); a radio KPI log must be a file")
    }

    /// `values` with each NaN replaced by the value before it (leading NaNs by the first value);
    /// nil when every value is NaN.
    static func carriedForward(_ values: [Double]) -> [Double]? {
        guard var last = values.first(where: { !$0.isNaN }) else { return nil }
        return values.map { value in
            if !value.isNaN { last = value }
            return last
        }
    }

    /// Bytes of log first read per second of history: a row a second of 128 bytes (the public
    /// traces' rows are 121 bytes on average; where a log has more, the tail grows).
    static let bytesPerSecond = 128

    /// The header line and the whole lines of the last `bytes` of the file, or nil when the file
    /// is small enough to read whole. A log that grows for days is not parsed again in full for
    /// every plan.
    static func recentText(path: String, bytes: Int) throws(SeriesInputError) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }  // the full read reports why
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd(), size > UInt64(2 * bytes) else { return nil }
        do {
            try handle.seek(toOffset: 0)
            let head = try handle.read(upToCount: 65_536) ?? Data()
            guard let end = head.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            try handle.seek(toOffset: size - UInt64(bytes))
            var tail = try handle.readToEnd() ?? Data()
            guard let first = tail.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            tail = tail[tail.index(after: first)...]  // the first line is cut: drop it
            return String(decoding: head[..<end], as: UTF8.self) + "\n" + String(decoding: tail, as: UTF8.self)
        } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
    }
}

/// The radio KPI logs one plan has read (`RadioKPIEfficiency.recentReports`), so `measure` and
/// `windowMeans` of the same plan read each log once. Made afresh for every plan.
///
/// Each log is kept without its covariates (the other KPI columns): the efficiency series is all a
/// second reader without a model uses, and a plan holds every cell's log at once. Replay with
/// 1,000 cells, a 28-byte-a-row log each: peak RSS 77 MB reading every log twice, 127 MB keeping
/// whole sets, 101 MB keeping the efficiency series.
///
/// Each is kept with the log's identity as it was read (`WindowMeanCache.Identity`): window means
/// computed from it are stored under that, not under what the file has become since.
public final class RecentReads {
    private(set) var sets: [String: (set: SeriesSet, log: WindowMeanCache.Identity?)] = [:]

    public init() {}

    func keep(_ set: SeriesSet, _ key: String, log: WindowMeanCache.Identity?) {
        var slim = set
        slim.series = set.series.prefix(1).map { series in
            var series = series
            series.covariates = []
            series.covariateNames = []
            return series
        }
        sets[key] = (slim, log)
    }
}

/// The window means of `RadioKPIEfficiency.windowMeans` that no later report can change, per cell
/// and log, for the next plan: a planner keeps one. A log that shrinks, or whose first bytes or
/// the bytes where it last ended change (rotated or rewritten), is read again from the start of the
/// windows. Reports appended with times before the last one (a clock set back) fall in windows
/// already held and are not counted there, where a fresh read would merge them into those seconds.
/// Used by one planner at a time.
public final class WindowMeanCache {
    /// A log as it was read: its size, first bytes and last bytes.
    struct Identity {
        var size: UInt64
        var head: Data
        var end: Data
    }

    private var entries: [String: (log: Identity, means: [Double: Double])] = [:]

    public init() {}

    /// Window means held, over every cell.
    var count: Int { entries.values.reduce(0) { $0 + $1.means.count } }

    /// The means held for `key` when the log at `path` is the one they were computed from with
    /// reports appended, and the log as it is now.
    func means(_ key: String, path: String) -> (means: [Double: Double], log: Identity?) {
        let entry = entries[key]
        guard let now = Self.identity(of: path, since: entry?.log) else { return ([:], nil) }
        return (now.grown ? entry?.means ?? [:] : [:], now.log)
    }

    /// Keeps the means of windows from `keeping` on (older windows leave the plan's history).
    func store(_ key: String, log: Identity?, means: [Double: Double], keeping start: Double) {
        guard let log else { entries[key] = nil; return }
        entries[key] = (log, means.filter { $0.key >= start })
    }

    /// The log at `path` now, and whether it is `previous` with bytes appended: no shorter, the same
    /// first bytes, and the same bytes where `previous` ended (a log rewritten in place that keeps
    /// its first 256 bytes and does not shrink shows there). False without `previous`.
    static func identity(of path: String, since previous: Identity? = nil) -> (log: Identity, grown: Bool)? {
        guard RadioKPIEfficiency.notALogFile(path) == nil, let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        func bytes(at offset: UInt64, count: UInt64) -> Data? {
            guard (try? handle.seek(toOffset: offset)) != nil else { return nil }
            return count == 0 ? Data() : (try? handle.read(upToCount: Int(count))) ?? Data()
        }
        guard let size = try? handle.seekToEnd(), let head = bytes(at: 0, count: 256),
              let end = bytes(at: size - min(size, 64), count: min(size, 64)) else { return nil }
        let log = Identity(size: size, head: head, end: end)
        guard let previous, size >= previous.size,
              head.starts(with: previous.head) || previous.head.starts(with: head) else { return (log, false) }
        let count = UInt64(previous.end.count)
        return (log, bytes(at: previous.size - count, count: count) == previous.end)
    }
}

/// Radio KPI logs read whole, kept while the file's size and modification time stay the same: a
/// replay plans every interval from the same finished logs (the demo: six logs, ten plans), and
/// a log that grows is read again.
final class RadioLogCache: @unchecked Sendable {
    static let shared = RadioLogCache()
    private let lock = NSLock()
    private var entries: [String: (size: UInt64, modified: Date, set: SeriesSet)] = [:]

    /// One log read one way: its path, CQI table and target.
    static func key(_ path: String, _ options: SeriesReadOptions) -> String {
        path + "\u{0}" + options.cqiTable.rawValue + "\u{0}" + options.radioTarget.rawValue
    }

    func read(path: String, options: SeriesReadOptions) throws(SeriesInputError) -> SeriesSet {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let size = (attributes?[.size] as? NSNumber)?.uint64Value, let modified = attributes?[.modificationDate] as? Date else {
            return try SeriesReader.read(file: URL(fileURLWithPath: path), options: options)  // it says why it cannot
        }
        let key = Self.key(path, options)
        lock.lock()
        let cached = entries[key]
        lock.unlock()
        if let cached, cached.size == size, cached.modified == modified { return cached.set }
        let set = try SeriesReader.read(file: URL(fileURLWithPath: path), options: options)
        lock.lock()
        entries[key] = (size, modified, set)
        lock.unlock()
        return set
    }
}
