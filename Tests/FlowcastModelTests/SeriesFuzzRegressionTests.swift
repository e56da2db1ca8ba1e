@testable import FlowcastModel
import FlowcastTestSupport
import Foundation
import Testing

/// Inputs the series fuzz target (tools/fuzz) found, each read as the target read it.
@Suite struct SeriesFuzzRegressionTests {
    func regression(_ name: String) throws -> String {
        let url = Fixtures.repositoryRoot.appendingPathComponent("tools/fuzz/regressions/series/\(name)")
        return String(decoding: try Data(contentsOf: url), as: UTF8.self)
    }

    func gridError(_ text: String, path: String = "series.csv") -> SeriesInputError? {
        do {
            _ = try SeriesReader.read(text: text, path: path)
            return nil
        } catch {
            return error
        }
    }

    /// windows.jsonl whose 15th line starts 391 days before the others: a 3.4 million-row grid
    /// per series took seconds (a libFuzzer timeout); now refused at once, saying why.
    @Test func windowsFarApartAreRefused() throws {
        let error = try #require(gridError(try regression("timeout-windows-391-days-apart")))
        guard case .badTimeGrid(let path, let line, let reason) = error else { Issue.record("\(error)"); return }
        #expect(path == "series.csv")
        #expect(reason.contains("more than the 1000000 cells allowed"))
        // The window far off is named by its line.
        #expect(line == 15, "\(error)")
        #expect(reason.hasPrefix("time 1733818005 (2024-12-10 08:06:45 UTC) is 391 days from the file's median time, "
                                 + "1767636020 (2026-01-05 18:00:20 UTC): the grid from it to 1767636040 (2026-01-05 18:00:40 UTC) "
                                 + "at a step of 10.0 s would be 3381805 rows × 9 columns"), "\(reason)")
    }

    /// A long CSV whose times lie 1e302 s apart: naming how far off the far one is converted that
    /// to Int and trapped (found by fuzzing the day the message was written). Now refused, saying so.
    @Test func aTimeFarBeyondIntIsNamedNotATrap() throws {
        let error = try #require(gridError(try regression("crash-far-time-duration-beyond-int")))
        guard case .badTimeGrid(_, _, let reason) = error else { Issue.record("\(error)"); return }
        #expect(reason.contains(" years from the file's median time"), "\(reason)")
        #expect(TimeGrid.describe(duration: 1e300).hasSuffix(" years") && TimeGrid.describe(duration: 5) == "5 s")
    }

    /// The time far from the rest is named by its file line and date, whichever end of the file's
    /// time range it is at and whichever row of the file it is on.
    @Test func theTimeFarOffIsNamedByItsLine() {
        // A radio log with a row from 1999 among rows from 2019, third of five.
        let radio = ["Timestamp,CQI,DL_bitrate", "2019.11.25_15.34.34,9,500", "2019.11.25_15.34.35,9,500",
                     "1999.11.25_15.34.36,9,500", "2019.11.25_15.34.37,9,500", "2019.11.25_15.34.38,9,500"].joined(separator: "\n")
        let error = gridError(radio, path: "log.csv").map { "\($0)" } ?? ""
        #expect(error.hasPrefix("log.csv:4: time 943544076 (1999-11-25 15:34:36 UTC) is 20 years from the file's median time, "
                                + "1574696075 (2019-11-25 15:34:35 UTC): the grid from it to 1574696078 (2019-11-25 15:34:38 UTC) at a step of 1.0 s"), "\(error)")
        // A wide CSV whose far time is the last, after blank lines.
        let wide = "time,a\n\n0,1\n1,2\n\n2,3\n99999999999,3\n"
        #expect(gridError(wide).map { "\($0)" }?.hasPrefix("series.csv:7: time 99999999999 is 3169 years from the file's median time, 2 (1970-01-01 00:00:02 UTC)") == true, "\(gridError(wide).map { "\($0)" } ?? "")")
        // Long CSV: the line of the first observation at that time.
        let long = "time,series,value\n1000000000,a,3\n0,a,1\n10,a,2\n1000000000,b,3\n"
        #expect(gridError(long).map { "\($0)" }?.hasPrefix("series.csv:2: time 1000000000 (2001-09-09 01:46:40 UTC) is 32 years") == true,
                "\(gridError(long).map { "\($0)" } ?? "")")
    }

    /// A radio KPI log whose G-NetTrack timestamp has a 90-digit seconds field: parsing it
    /// overflowed an Int and trapped. Now such a field is no timestamp, and the row is refused.
    @Test func timestampFieldOverflowIsNotATimestamp() throws {
        let text = try regression("crash-timestamp-field-overflow")
        #expect(text.contains("2019.11.25_15.34.3455555"))
        _ = try? SeriesReader.read(text: text, path: "radio.csv")  // must return, not trap
        let long = "2019.11.25_15.34." + String(repeating: "5", count: 90)
        let log = "Timestamp,CQI,DL_bitrate\n\(long),10,500\n"
        _ = try? SeriesReader.read(text: log, path: "radio.csv")
    }

    /// A radio KPI log whose CQI field has 115 digits: turning its efficiency into a CQI index
    /// converted 1.3e114 to Int and trapped. A logged CQI outside 0–15 has no efficiency.
    @Test func cqiBeyondIntHasNoEfficiency() throws {
        let text = try regression("crash-cqi-beyond-int")
        _ = try? SeriesReader.read(text: text, path: "radio.csv")  // must return, not trap
        let log = "Timestamp,CQI,DL_bitrate\n2019.11.25_15.34.34,1\(String(repeating: "3", count: 114)),500\n2019.11.25_15.34.35,9,500\n"
        _ = try? SeriesReader.read(text: log, path: "radio.csv")
        for cqi in [1e300, -1e300, 15.5, -0.5, 16, .infinity, .nan] {
            #expect(SpectralEfficiency.bitsPerSecondPerHertz(loggedCQI: cqi) == nil, "\(cqi)")
        }
        #expect(SpectralEfficiency.bitsPerSecondPerHertz(loggedCQI: 15.4) == SpectralEfficiency.bitsPerSecondPerHertz(cqi: 15))
        #expect(SpectralEfficiency.bitsPerSecondPerHertz(loggedCQI: -0.4) == 0)
    }

    @Test func longCSVFarApartIsRefused() {
        let text = "time,series,value\n0,a,1\n10,a,2\n1000000000,a,3\n"
        #expect(gridError(text).map { "\($0)" }?.contains("cells allowed") == true)
    }

    @Test func wideCSVFarApartIsRefused() {
        let text = "time,a\n0,1\n1,2\n99999999999,3\n"
        #expect(gridError(text).map { "\($0)" }?.contains("cells allowed") == true)
    }

    /// Times a few microseconds apart once made a step of 0 and a grid of infinitely many rows
    /// (a trap converting infinity to Int); such differences are no step.
    @Test func subMillisecondDifferencesAreNoStep() throws {
        let set = try SeriesReader.read(text: "time,series,value\n0,a,1\n0.0001,a,2\n", path: "series.csv")
        #expect(set.step == 1)
    }

    @Test func infiniteTimeIsRefused() {
        let text = "time,series,value\n0,a,1\ninf,a,2\n"
        let error = gridError(text)
        if case .badTimeGrid = error { return }
        if case .badTimestamp = error { return }
        Issue.record("expected a time error, got \(String(describing: error))")
    }

    /// A grid as large as real data stays within the bound (Abilene: 48,384 rows × 144 series).
    @Test func denseLargeGridIsRead() throws {
        var text = "t,a,b\n"
        for row in 0..<20_000 { text += "\(row),\(row),1\n" }
        let set = try SeriesReader.read(text: text, path: "series.csv")
        #expect(set.rowCount == 20_000)
    }
}
