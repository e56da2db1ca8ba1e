public import Foundation

/// Interval models trained on the demo capture (captures/demo) for the planners' tests: `demand`
/// from `train --horizon` on the windows of a plain replay of the capture, `efficiency` from
/// `train --target se --horizon` on the six radio KPI logs; both linear only (`--trees 0`, fast).
public struct DemoIntervalModels: Sendable {
    public let demand: String
    public let efficiency: String
    /// The windows.jsonl they were trained from (`replay` of the whole capture, 10 s windows).
    public let windows: String

    /// `efficiency: false` trains no efficiency model (`efficiency` is then empty): the radio
    /// logs' 1 s rows are longer than a sub-second horizon.
    public init(in folder: URL, horizon: String = "60s", window: String? = nil, efficiency trainEfficiency: Bool = true) throws {
        let replayed = folder.appendingPathComponent("demo-windows").path
        let replay = try Fixtures.runFlowcast(["replay", "captures/demo/demo.pcapng", "--topology", "captures/demo/topology.yaml",
                                               "--out", replayed, "--quiet"] + (window.map { ["--window", $0] } ?? []))
        guard replay.status == 0 else { throw FixtureError("replay of the demo failed: \(replay.stderr)") }
        windows = replayed + "/windows.jsonl"
        demand = folder.appendingPathComponent("demand-\(horizon).json").path
        let train = try Fixtures.runFlowcast(["train", "--series", windows, "--horizon", horizon, "--trees", "0", "--out", demand])
        guard train.status == 0 else { throw FixtureError("train --horizon failed: \(train.stderr)") }
        guard trainEfficiency else { efficiency = ""; return }
        efficiency = folder.appendingPathComponent("se-\(horizon).json").path
        let logs = (1...6).flatMap { ["--series", "captures/demo/radio-cell-\($0).csv"] }
        let se = try Fixtures.runFlowcast(["train"] + logs + ["--target", "se", "--horizon", horizon, "--trees", "0", "--out", efficiency])
        guard se.status == 0 else { throw FixtureError("train --target se --horizon failed: \(se.stderr)") }
    }

    /// The model's id (`"id"` of its JSON).
    public static func id(of path: String) throws -> String {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        guard let id = object?["id"] as? String else { throw FixtureError("\(path): no id") }
        return id
    }

    /// A copy of the model at `path` whose stored validation says it does not beat recentMean
    /// (its validation MAE set to twice the rule's), so planners must keep the rule.
    public static func notBeatingTheRule(_ path: String, to out: String) throws {
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        var validation = object["validation"] as! [String: Any]
        validation["flowcastMAE"] = 2 * (validation["recentMeanMAE"] as! Double)
        object["validation"] = validation
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: out))
    }

    /// The windows as a wide CSV for `plan --series`: a `time` column (seconds since the epoch)
    /// and one bit/s column per `kind:id` (`cell:cell-1`, `link:…`), windows that read low left empty.
    public static func seriesCSV(windows: String, to out: String) throws {
        var columns: [String] = [], rows: [Double: [String: String]] = [:]
        for line in try String(contentsOfFile: windows, encoding: .utf8).split(separator: "\n") {
            let w = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let key = "\(w["kind"] as! String):\(w["id"] as! String)"
            if !columns.contains(key) { columns.append(key) }
            let start = (w["start"] as! NSNumber).doubleValue, duration = (w["duration"] as! NSNumber).doubleValue
            let bytes = (w["bytesUp"] as! Int) + (w["bytesDown"] as! Int)
            // A window that reads low is a missing value, as the planner takes it: cut short by the
            // end (partial), observed from inside it (a live run's first), or with drops.
            let understated = (w["partial"] as! Bool) || w["observedFrom"] != nil || w["droppedBeforeCapture"] != nil
            rows[start, default: [:]][key] = understated ? "" : "\(Double(bytes) * 8 / duration)"
        }
        var text = "time," + columns.joined(separator: ",") + "\n"
        for start in rows.keys.sorted() { text += "\(start)," + columns.map { rows[start]![$0] ?? "" }.joined(separator: ",") + "\n" }
        try Data(text.utf8).write(to: URL(fileURLWithPath: out))
    }
}

public struct FixtureError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
