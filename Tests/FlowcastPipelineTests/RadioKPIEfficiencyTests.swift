@testable import FlowcastPipeline
@testable import FlowcastModel
import FlowcastPolicy
import FlowcastTestSupport
import FlowcastTopology
import Foundation
import Testing

@Suite struct RadioKPIEfficiencyTests {
    func topology(_ cells: [(id: String, extra: String)]) throws -> Topology {
        let cellLines = cells.map { c in
            "  - { id: \(c.id), band: n78, minBlocks: 1, maxBlocks: 5, \(c.extra) }"
        }
        let yaml = """
        bands:
          - { id: n78, lowMHz: 3300, highMHz: 3800, blockMHz: 10 }
        nodes:
          - { id: s1 }
          - { id: core }
        cells:
        \(cellLines.joined(separator: "\n"))
        links:
          - { id: l1, a: s1, b: core, capacity: 1G }
        demands:
          - { id: d1, source: s1, destination: core, cells: [\(cells[0].id)], paths: [[l1]] }
        """
        return try Topology(yaml: yaml, file: "<topology>")
    }

    func folder() throws -> URL {
        let url = Scratch.root.appendingPathComponent("flowcast-kpi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// 2019-11-25T08:00:00Z: second 0 of the logs `writeLog` writes.
    static let origin = 1_574_668_800.0

    /// A radio KPI log with the reports `cqi(s)` (CQI indices) in second s from `origin`, for
    /// `seconds` seconds, none where `skip(s)`; `suffix` ends every row (for a longer `header`).
    func writeLog(_ url: URL, seconds: Int, header: String = "Timestamp,CQI,DL_bitrate", suffix: String = "",
                  skip: (Int) -> Bool = { _ in false }, cqi: (Int) -> [Int]) throws {
        var lines = [header]
        for s in 0..<seconds where !skip(s) {
            let stamp = String(format: "2019.11.25_%02d.%02d.%02d", 8 + s / 3600, s / 60 % 60, s % 60)
            for c in cqi(s) { lines.append("\(stamp),\(c),-\(suffix)") }
        }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
    }

    @Test("with until, only the reports before that time count: a replay's plan cannot see later seconds")
    func untilAveragesTheReportsBeforeThePlan() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        // 300 s: CQI 5 (0.8770 bit/s/Hz, table 1) for the first 150 s, then CQI 12 (3.9023).
        let start = 1_764_403_200.0  // 2025-11-29T08:00:00Z
        let lines = ["Timestamp,CQI,DL_bitrate"] + (0..<300).map { t in
            String(format: "2025.11.29_08.%02d.%02d,%d,-", t / 60, t % 60, t < 150 ? 5 : 12)
        }
        let log = dir.appendingPathComponent("c1.csv")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: log)
        let t = try topology([("c1", "kpiSource: \(log.path)")])
        // Without until: the last 60 s, all CQI 12.
        #expect(abs((RadioKPIEfficiency.measure(t, horizon: 30).measured.first?.bitsPerSecondPerHertz ?? 0) - 3.9023) < 1e-12)
        // Planning at 120 s: rows 60–119, all CQI 5, and the source says up to when.
        let early = RadioKPIEfficiency.measure(t, horizon: 30, until: start + 120)
        #expect(early.problems.isEmpty)
        #expect(abs((early.measured.first?.bitsPerSecondPerHertz ?? 0) - 0.8770) < 1e-12)
        #expect(early.measured.first?.source == "radio KPIs: mean of the last 60 s of c1.csv, 60 CQI reports to 2025-11-29T08:01:59Z, table1")
        // At 180 s: 30 s of each.
        let mid = RadioKPIEfficiency.measure(t, horizon: 30, until: start + 180)
        #expect(abs((mid.measured.first?.bitsPerSecondPerHertz ?? 0) - (0.8770 + 3.9023) / 2) < 1e-12)
        // Before the log starts: no report, named as such, so the cell falls back to its peak.
        let before = RadioKPIEfficiency.measure(t, horizon: 30, until: start - 10)
        #expect(before.measured.isEmpty)
        #expect(before.problems == ["cell 'c1': no CQI report in the last 60 s before 2025-11-29T07:59:50Z of \(log.path)"])
        // After the log stopped: its last reports are not this plan's window either. A live tap in
        // 2026 was sized on this log's last minute of 2025 without a word (an audit).
        let after = RadioKPIEfficiency.measure(t, horizon: 30, until: start + 86_400 * 365)
        #expect(after.measured.isEmpty)
        #expect(after.problems == ["cell 'c1': no CQI report in the last 60 s before 2026-11-29T08:00:00Z of \(log.path)"])
        // 30 s after it stopped: the 30 s of the window it still covers.
        let late = RadioKPIEfficiency.measure(t, horizon: 30, until: start + 330)
        #expect(late.measured.first?.source == "radio KPIs: mean of the last 60 s of c1.csv, 30 CQI reports to 2025-11-29T08:04:59Z, table1", "\(late)")
    }

