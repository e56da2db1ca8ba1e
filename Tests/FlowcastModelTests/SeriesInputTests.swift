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
        #expect(csv.lines.map(\.number) == [2, 3, 4, 6])
        #expect(csv.lines[2].fields == ["0", "two\nlines", "3"])
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
    }

    @Test func windowsJSONLinesGiveBytesPerSecondPerCellAndLink() throws {
        let text = """
        {"start": 0, "duration": 10, "kind": "cell", "id": "c1", "bytesUp": 100, "bytesDown": 900}
        {"start": 0, "duration": 10, "kind": "link", "id": "l1", "bytes": {"up": 50, "down": 50}}
        {"start": 10, "duration": 10, "kind": "cell", "id": "c1", "bytes_up": 0, "bytes_down": 200}
        """
        let set = try SeriesReader.read(text: text, path: "windows.jsonl")
        #expect(set.step == 10)
        #expect(set.series == [Series(name: "cell:c1", values: [100, 20]), Series(name: "link:l1", values: [10, 0])])
    }

    @Test func badNumberNamesFileLineAndColumn() {
        #expect(throws: SeriesInputError.badNumber(path: "bad.csv", line: 3, column: "a", text: "x1")) {
            try SeriesReader.read(text: "t,a\n0,1\n1,x1\n", path: "bad.csv")
        }
        let error = SeriesInputError.badNumber(path: "bad.csv", line: 3, column: "a", text: "x1")
        #expect(error.description == "bad.csv:3: column 'a': 'x1' is not a number")
    }

    @Test func wrongFieldCountAndMissingFile() {
        #expect(throws: SeriesInputError.wrongFieldCount(path: "f.csv", line: 2, expected: 3, found: 2)) {
            try SeriesReader.read(text: "t,a,b\n0,1\n", path: "f.csv")
        }
        #expect(throws: SeriesInputError.fileNotFound(path: "/no/such/file.csv")) {
            try SeriesReader.read(file: URL(fileURLWithPath: "/no/such/file.csv"))
        }
        #expect(throws: SeriesInputError.badJSON(path: "w.jsonl", line: 2, reason: "unparseable line")) {
            try SeriesReader.read(text: "{\"start\":0,\"duration\":1,\"id\":\"a\",\"bytes\":1}\n{oops\n", path: "w.jsonl")
        }
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
        let jsonl = "{\"start\": 0, \"duration\": 10, \"kind\": \"cell\", \"id\": \"c1\", \"bytes\": 100}\r\n"
            + "{\"start\": 10, \"duration\": 10, \"kind\": \"cell\", \"id\": \"c1\", \"bytes\": 300}\r\n"
        let windows = try SeriesReader.read(text: jsonl, path: "windows.jsonl")
        #expect(windows.series == [Series(name: "cell:c1", values: [10, 30])])
        // Line numbers stay file lines with CRLF ends.
        #expect(throws: SeriesInputError.badNumber(path: "bad.csv", line: 3, column: "a", text: "x1")) {
            try SeriesReader.read(text: "t,a\r\n0,1\r\n1,x1\r\n", path: "bad.csv")
        }
    }
}
