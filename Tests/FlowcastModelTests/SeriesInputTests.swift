import FlowcastCore
import FlowcastTestSupport
import Foundation
import Testing
@testable import FlowcastModel

@Suite struct SeriesInputTests {
    @Test func wideCSVWithTimestampsDerivesStepAndSeasons() throws {
        let text = "t,start,a,b\n0,2004-03-01T00:00,1,2\n1,2004-03-01T00:05,3,4\n2,2004-03-01T00:10,5,6\n"
        let set = try SeriesReader.read(text: text, path: "x.csv")
        #expect(set.step == 300)
        #expect(set.seasonality == Seasonality(day: 288, week: 2016))
        #expect(set.series.map(\.name) == ["a", "b"])
        #expect(set.series[1].values == [2, 4, 6])
        #expect(set.startTime == Double(Timestamp.daysFromCivil(year: 2004, month: 3, day: 1) * 86_400))
    }

    /// Seconds since the epoch in a `start` (or `date`, `datetime`) column are times, as in `time`
    /// and `timestamp`: an audit's epoch `start` column was read as no time, a series without steps.
    /// The bare index `t` stays an index.
    @Test(arguments: ["start", "date", "datetime", "time", "timestamp"])
    func epochSecondsInATimeColumnAreTimes(_ column: String) throws {
        let text = "t,\(column),a\n0,1700000000,1\n1,1700000300,2\n2,1700000600,3\n"
        let set = try SeriesReader.read(text: text, path: "x.csv")
        #expect(set.step == 300 && set.startTime == 1_700_000_000, "\(column)")
        let index = try SeriesReader.read(text: "t,a\n0,1\n1,2\n", path: "i.csv")
        #expect(index.step == nil && index.startTime == nil)
    }

    @Test func seasonLengthFollowsTheStep() {
        #expect(Seasonality(step: 3600) == Seasonality(day: 24, week: 168))
        #expect(Seasonality(step: 1) == Seasonality(day: 86_400, week: 604_800))
        #expect(Seasonality(step: 7) == Seasonality(day: nil, week: nil))
        #expect(Seasonality(step: nil) == Seasonality(day: nil, week: nil))
    }

    @Test func missingValuesDuplicatesAndGapsAreHandledAndCounted() throws {
        // 00:05 appears twice (averaged), 00:15 is absent (a gap), '-' and empty are missing.
        let text = """
        start,a,b
        2024-01-01T00:00,1,-
        2024-01-01T00:05,2,10
        2024-01-01T00:05,4,20
        2024-01-01T00:10,,30
        2024-01-01T00:20,7,40
        """
        let set = try SeriesReader.read(text: text, path: "gaps.csv")
        #expect(set.step == 300)
        #expect(set.report.rowsRead == 5)
        #expect(set.report.missingValues == 2)
        #expect(set.report.duplicateRows == 1)
        #expect(set.report.gapRows == 1)
        #expect(set.series[0] == Series(name: "a", values: [1, 3, .nan, .nan, 7]))
        #expect(set.series[1] == Series(name: "b", values: [.nan, 15, 30, .nan, 40]))
        // What train/evaluate print on stderr, over every file read.
        let both = SeriesLoadReport(combining: [set.report, set.report])
        #expect(both.summary(files: 2) == "read 2 files, 10 rows: 4 missing values, 2 duplicate rows averaged, 2 gap rows (missing)")
        #expect(SeriesLoadReport().summary(files: 1) == "read 1 file, 0 rows")
    }

    @Test func abileneSelfPairsAreLeftOutUnlessAsked() throws {
        let text = "t,start,od_0_0,od_0_1,od_1_0,od_1_1\n0,2004-03-01T00:00,1,2,3,4\n"
        let set = try SeriesReader.read(text: text, path: "od.csv")
        #expect(set.series.map(\.name) == ["od_0_1", "od_1_0"])
        #expect(set.report.skippedColumns == ["od_0_0", "od_1_1"])
        let all = try SeriesReader.read(text: text, path: "od.csv", options: SeriesReadOptions(includeSelfPairs: true))
        #expect(all.series.count == 4)
    }