    @Test func theRecentMeanOfTheCellsCQIThroughItsTable() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        // 200 s of reports: CQI 7 for the first 100 s, then 9 and 15 alternating, one second
        // missing its CQI ('-') and one second reported twice (averaged first, as on the grid).
        var lines = ["Timestamp,Speed,RSRP,CQI,DL_bitrate,State"]
        for t in 0..<200 {
            let cqi = t < 100 ? "7" : t == 150 ? "-" : t % 2 == 0 ? "9" : "15"
            lines.append(String(format: "2019.11.25_15.%02d.%02d,0,-90,%@,1000,D", 10 + t / 60, t % 60, cqi))
            if t == 199 { lines.append("2019.11.25_15.13.19,0,-90,9,1000,D") }
        }
        let log = dir.appendingPathComponent("c1.csv")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: log)
        let t = try topology([("c1", "kpiSource: \(log.path), cqiTable: table2-256qam"), ("c2", "kpiSource: \(log.path)"),
                              ("c3", "peakSpectralEfficiency: 5")])
        // A 20 s plan interval averages the last 60 s (rows 140–199): 29 seconds of CQI 9, 30 of
        // 15 (row 150 has none), and row 199 = mean of 15 and 9 in efficiency.
        let (measured, problems) = RadioKPIEfficiency.measure(t, horizon: 20)
        #expect(problems.isEmpty)
        #expect(measured.map(\.cell) == ["c1", "c2"])
        let table2 = (29 * 3.9023 + 29 * 7.4063 + (7.4063 + 3.9023) / 2) / 59  // TS 38.214 Table 5.2.2.1-3
        let table1 = (29 * 2.4063 + 29 * 5.5547 + (5.5547 + 2.4063) / 2) / 59  // Table 5.2.2.1-2
        #expect(abs(measured[0].bitsPerSecondPerHertz - table2) < 1e-12)
        #expect(abs(measured[1].bitsPerSecondPerHertz - table1) < 1e-12)
        #expect(measured[0].source == "radio KPIs: mean of the last 60 s of c1.csv, 59 CQI reports to 2019-11-25T15:13:19Z, table2-256qam")
        // A 150 s interval averages 300 s: the whole log.
        let whole = RadioKPIEfficiency.measure(t, horizon: 150).measured[1].bitsPerSecondPerHertz
        #expect(abs(whole - (100 * 1.4766 + 49 * 2.4063 + 49 * 5.5547 + (5.5547 + 2.4063) / 2) / 199) < 1e-12)
    }

    /// A long log is read from its tail only; the estimate is the one the whole file gives, and a
    /// bad row in the tail is reported at its line in the file.
    @Test func aLongLogIsReadFromItsTail() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Six hours (21 600 rows, about 1 MB); CQI cycles so every window has its own mean.
        var lines = ["Timestamp,Speed,RSRP,RSRQ,SNR,CQI,RSSI,DL_bitrate,UL_bitrate,State"]
        for t in 0..<21_600 {
            lines.append(String(format: "2019.11.25_%02d.%02d.%02d,12,-95,-11,7.0,%d,-70,%d,40,D", 8 + t / 3600, t / 60 % 60, t % 60,
                                1 + (t * 7) % 15, 1000 + t % 977))
        }
        let log = dir.appendingPathComponent("long.csv")
        try Data((lines.joined(separator: "\r\n") + "\r\n").utf8).write(to: log)
        let t = try topology([("c1", "kpiSource: \(log.path)")])
        let measured = try #require(RadioKPIEfficiency.measure(t, horizon: 30).measured.first)
        let table1: [Double] = [0, 0.1523, 0.2344, 0.3770, 0.6016, 0.8770, 1.1758, 1.4766, 1.9141, 2.4063, 2.7305, 3.3223,
                                3.9023, 4.5234, 5.1152, 5.5547]
        var sum = 0.0
        for row in 21_540..<21_600 { sum += table1[1 + (row * 7) % 15] }
        let expected = sum / 60
        #expect(abs(measured.bitsPerSecondPerHertz - expected) < 1e-12)
        #expect(measured.source.contains("60 CQI reports to 2019-11-25T13:59:59Z"))
        let recent = try #require(try RadioKPIEfficiency.recentText(path: log.path, bytes: 60 * 512 + 65_536))
        #expect(recent.hasPrefix(lines[0] + "\r\n") && recent.count < 120_000)

        lines[21_590] = lines[21_590].replacingOccurrences(of: ",D", with: ",D,extra")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: log)
        #expect(RadioKPIEfficiency.measure(t, horizon: 30).problems == ["cell 'c1': \(log.path):21591: expected 10 fields, found 11"])
    }

    /// The interval planner's efficiency per window over the last half hour, from a log whose
    /// rows are longer than the first tail allows for (about 400 bytes): the tail grows until it
    /// reaches back to the first window, and every window's mean is the one computed here from
    /// the rows themselves.
    @Test func windowMeansReachBackPastAShortTail() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let padding = String(repeating: "0", count: 360)
        var lines = ["Timestamp,Speed,RSRP,RSRQ,SNR,CQI,RSSI,DL_bitrate,UL_bitrate,State"]
        for t in 0..<21_600 {
            lines.append(String(format: "2019.11.25_%02d.%02d.%02d,12,-95.%@,-11,7.0,%d,-70,1000,40,D", 8 + t / 3600, t / 60 % 60, t % 60,
                                padding, 1 + (t * 7) % 15))
        }
        let log = dir.appendingPathComponent("wide.csv")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: log)
        let t = try topology([("c1", "kpiSource: \(log.path)")])
        let start = 1_574_668_800.0  // 2019-11-25T08:00:00Z, the log's first row
        let end = start + 21_600
        let windows = (0..<180).map { i in (start: end - 1800 + Double(i) * 10, end: end - 1790 + Double(i) * 10) }
        let means = try #require(RadioKPIEfficiency.windowMeans(t, windows: windows, until: end)["c1"])
        let table1: [Double] = [0, 0.1523, 0.2344, 0.3770, 0.6016, 0.8770, 1.1758, 1.4766, 1.9141, 2.4063, 2.7305, 3.3223,
                                3.9023, 4.5234, 5.1152, 5.5547]
        let expected: [Double] = (0..<180).map { (i: Int) -> Double in
            var sum = 0.0
            for row in (19_800 + 10 * i)..<(19_810 + 10 * i) { sum += table1[1 + (row * 7) % 15] }
            return sum / 10
        }
        #expect(means.count == 180)
        #expect(zip(means, expected).allSatisfy { abs($0 - $1) < 1e-12 }, "\(means.prefix(3)) against \(expected.prefix(3))")
    }

    /// A planner's cache of window means gives, at every plan, what reading the whole half hour
    /// again gives: with the log written up to the plan, a few seconds behind it (its last windows
    /// are not final yet) or past it (a replay's finished log), and after the log is rewritten
    /// shorter with other values.
    @Test func cachedWindowMeansEqualAFreshRead() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("growing.csv")
        let t = try topology([("c1", "kpiSource: \(log.path)")])
        let origin = Self.origin
        func write(seconds: Int, shift: Int) throws {
            // A missing report now and then.
            try writeLog(log, seconds: seconds, skip: { $0 % 17 == 5 }) { [1 + ($0 * 7 + shift) % 15] }
        }
        let cache = WindowMeanCache()
        var compared = 0
        for (plan, lag) in [(0, 0), (1, 3), (2, 15), (3, 0), (4, -30), (5, 7), (6, 0)].map({ ($0.0, $0.1) }) {
            let until = origin + 2400 + Double(plan) * 60
            try write(seconds: Int(until - origin) - lag, shift: 0)
            let windows = (0..<180).map { i in (start: until - 1800 + Double(i) * 10, end: until - 1790 + Double(i) * 10) }
            let cached = RadioKPIEfficiency.windowMeans(t, windows: windows, until: until, cache: cache)["c1"]
            let fresh = RadioKPIEfficiency.windowMeans(t, windows: windows, until: until)["c1"]
            #expect(cached != nil && cached == fresh, "plan \(plan), lag \(lag)")
            // Every window the log has moved past (a report at or after its end) is held, and
            // none after the plan.
            let lastReport = origin + Double((0..<(Int(until - origin) - lag)).last { $0 % 17 != 5 }!)
            let settled = windows.filter { $0.end <= until && lastReport >= $0.end }.count
            #expect(cache.count == settled && settled >= 177, "plan \(plan), lag \(lag): \(cache.count) held, \(settled) settled")
            compared += 1
        }
        // Rewritten with other values (as long, and shorter): nothing cached is used.
        let until = origin + 2400 + 7 * 60
        let windows = (0..<180).map { i in (start: until - 1800 + Double(i) * 10, end: until - 1790 + Double(i) * 10) }
        for (seconds, shift) in [(Int(until - origin), 4), (Int(until - origin) - 300, 9)] {
            try write(seconds: seconds, shift: shift)
            let cached = RadioKPIEfficiency.windowMeans(t, windows: windows, until: until, cache: cache)["c1"]
            #expect(cached != nil && cached == RadioKPIEfficiency.windowMeans(t, windows: windows, until: until)["c1"], "shift \(shift)")
        }
        #expect(compared == 7)
    }

    /// Without a plan time (`flowcast plan`) the window is the last seconds before the log's last
    /// report, however long its rows: the tail grows until it holds them. A log of 400-byte rows
    /// measures as the same reports in short rows.
    @Test func longRowsStillFillTheWindow() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let short = dir.appendingPathComponent("short.csv"), long = dir.appendingPathComponent("long.csv")
        try writeLog(short, seconds: 3600) { [1 + ($0 * 7) % 15] }
        try writeLog(long, seconds: 3600, header: "Timestamp,CQI,DL_bitrate,Operatorname",
                     suffix: "," + String(repeating: "x", count: 370)) { [1 + ($0 * 7) % 15] }
        let seconds = Int(RadioKPIEfficiency.window(horizon: 60))
        let a = RadioKPIEfficiency.measure(try topology([("c1", "kpiSource: \(short.path)")]), horizon: 60).measured
        let b = RadioKPIEfficiency.measure(try topology([("c1", "kpiSource: \(long.path)")]), horizon: 60).measured
        #expect(a.count == 1 && b.count == 1)
        #expect(a.first?.bitsPerSecondPerHertz == b.first?.bitsPerSecondPerHertz)
        #expect(b.first?.source.contains("\(seconds) CQI reports") == true, "\(b.first?.source ?? "")")
    }

    /// A log rewritten in place past where the cache last saw it end, keeping its first bytes and
    /// growing, is read afresh; means a plan computed from what it read are kept under the log as it
    /// was then read, so a change made between that read and the windows' is caught at the next plan.
    @Test func aLogRewrittenInPlaceIsReadAfresh() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("kpi.csv")
        let t = try topology([("c1", "kpiSource: \(log.path)")])
        let origin = Self.origin
        func write(seconds: Int, shift: (Int) -> Int) throws {
            try writeLog(log, seconds: seconds) { [1 + ($0 * 7 + shift($0)) % 15] }
        }
        func windows(_ until: Double) -> [(start: Double, end: Double)] {
            (0..<180).map { i in (start: until - 1800 + Double(i) * 10, end: until - 1790 + Double(i) * 10) }
        }
        let cache = WindowMeanCache()
        var until = origin + 2400
        try write(seconds: 2400) { _ in 0 }
        #expect(RadioKPIEfficiency.windowMeans(t, windows: windows(until), until: until, cache: cache)["c1"] != nil)
        // Rewritten from second 1000 on (the first 256 bytes stay) and a minute longer.
        until += 60
        let rewritten = { (s: Int) in s >= 1000 ? 5 : 0 }
        try write(seconds: 2460, shift: rewritten)
        let fresh = RadioKPIEfficiency.windowMeans(t, windows: windows(until), until: until)["c1"]
        #expect(fresh != nil && RadioKPIEfficiency.windowMeans(t, windows: windows(until), until: until, cache: cache)["c1"] == fresh)

        // The next plan: measure reads the log a minute longer; then that minute is rewritten (what
        // the cache saw before stays) before the windows are read, from measure's read. The plan
        // after must not keep the means of that minute.
        until += 60
        try write(seconds: 2520, shift: rewritten)
        let reads = RecentReads()
        _ = RadioKPIEfficiency.measure(t, horizon: 60, until: until, reads: reads)
        let again = { (s: Int) in s >= 2460 ? 9 : rewritten(s) }
        try write(seconds: 2520, shift: again)
        _ = RadioKPIEfficiency.windowMeans(t, windows: windows(until), until: until, cache: cache, reads: reads)
        until += 60
        try write(seconds: 2580, shift: again)
        let later = RadioKPIEfficiency.windowMeans(t, windows: windows(until), until: until)["c1"]
        #expect(later != nil && RadioKPIEfficiency.windowMeans(t, windows: windows(until), until: until, cache: cache)["c1"] == later)
    }

    /// A log with two reports a second: a tail whose cut falls inside the first report of its first
    /// second starts exactly at that second with one of its two reports. Asked for the reports
    /// from that second on, the tail is late (it grows), and the second's value is the whole log's.
    @Test func aTailCutInsideASecondIsLate() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("twice.csv")
        try writeLog(log, seconds: 3600) { [1 + ($0 * 7) % 15, 1 + ($0 * 11 + 3) % 15] }
        let options = SeriesReadOptions(radioTarget: .spectralEfficiency, cqiTable: .table1)
        let whole = try SeriesReader.read(file: log, options: options)
        func value(_ set: SeriesSet, at time: Double) throws -> Double {
            let row = Int(((time - (set.startTime ?? .nan)) / (set.step ?? .nan)).rounded())
            return try #require(set.series.first?.values[row])
        }
        var split = 0
        for history in 60...200 {
            let text = try #require(try RadioKPIEfficiency.recentText(path: log.path,
                                                                      bytes: history * RadioKPIEfficiency.bytesPerSecond + 4096))
            let tail = try SeriesReader.read(text: text, path: log.path, options: options)
            let first = try #require(tail.startTime)
            if try value(tail, at: first) != value(whole, at: first) { split += 1 }
            let read = try RadioKPIEfficiency.recentReports(path: log.path, options: options, history: Double(history), from: first)
            #expect(try value(read, at: first) == value(whole, at: first), "history \(history)")
        }
        #expect(split > 20)  // the case arises: about half the cuts fall inside a second's first report
    }

    /// One plan reads each log once: `windowMeans` uses what `measure` read when it reaches back
    /// far enough (the log is gone by then here, and the means are still those of a fresh read);
    /// when it does not, the log is read again.
    @Test func aPlanReadsEachLogOnce() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("long.csv")
        try writeLog(log, seconds: 21_600) { [1 + ($0 * 7) % 15] }
        let t = try topology([("c1", "kpiSource: \(log.path)")])
        let until = Self.origin + 21_000
        let recent = (0..<6).map { i in (start: until - 60 + Double(i) * 10, end: until - 50 + Double(i) * 10) }
        let older = (0..<60).map { i in (start: until - 600 + Double(i) * 10, end: until - 590 + Double(i) * 10) }
        let fresh = RadioKPIEfficiency.windowMeans(t, windows: recent, until: until)["c1"]
        let freshOlder = RadioKPIEfficiency.windowMeans(t, windows: older, until: until)["c1"]
        let freshMeasure = RadioKPIEfficiency.measure(t, horizon: 60, until: until).measured

        let options = SeriesReadOptions(radioTarget: .spectralEfficiency, cqiTable: .table1)
        let full = try RadioKPIEfficiency.recentReports(path: log.path, options: options, history: 120, from: until - 120)
        #expect(!full.series[0].covariates.isEmpty)  // CQI beside the efficiency

        let reads = RecentReads()
        let measured = RadioKPIEfficiency.measure(t, horizon: 60, until: until, reads: reads).measured
        #expect(measured == freshMeasure && measured.count == 1)
        // Kept as the efficiency series alone: the same values, none of the other columns.
        let kept = try #require(reads.sets.values.first?.set)
        #expect(reads.sets.count == 1 && kept.series.count == 1 && kept.series[0].covariates.isEmpty)
        #expect(kept.series[0].values == full.series[0].values && kept.startTime == full.startTime && kept.step == full.step)
        try FileManager.default.removeItem(at: log)
        // A reader that needs the other columns (a model's forecast) reads the log itself: it is gone.
        #expect(throws: SeriesInputError.self) {
            try RadioKPIEfficiency.recentReports(path: log.path, options: options, history: 120, from: until - 120,
                                                 reads: reads, covariates: true)
        }
        #expect(RadioKPIEfficiency.windowMeans(t, windows: recent, until: until, reads: reads)["c1"] == fresh)
        #expect(fresh != nil)
        // Ten minutes back is beyond what measure read: the log is read again, and it is gone.
        #expect(RadioKPIEfficiency.windowMeans(t, windows: older, until: until, reads: reads)["c1"] == nil)
        #expect(freshOlder != nil)
    }

    @Test func unusableLogsAreProblemsNotEstimates() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = dir.appendingPathComponent("plain.csv")
        try Data("t,a\n0,1\n1,2\n".utf8).write(to: plain)
        let silent = dir.appendingPathComponent("silent.csv")
        try Data("Timestamp,CQI,DL_bitrate\n2019.11.25_15.00.00,-,10\n2019.11.25_15.00.01,-,20\n".utf8).write(to: silent)
        let t = try topology([("c1", "kpiSource: \(dir.path)/none.csv, peakSpectralEfficiency: 5"),
                              ("c2", "kpiSource: \(plain.path), peakSpectralEfficiency: 5"),
                              ("c3", "kpiSource: \(silent.path), peakSpectralEfficiency: 5")])
        let (measured, problems) = RadioKPIEfficiency.measure(t, horizon: 60)
        #expect(measured.isEmpty)
        #expect(problems == ["cell 'c1': \(dir.path)/none.csv: no such file or folder",
                             "cell 'c2': \(plain.path) is not a radio KPI log (Timestamp, CQI and DL_bitrate columns)",
                             "cell 'c3': no CQI report in the last 120 s of \(silent.path)"])
    }

    /// A FIFO with no writer blocked the plan forever at its open, and a folder read as missing:
    /// both are problems of their cell, found before the log is opened, and the window means
    /// (the planner's other reader) leave the cell out rather than wait.
    @Test func aLogThatIsNotAFileIsAProblemNotAWait() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("fifo.csv").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let t = try topology([("c1", "kpiSource: \(fifo), peakSpectralEfficiency: 5"),
                              ("c2", "kpiSource: \(dir.path), peakSpectralEfficiency: 5")])
        let (measured, problems) = RadioKPIEfficiency.measure(t, horizon: 60, until: Self.origin + 600)
        #expect(measured.isEmpty)
        #expect(problems == ["cell 'c1': \(fifo): cannot read: not a regular file (a pipe, device or socket); a radio KPI log must be a file",
                             "cell 'c2': \(dir.path): cannot read: is a folder, not a log file"])
        let windows = [(start: Self.origin, end: Self.origin + 10)]
        #expect(RadioKPIEfficiency.windowMeans(t, windows: windows, until: Self.origin + 600, cache: WindowMeanCache(), reads: RecentReads()).isEmpty)
    }

    /// Real data (GPL, read in place and skipped when ../shared is absent): a public 5G trace's
    /// estimate equals the mean, over its last 120 s, of each second's efficiency computed here
    /// straight from the CSV and the TS 38.214 table.
    @Test func aRealTraceMatchesAnIndependentComputation() throws {
        guard let shared = Fixtures.shared else { return }
        let url = shared.appendingPathComponent("data/radio-5g/traces/Download/Static")
        guard let name = try? FileManager.default.contentsOfDirectory(atPath: url.path).filter({ $0.hasSuffix(".csv") }).sorted().first
        else { return }
        let path = url.appendingPathComponent(name).path
        let table1: [Double] = [0, 0.1523, 0.2344, 0.3770, 0.6016, 0.8770, 1.1758, 1.4766, 1.9141, 2.4063, 2.7305, 3.3223,
                                3.9023, 4.5234, 5.1152, 5.5547]
        let rows = try String(contentsOfFile: path, encoding: .utf8).split(whereSeparator: \.isNewline)
        let header = rows[0].split(separator: ",", omittingEmptySubsequences: false)
        let tColumn = try #require(header.firstIndex(of: "Timestamp")), qColumn = try #require(header.firstIndex(of: "CQI"))
        var perSecond: [Int: (sum: Double, count: Int)] = [:]
        var last = Int.min
        for row in rows.dropFirst() {
            let fields = row.split(separator: ",", omittingEmptySubsequences: false)
            // 2019.11.25_15.34.34 → seconds within the trace (the traces never cross a month).
            let t = fields[tColumn].split(whereSeparator: { $0 == "." || $0 == "_" }).compactMap { Int($0) }
            let second = ((t[2] * 24 + t[3]) * 60 + t[4]) * 60 + t[5]
            last = max(last, second)
            guard let cqi = Int(fields[qColumn]) else { continue }
            perSecond[second, default: (0, 0)].sum += table1[cqi]
            perSecond[second, default: (0, 0)].count += 1
        }
        let window = perSecond.filter { $0.key > last - 120 }.values.map { $0.sum / Double($0.count) }
        let t = try topology([("c1", "kpiSource: \(path)")])
        let measured = try #require(RadioKPIEfficiency.measure(t, horizon: 60).measured.first)
        #expect(abs(measured.bitsPerSecondPerHertz - window.reduce(0, +) / Double(window.count)) < 1e-9)
        #expect(measured.source.contains("\(window.count) CQI reports"))
    }
}

