import FlowcastModel
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

    /// windows.jsonl whose last line starts 39 years before the others: a 3.4 million-row grid
    /// per series took seconds (a libFuzzer timeout); now refused at once, saying why.
    @Test func windowsFarApartAreRefused() throws {
        let error = try #require(gridError(try regression("timeout-windows-39-years-apart")))
        guard case .badTimeGrid(let path, let reason) = error else { Issue.record("\(error)"); return }
        #expect(path == "series.csv")
        #expect(reason.contains("more than the 1000000 cells allowed"))
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