    @Test("CSV follows RFC 4180: quoted commas, doubled quotes and line ends inside quotes are data")
    func rfc4180QuotedFields() throws {
        let text = "time,series,value\r\n0,\"cell, north\",1\r\n0,\"say \"\"hi\"\"\",2\n0,\"two\nlines\",3\n60,\"cell, north\",4\n"
        let set = try SeriesReader.read(text: text, path: "quoted.csv")
        #expect(set.series.map(\.name) == ["cell, north", "say \"hi\"", "two\nlines"])
        #expect(set.series[0].values == [1, 4])
        let csv = try CSVText(text: text, path: "quoted.csv")
        // A record's line is the file line it begins on; a quoted line end moves the next one on.
        let lines = try csv.allLines()
        #expect(lines.map(\.number) == [2, 3, 4, 6])
        #expect(lines[2].fields == ["0", "two\nlines", "3"])
    }

    @Test("A quote never closed is an error naming the line the field began on")
    func unterminatedQuoteNamesItsLine() {
        #expect(throws: SeriesInputError.unterminatedQuote(path: "open.csv", line: 3)) {
            try SeriesReader.read(text: "time,series,value\n0,a,1\n60,\"a,2\n120,a,3\n", path: "open.csv")
        }
        #expect(throws: SeriesInputError.badNumber(path: "bad.csv", line: 4, column: "a", text: "x")) {
            try SeriesReader.read(text: "t,a\n0,\"1\"\n\n1,x\n", path: "bad.csv")
        }
    }

    @Test func longCSV() throws {
        let text = "time,series,value\n0,a,1\n60,a,2\n0,b,5\n120,b,-\n120,a,3\n120,a,5\n"
        let set = try SeriesReader.read(text: text, path: "long.csv")
        #expect(set.step == 60)
        #expect(set.series[0] == Series(name: "a", values: [1, 2, 4]))
        #expect(set.series[1] == Series(name: "b", values: [5, .nan, .nan]))
        #expect(set.report.duplicateRows == 1)
        #expect(set.report.missingValues == 1)
        #expect(set.report.gapRows == 1)
    }

    @Test func radioLogOnAOneSecondGrid() throws {
        let header = "Timestamp,Longitude,Latitude,Speed,Operatorname,CellID,NetworkMode,RSRP,RSRQ,SNR,CQI,RSSI,DL_bitrate,UL_bitrate,State"
        let text = [header,
                    "2019.11.25_15.34.34,0,0,0,B,3,5G,-79,-12,10,8,-61,1000,3,D",
                    "2019.11.25_15.34.34,0,0,0,B,3,5G,-79,-12,10,10,-61,3000,3,D",
                    "2019.11.25_15.34.36,0,0,0,B,3,5G,-79,-12,10,-,-61,-,3,D",
                    "2019.11.25_15.34.37,0,0,0,B,3,5G,-79,-12,10,15,-61,500,3,D"].joined(separator: "\n")
        let dl = try SeriesReader.read(text: text, path: "B_trace.csv")
        #expect(dl.step == 1)
        let covariates = dl.series[0].covariates
        #expect(dl.series[0] == Series(name: "B_trace:dl", values: [2, .nan, .nan, 0.5],
                                       covariateNames: ["cqi", "rsrp", "snr", "rsrq", "state", "speed"], covariates: covariates))
        // Covariates on the same grid: duplicates averaged, gaps missing, fixed unit-ish maps.
        #expect(covariates.count == 6 && covariates.allSatisfy { $0.count == 4 })
        #expect(covariates[0][0] == 9.0 / 15 && covariates[0][1].isNaN && covariates[0][3] == 1)
        #expect(covariates[1][0] == 21.0 / 20 && covariates[4][0] == 1 && covariates[5][3] == 0)
        #expect(dl.report.duplicateRows == 1)
        #expect(dl.report.gapRows == 1)
        #expect(dl.report.missingValues == 1)
        let se = try SeriesReader.read(text: text, path: "B_trace.csv",
                                       options: SeriesReadOptions(radioTarget: .spectralEfficiency))
        #expect(se.radioTarget == .spectralEfficiency && dl.radioTarget == .downlinkBitrate)
        // --target se asked of files that are not radio logs: an error when none is, a warning when some are not.
        let wide = try SeriesReader.read(text: "t,a\n0,1\n1,2\n", path: "w.csv")
        #expect(wide.radioTarget == nil)
        #expect(SeriesReader.targetProblem(.spectralEfficiency, sets: [se]) == nil)
        #expect(SeriesReader.targetProblem(.downlinkBitrate, sets: [wide]) == nil)
        let none = try #require(SeriesReader.targetProblem(.spectralEfficiency, sets: [wide]))
        #expect(none.fatal && none.message.hasSuffix("w.csv is not one"))
        let some = try #require(SeriesReader.targetProblem(.spectralEfficiency, sets: [se, wide]))
        #expect(!some.fatal && some.message == "warning: --target se: 1 of 2 files are not radio KPI logs and are read as they are (w.csv)")
        #expect(se.series[0] == Series(name: "B_trace:se", values: [(1.9141 + 2.7305) / 2, .nan, .nan, 5.5547],
                                       covariateNames: se.series[0].covariateNames, covariates: se.series[0].covariates))
        // A radio KPI log without one value of the target (a 2G/3G-only log's CQI is '-' on every
        // row) is named: fatal alone, a warning beside logs that have some. It read as missing
        // values, and training alone said "0 usable samples".
        let dashes = "Timestamp,CQI,DL_bitrate\n" + (0..<5).map { "2020.01.01_10.00.0\($0),-,\(100 + $0)" }.joined(separator: "\n") + "\n"
        let noCQI = try SeriesReader.read(text: dashes, path: "G_2g.csv", options: SeriesReadOptions(radioTarget: .spectralEfficiency))
        let alone = try #require(SeriesReader.targetProblem(.spectralEfficiency, sets: [noCQI]))
        #expect(alone.fatal && alone.message == "G_2g.csv: no CQI value on any row (every one is '-' or empty); nothing to forecast --target se from")
        let beside = try #require(SeriesReader.targetProblem(.spectralEfficiency, sets: [se, noCQI]))
        #expect(!beside.fatal && beside.message == "warning: --target se: 1 of 2 radio KPI logs has no CQI value on any row "
                + "(every one is '-' or empty), and adds nothing (G_2g.csv)")
        let twice = try #require(SeriesReader.targetProblem(.spectralEfficiency, sets: [noCQI, noCQI]))
        #expect(twice.fatal && twice.message == "none of the 2 radio KPI logs has a CQI value; nothing to forecast --target se from")
        // Its DL_bitrate column is whole: --target dl reads it without a word.
        let rates = try SeriesReader.read(text: dashes, path: "G_2g.csv", options: SeriesReadOptions(radioTarget: .downlinkBitrate))
        #expect(SeriesReader.targetProblem(.downlinkBitrate, sets: [rates]) == nil)
    }

    /// Rows out of time order are put in order, and the summary says how many were moved (they
    /// were sorted without a word).
    @Test func rowsOutOfTimeOrderAreCounted() throws {
        let text = """
        start,a
        2024-01-01T00:10,3
        2024-01-01T00:00,1
        2024-01-01T00:05,2
        2024-01-01T00:15,4
        """
        let set = try SeriesReader.read(text: text, path: "backwards.csv")
        #expect(set.series[0] == Series(name: "a", values: [1, 2, 3, 4]))
        #expect(set.report.outOfOrderRows == 1)
        #expect(set.report.summary(files: 1) == "read 1 file, 4 rows: 1 row out of time order, sorted")
    }

    @Test func windowsJSONLinesGiveBytesPerSecondPerCellAndLink() throws {
        let text = [
            windowLine(start: 0, kind: "cell", id: "c1", up: 100, down: 900),
            windowLine(start: 0, kind: "link", id: "l1", up: 50, down: 50),
            windowLine(start: 10, kind: "cell", id: "c1", up: 0, down: 200),
        ].joined(separator: "\n")
        let set = try SeriesReader.read(text: text, path: "windows.jsonl")
        #expect(set.step == 10)
        #expect(set.series == [Series(name: "cell:c1", values: [100, 20]), Series(name: "link:l1", values: [10, 0])])
    }

    /// A window that reads low is a missing value, as the planner treats it, not a quiet one:
    /// observed only from inside it (a live run's first), with packets dropped before capture, or
    /// cut short by the capture's end (partial). Training read them as traffic until 5 December 2026.
    @Test func windowsThatReadLowAreMissing() throws {
        let text = [
            windowLine(start: 0, id: "c1", up: 100, down: 0, extra: #","observedFrom":7.5"#),
            windowLine(start: 10, id: "c1", up: 100, down: 900, extra: #","droppedBeforeCapture":12"#),
            windowLine(start: 20, id: "c1", up: 100, down: 900),
            windowLine(start: 30, id: "c1", up: 10, down: 0).replacingOccurrences(of: #""partial":false"#, with: #""partial":true"#),
        ].joined(separator: "\n")
        let set = try SeriesReader.read(text: text, path: "windows.jsonl")
        #expect(set.series == [Series(name: "cell:c1", values: [.nan, .nan, 100, .nan])])
    }

    /// One value of 1e160 or more hung `train` (the ridge fit's matrix overflowed and never
    /// factored) and wrote inf and nan into `evaluate --forecasts`: series values are bounded at
    /// 1e15 in magnitude, as a model file's are, and the error names file, line and column.
    @Test func seriesValuesBeyondTheBoundNameTheirCell() throws {
        let expected = "a series value is at most 1e15 in magnitude, docs/limits.md"
        for (text, path, line, column, value) in [("t,a,b\n0,1,2\n1,3,1e300\n", "w.csv", 3, "b", "1e300"),
                                                  ("t,a,b\n0,1,-1.7976931348623157e308\n", "w.csv", 2, "b", "-1.7976931348623157e308"),
                                                  ("time,series,value\n0,a,1\n0,a,1e16\n", "l.csv", 3, "value", "1e16")] {
            #expect(throws: SeriesInputError.outOfRange(path: path, line: line, column: column, text: value, expected: expected)) {
                try SeriesReader.read(text: text, path: path)
            }
        }
        #expect(SeriesInputError.outOfRange(path: "w.csv", line: 3, column: "b", text: "1e300", expected: expected).description
                == "w.csv:3: column 'b': 1e300 is out of range (a series value is at most 1e15 in magnitude, docs/limits.md)")
        let edge = try SeriesReader.read(text: "t,a\n0,1e15\n1,-1e15\n", path: "w.csv")
        #expect(edge.series[0].values == [1e15, -1e15])
    }

    /// A radio KPI beside the target (RSRP, SNR, …) that no logger writes (1e300; Android's
    /// 2147483647 for "unknown") is missing, not a number that trains another model, and counted.
    @Test func radioCovariatesOutOfRangeAreMissingAndCounted() throws {
        let text = ["Timestamp,CQI,DL_bitrate,RSRP,SNR,Speed",
                    "2020.01.01_00.00.00,7,100,-90,10,30",
                    "2020.01.01_00.00.01,7,100,1e300,10,30",
                    "2020.01.01_00.00.02,7,100,-90,2147483647,-",
                    "2020.01.01_00.00.03,7,100,-200,-30,89"].joined(separator: "\n")
        let set = try SeriesReader.read(text: text, path: "log.csv")
        let c = set.series[0].covariates, names = set.series[0].covariateNames
        let rsrp = try #require(names.firstIndex(of: "rsrp")), snr = try #require(names.firstIndex(of: "snr"))
        #expect(c[rsrp][0] == 0.5 && c[rsrp][1].isNaN && c[rsrp][3] == -5)
        #expect(c[snr][2].isNaN && c[snr][3] == -3)
        #expect(set.report.covariatesOutOfRange == 2 && set.report.missingValues == 0)
        #expect(set.report.summary(files: 1) == "read 1 file, 4 rows: 2 radio KPI values beside the target out of range (missing)")
    }

    @Test func badNumberNamesFileLineAndColumn() {
        #expect(throws: SeriesInputError.badNumber(path: "bad.csv", line: 3, column: "a", text: "x1")) {
            try SeriesReader.read(text: "t,a\n0,1\n1,x1\n", path: "bad.csv")
        }
        let error = SeriesInputError.badNumber(path: "bad.csv", line: 3, column: "a", text: "x1")
        #expect(error.description == "bad.csv:3: column 'a': 'x1' is not a number")
    }

    /// Swift's Double(_:) reads "0x10" as 16: a hexadecimal cell is refused as any non-number.
    @Test(arguments: ["0x10", "0X1p3", "-0x2"]) func hexadecimalIsNotANumber(_ text: String) {
        #expect(throws: SeriesInputError.badNumber(path: "hex.csv", line: 3, column: "a", text: text)) {
            try SeriesReader.read(text: "t,a\n0,1\n1,\(text)\n", path: "hex.csv")
        }
    }

    /// A file cut inside its last number ("…,3456" cut to "…,34") reads as a smaller value: a last
    /// line without a line end is named (a finished file), or left out (a log still being written).
    @Test func aLastLineWithoutItsLineEndIsNamedOrLeftOut() throws {
        let whole = "t,a\n0,1\n1,2\n2,3456\n"
        #expect(try SeriesReader.read(text: whole, path: "w.csv").cutWarning == nil)
        let cut = try SeriesReader.read(text: String(whole.dropLast(3)), path: "w.csv")
        #expect(cut.report.unterminatedLastLine == 4)
        #expect(cut.series[0].values == [1, 2, 34])
        #expect(cut.cutWarning == "warning: w.csv:4: the last line has no line end, as when a file is cut short or still being written; "
            + "its values were read as they stand (check the last one)")
        // A radio KPI log the planner reads while a logger appends: the half-written row is not read.
        let header = "Timestamp,CQI,DL_bitrate\n"
        let log = header + "2019.11.25_15.34.34,8,1000\n2019.11.25_15.34.35,9,2000\n2019.11.25_15.34.36,1"
        let growing = try SeriesReader.read(text: log, path: "cell.csv", options: SeriesReadOptions(growingLog: true))
        #expect(growing.series[0].values == [1, 2] && growing.report.unterminatedLastLine == nil)
        #expect(throws: SeriesInputError.unknownFormat(path: "cell.csv", reason: "line 1 is not finished (no line end yet)")) {
            try SeriesReader.read(text: "Timestamp,CQI,DL_b", path: "cell.csv", options: SeriesReadOptions(growingLog: true))
        }
    }

    /// A semicolon-separated export (a spreadsheet with a decimal comma) is named as such.
    @Test func semicolonsAreNamed() {
        #expect(throws: SeriesInputError.unknownFormat(path: "s.csv", reason: "line 1 has no commas but has semicolons: series files are "
            + "comma-separated (save as CSV with ',' between fields and '.' as the decimal point)")) {
            try SeriesReader.read(text: "t;a\n0;1,5\n", path: "s.csv")
        }
        #expect(throws: SeriesInputError.unknownFormat(path: "x.csv", reason: "line 1: no time column (date, datetime, start, t, time, timestamp) "
            + "or radio KPI header (Timestamp, CQI, DL_bitrate)")) {
            try SeriesReader.read(text: "a,b\n0,1\n", path: "x.csv")
        }
    }

    /// A CQI outside 0–15 is a number, just not a CQI: it was reported as "'99' is not a number".
    @Test(arguments: ["99", "-3"]) func aCQIOutOfRangeSaysSo(_ cqi: String) {
        let text = "Timestamp,CQI,DL_bitrate\n2020.01.01_00.00.00,7,100\n2020.01.01_00.00.01,\(cqi),100\n"
        #expect(throws: SeriesInputError.outOfRange(path: "log.csv", line: 3, column: "CQI", text: cqi, expected: "a CQI is 0 to 15")) {
            try SeriesReader.read(text: text, path: "log.csv", options: SeriesReadOptions(radioTarget: .spectralEfficiency))
        }
        #expect(SeriesInputError.outOfRange(path: "log.csv", line: 3, column: "CQI", text: cqi, expected: "a CQI is 0 to 15").description
                == "log.csv:3: column 'CQI': \(cqi) is out of range (a CQI is 0 to 15)")
    }

    /// A downlink rate below 0 or beyond 1 Tbit/s is no cell's: train and evaluate read them as
    /// traffic, where the spectrum backtest refused the same log.
    @Test(arguments: ["-500", "1e12"]) func aDownlinkBitrateOutOfRangeSaysSo(_ rate: String) {
        let text = "Timestamp,CQI,DL_bitrate\n2020.01.01_00.00.00,7,100\n2020.01.01_00.00.01,7,\(rate)\n"
        #expect(throws: SeriesInputError.outOfRange(path: "log.csv", line: 3, column: "DL_bitrate", text: rate,
                                                     expected: "a downlink bitrate is 0 to 1,000,000,000 kbit/s")) {
            try SeriesReader.read(text: text, path: "log.csv", options: SeriesReadOptions(radioTarget: .downlinkBitrate))
        }
    }

    /// Two value columns of one name would be two series whose forecasts and scores cannot be
    /// told apart, an unnamed one a series with no name, and a second `Timestamp` of a radio log
    /// was ignored without a word: each is refused at the header, naming the columns. Columns a
    /// reader does not take may repeat or be unnamed.
    @Test func columnsThatCannotBeToldApartAreRefused() throws {
        #expect(throws: SeriesInputError.badHeader(path: "w.csv", line: 1, reason: "columns 2 and 4 are both named 'a'")) {
            try SeriesReader.read(text: "t,a,b,a\n0,1,2,3\n", path: "w.csv")
        }
        #expect(throws: SeriesInputError.badHeader(path: "w.csv", line: 2, reason: "column 1 has no name")) {
            try SeriesReader.read(text: "\n,t,a\n0,0,1\n", path: "w.csv")
        }
        #expect(SeriesInputError.badHeader(path: "w.csv", line: 1, reason: "column 1 has no name").description == "w.csv:1: column 1 has no name")
        // A value column named T beside t was a second time column, its values dropped.
        #expect(throws: SeriesInputError.badHeader(path: "w.csv", line: 1, reason:
                    "columns 1 and 3 ('t' and 'T') are both the time column 't' (time column names are read in any case)")) {
            try SeriesReader.read(text: "t,a,T\n0,1,2\n", path: "w.csv")
        }
        let radio = "Timestamp,CQI,DL_bitrate,Timestamp\n2020.01.01_00.00.00,7,100,2020.01.01_00.00.00\n"
        #expect(throws: SeriesInputError.badHeader(path: "log.csv", line: 1, reason: "columns 1 and 4 are both named 'Timestamp'")) {
            try SeriesReader.read(text: radio, path: "log.csv", options: SeriesReadOptions(radioTarget: .downlinkBitrate))
        }
        // An unnamed index column and a repeated column the radio reader does not take are fine.
        let extra = ",Timestamp,CQI,DL_bitrate,Operatorname,Operatorname\n0,2020.01.01_00.00.00,7,100,A,A\n1,2020.01.01_00.00.01,7,200,A,A\n"
        let set = try SeriesReader.read(text: extra, path: "log.csv", options: SeriesReadOptions(radioTarget: .downlinkBitrate))
        #expect(set.series.first?.values.count == 2)
    }

    @Test func wrongFieldCountAndMissingFile() {
        #expect(throws: SeriesInputError.wrongFieldCount(path: "f.csv", line: 2, expected: 3, found: 2)) {
            try SeriesReader.read(text: "t,a,b\n0,1\n", path: "f.csv")
        }
        #expect(throws: SeriesInputError.fileNotFound(path: "/no/such/file.csv")) {
            try SeriesReader.read(file: URL(fileURLWithPath: "/no/such/file.csv"))
        }
        // A folder where a file was named is there: said so, not "no such file or folder".
        let folder = Scratch.root.path
        #expect(throws: SeriesInputError.unreadable(path: folder, reason: "is a folder, not a series file")) {
            try SeriesReader.read(file: URL(fileURLWithPath: folder))
        }
        // Where on the line, and why.
        #expect(throws: SeriesInputError.badLine(FormatReadError(path: "w.jsonl", line: 2,
                                                                 problem: .invalidJSON("at column 2: expected a key in double quotes, found 'o'")))) {
            try SeriesReader.read(text: windowLine(start: 0, duration: 1, id: "a", up: 1, down: 0) + "\n{oops\n", path: "w.jsonl")
        }
        // Valid JSON with a count no UInt64 holds: the field is named, not "unparseable line"
        // (Foundation's decoder calls it invalid JSON, with no field).
        let first = windowLine(start: 0, duration: 1, id: "a", up: 1, down: 0)
        for bad in ["1e300", "18446744073709551616", "-1", "1.5"] {
            let line = first.replacingOccurrences(of: #""bytesUp":1,"#, with: #""bytesUp":\#(bad),"#)
            #expect(throws: SeriesInputError.badLine(FormatReadError(path: "w.jsonl", line: 2, problem: .badNumber(field: "bytesUp")))) {
                try SeriesReader.read(text: first + "\n" + line + "\n", path: "w.jsonl")
            }
        }
        let message = FormatReadError(path: "w.jsonl", line: 2, problem: .badNumber(field: "bytesUp")).description
        #expect(message == #"w.jsonl:2: bad value for "bytesUp": a number out of range, or not whole where a count is"#)
    }
}