/// The planner's efficiency from an interval model (`train --target se --horizon`).
@Suite struct IntervalEfficiencyTests {
    /// Zero heads plus `shift` scale units: the forecast is recentMean + shift × scale.
    func model(shift: Double, beats: Bool) -> IntervalModel {
        let names = IntervalSeries.featureNames(covariates: [])
        func head(_ tau: Double, _ offset: Double) -> IntervalHead {
            IntervalHead(tau: tau, weights: [Double](repeating: 0, count: names.count), trees: nil, shift: offset)
        }
        return IntervalModel(id: "hand", horizonSeconds: 20, target: "se", covariates: [], featureNames: names,
                             lower: head(0.1, shift - 0.1), point: head(0.5, shift), upper: head(0.9, shift + 0.1),
                             ewmaAlpha: 0.5, bandOffsets: ["recentMean": [-0.2, 0.2]],
                             validation: .init(series: 3, origins: 100, flowcastMAE: beats ? 0.8 : 1.2, recentMeanMAE: 1),
                             training: .init(sources: [], series: 0, samples: 0, untilRow: nil, stepSeconds: 1))
    }

    @Test func theModelsForecastWhereItBeatsTheRuleAndTheRuleWhereNot() throws {
        let dir = Scratch.root.appendingPathComponent("flowcast-kpi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // 100 s of CQI 9 (Table 5.2.2.1-2: 2.4063 bit/s/Hz): recentMean and scale are both 2.4063.
        var lines = ["Timestamp,Speed,RSRP,CQI,DL_bitrate,State"]
        for t in 0..<100 { lines.append(String(format: "2019.11.25_15.%02d.%02d,0,-90,9,1000,D", 10 + t / 60, t % 60)) }
        let log = dir.appendingPathComponent("c1.csv")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: log)
        let topology = try RadioKPIEfficiencyTests().topology([("c1", "kpiSource: \(log.path)")])
        let se = 2.4063
        let used = RadioKPIEfficiency.measure(topology, horizon: 20, model: model(shift: 0.5, beats: true))
        #expect(used.problems.isEmpty)
        let forecast = try #require(used.measured.first)
        #expect(abs(forecast.bitsPerSecondPerHertz - 1.5 * se) < 1e-9)
        #expect(forecast.source.contains("c1.csv"))
        #expect(forecast.source.contains("model hand: mean of the next 20 s, P10–P90 band (MAE 0.800 × recentMean on its validation traces)"))
        #expect(forecast.source.contains("P10 3.369, P90 3.850; recentMean 2.406"))
        let kept = RadioKPIEfficiency.measure(topology, horizon: 20, model: model(shift: 0.5, beats: false))
        let rule = try #require(kept.measured.first)
        #expect(abs(rule.bitsPerSecondPerHertz - se) < 1e-9)
        #expect(rule.source.contains("recentMean: mean of the last 60 s (model hand does not beat it: MAE 1.200 × on its validation traces)"))
    }
}
