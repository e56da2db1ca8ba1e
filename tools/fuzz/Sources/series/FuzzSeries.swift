// Fuzz target: the series readers (wide and long CSV, windows.jsonl, radio KPI logs). Input: the
// file's text; the reader is chosen from the header as for a `.csv` file (a windows.jsonl line
// starts with `{`, which selects that reader). Radio logs are read for both targets.
import FlowcastModel
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    Fuzz.run(data, size) { bytes in
        let text = Fuzz.text(bytes)
        guard let set = try? SeriesReader.read(text: text, path: "series.csv") else { return }
        _ = set.time(ofRow: 0)
        if text.contains("CQI") {
            _ = try? SeriesReader.read(text: text, path: "series.csv",
                                       options: SeriesReadOptions(radioTarget: .spectralEfficiency, cqiTable: .table2))
        }
    }
}