@Suite struct SeriesLineEndTests {
    /// The bundled Abilene OD matrix (real data), its first rows as written and as a Windows export
    /// would write them: CRLF line ends and a byte-order mark. Both must read the same.
    @Test func crlfAndByteOrderMarkReadLikeTheOriginal() throws {
        let url = Fixtures.repositoryRoot.appendingPathComponent("data/abilene/od_tm_public.csv")
        let text = try String(contentsOf: url, encoding: .utf8)
        let head = text.split(separator: "\n", omittingEmptySubsequences: false).prefix(301).joined(separator: "\n") + "\n"
        let original = try SeriesReader.read(text: head, path: "od.csv")
        #expect(original.series.count == 132 && original.series[0].values.count == 300)
        let windows = "\u{FEFF}" + head.replacingOccurrences(of: "\n", with: "\r\n")
        let converted = try SeriesReader.read(text: windows, path: "od.csv")
        #expect(converted.series == original.series)
        #expect(converted.step == original.step && converted.startTime == original.startTime)
        #expect(converted.report.rowsRead == 300)
    }

    @Test func crlfLongCSVAndWindowsLines() throws {
        let long = try SeriesReader.read(text: "time,series,value\r\n0,a,1\r\n60,a,2\r\n\r\n120,a,\r\n", path: "long.csv")
        #expect(long.series == [Series(name: "a", values: [1, 2, .nan])])
        let jsonl = windowLine(start: 0, id: "c1", up: 100, down: 0) + "\r\n" + windowLine(start: 10, id: "c1", up: 0, down: 300) + "\r\n"
        let windows = try SeriesReader.read(text: jsonl, path: "windows.jsonl")
        #expect(windows.series == [Series(name: "cell:c1", values: [10, 30])])
        // Line numbers stay file lines with CRLF ends.
        #expect(throws: SeriesInputError.badNumber(path: "bad.csv", line: 3, column: "a", text: "x1")) {
            try SeriesReader.read(text: "t,a\r\n0,1\r\n1,x1\r\n", path: "bad.csv")
        }
    }
}

/// One windows.jsonl line as `flowcast replay` writes it (`WindowLine`, keys in the written order).
func windowLine(start: Int, duration: Int = 10, kind: String = "cell", id: String, up: Int, down: Int,
                extra: String = "") -> String {
    #"{"kind":"\#(kind)","id":"\#(id)","start":\#(start),"duration":\#(duration),"partial":false,"bytesUp":\#(up),"#
        + #""bytesDown":\#(down),"packetsUp":1,"packetsDown":1,"activeFlows":1,"newFlows":1,"retransmissions":0,"#
        + #""zeroWindows":0,"decodeIssues":0,"sizeHistogram":[2,0,0,0,0,0,0]\#(extra)}"#
}

@Suite struct WindowsFormatTests {
    /// No writer of windows.jsonl ever wrote these spellings (replay's first version wrote today's
    /// keys, in seconds); the reader once guessed them. Each is now an error naming file and line.
    @Test(arguments: [
        (#"{"start":0,"duration":10,"kind":"cell","id":"c1","bytes_up":1,"bytes_down":2}"#, "missing \"partial\""),
        (#"{"start":0,"duration":10,"kind":"cell","id":"c1","bytes":{"up":1,"down":2}}"#, "missing \"partial\""),
        (windowLine(start: 0, id: "c1", up: 1, down: 2).replacingOccurrences(of: #""start":0"#, with: #""start":"1970-01-01T00:00:00Z""#),
         "bad value for \"start\""),
        (windowLine(start: 0, id: "c1", up: 1, down: 2).replacingOccurrences(of: #""bytesUp":1"#, with: #""bytes_up":1"#),
         "missing \"bytesUp\""),
    ])
    func otherSpellingsAreRefused(line: String, reason: String) {
        let text = windowLine(start: 0, id: "c0", up: 1, down: 1) + "\n" + line + "\n"
        #expect(throws: SeriesInputError.self) { try SeriesReader.read(text: text, path: "w.jsonl") }
        do {
            _ = try SeriesReader.read(text: text, path: "w.jsonl")
        } catch {
            #expect("\(error)" == "w.jsonl:2: \(reason)")
        }
    }

    @Test func anUnknownFormatVersionNamesFileAndLine() {
        let text = windowLine(start: 0, id: "c1", up: 1, down: 1, extra: #","formatVersion":1"#) + "\n"
            + windowLine(start: 10, id: "c1", up: 1, down: 1, extra: #","formatVersion":2"#) + "\n"
        let expected = SeriesInputError.badLine(FormatReadError(path: "w.jsonl", line: 2,
                                                                problem: .unsupportedVersion(found: 2, supported: 1)))
        #expect(throws: expected) { try SeriesReader.read(text: text, path: "w.jsonl") }
        #expect(expected.description == "w.jsonl:2: formatVersion 2 is not supported (this flowcast reads version 1)")
    }

    /// Times are seconds: a start in milliseconds is not divided down. It is beyond any capture's
    /// time (2e10 s, `WindowLine.maximumTime`), so the line is refused naming the field.
    @Test func noUnitIsGuessed() throws {
        #expect(throws: SeriesInputError.badLine(FormatReadError(path: "w.jsonl", line: 1, problem: .badValue(field: "start")))) {
            try SeriesReader.read(text: windowLine(start: 1_700_000_000_000, id: "c1", up: 100, down: 0), path: "w.jsonl")
        }
        let set = try SeriesReader.read(text: windowLine(start: 20_000_000_000, id: "c1", up: 100, down: 0), path: "w.jsonl")
        #expect(set.startTime == 20_000_000_000)
        #expect(set.series == [Series(name: "cell:c1", values: [10])])
    }
}


/// The byte-wise timestamp parser (ASCII text) reads exactly what the Character-wise one does:
/// the formats series files use, and random text over the characters that matter to it.
@Test func asciiTimestampsParseAsTheCharacterParserDoes() {
    let known = ["2019.11.25_15.34.34", "2004-03-01T00:05", "2004-03-01T00:05:07Z", "2004-03-01 00:05:07.250",
                 "2004-03-01T00:05:07+02:00", "2004-03-01T00:05:07-05", "2019.11.25_15.34.34.5", "1899-12-31T00:00",
                 "2004-13-01T00:00", "2004-03-01T24:00", "2004-03-01T00:05:07:08", "1234567890-01-01T00:00", "2004.3.1.0.5\r"]
    var rng = SystemRandomNumberGenerator()
    // "\r\n" in one literal is one Character: the lone ones are added apart.
    let alphabet: [Character] = Array("0123456789012345678901234567890123456789..--+_:TZ \t") + ["\r", "\n", "\r\n"]
    var texts = known
    for _ in 0..<10_000 {
        texts.append(String((0..<Int.random(in: 1...26, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }))
        // Near misses: a known form with one to three characters replaced, inserted or removed.
        var mutated = Array(known.randomElement(using: &rng)!)
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let at = Int.random(in: 0..<mutated.count, using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: mutated[at] = alphabet.randomElement(using: &rng)!
            case 1: mutated.insert(alphabet.randomElement(using: &rng)!, at: at)
            default: if mutated.count > 1 { mutated.remove(at: at) }
            }
        }
        texts.append(String(mutated))
    }
    var parsed = 0
    for text in texts {
        let bytes = Timestamp.parseASCII(text.utf8), characters = Timestamp.parseCharacters(text)
        #expect(bytes == characters, "\(text.debugDescription): \(String(describing: bytes)) against \(String(describing: characters))")
        // And `parse` (which trims spaces, tabs and carriage returns, and reads plain numbers
        // first) as it did before it read bytes.
        let trimmed = text.trimmingSpaces
        let before = trimmed.isEmpty ? nil : (Double(trimmed).flatMap { $0.isFinite ? $0 : nil } ?? Timestamp.parseCharacters(trimmed))
        #expect(Timestamp.parse(" \t" + text + "\r ") == before, "\(text.debugDescription)")
        if characters != nil { parsed += 1 }
    }
    #expect(parsed > 2_000, "\(parsed) of \(texts.count) parsed")
    #expect(Timestamp.parse("2019.11.25_15.34.34") == 1_574_696_074)
    // Days within their month; leap years by the Gregorian rule.
    #expect(Timestamp.parse("2019-02-29T00:00") == nil && Timestamp.parse("2019-04-31T00:00") == nil)
    #expect(Timestamp.parse("2019.02.31_12.00.00") == nil && Timestamp.parse("1900-02-29T00:00") == nil)
    #expect(Timestamp.parse("2020-02-29T00:00") == 1_582_934_400 && Timestamp.parse("2000-02-29T00:00") == 951_782_400)
    #expect(Timestamp.parse("2019-12-31T23:59:60") == 1_577_836_800)
}

/// A row far from its grid slot is put on the nearest step and counted (it was snapped without a
/// word): 12:00:07 on a 10 s grid from 12:00:00 is 0.7 of a step from one slot, 0.3 from the next.
@Test func rowsOffTheTimeGridAreCounted() throws {
    let wide = try SeriesReader.read(text: "time,a\n0,1\n10,2\n20,3\n27,4\n40,5\n41,6\n", path: "w.csv")
    #expect(wide.step == 10)
    #expect(wide.report.offGridRows == 1)  // 27 (0.7 of a step past 20); 41 is 0.1 from 40
    #expect(wide.report.summary(files: 1).contains("1 row more than a quarter step off the time grid, put on the nearest step"))
    let long = try SeriesReader.read(text: "time,series,value\n0,a,1\n10,a,2\n24,a,3\n30,a,4\n", path: "l.csv")
    #expect(long.report.offGridRows == 1)
}
