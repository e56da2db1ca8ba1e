import FlowcastCapture
import FlowcastModel
import FlowcastPipeline
import FlowcastTopology
import Foundation

/// The files of a demo scenario folder, checked before anything runs: the capture, the topology,
/// the model (`model.json`, trained on traffic windows of the capture's window length) and every
/// cell's radio KPI log (covering the capture's time). Each problem is one line naming the file.
struct DemoScenario {
    static let windowSeconds = 10.0
    var capture: String
    var topology: String
    var model: String

    init(folder: String, model: String?) {
        capture = folder + "/demo.pcapng"
        topology = folder + "/topology.yaml"
        self.model = model ?? folder + "/model.json"
    }

    /// Nil when the scenario can run, else the first problem.
    func problem() -> String? {
        for file in [capture, topology, model] where !FileManager.default.fileExists(atPath: file) {
            return "\(file) not found (run from the repository root, or pass --scenario)"
        }
        let topo: Topology
        do { topo = try Topology(contentsOfFile: topology) } catch {
            return error.problems.first.map { "\($0)" } ?? "\(topology): not a topology"
        }
        if let problem = Self.modelProblem(model) { return problem }
        let span: (first: Double, last: Double)
        do {
            var first: Int64?, last: Int64 = 0
            try OfflineCapture(path: capture).forEachPacket { packet in
                first = first ?? packet.timestampNanoseconds
                last = packet.timestampNanoseconds
            }
            guard let first else { return "\(capture): no packets" }
            span = (Double(first) / 1e9, Double(last) / 1e9)
        } catch {
            return "\(error)"
        }
        for cell in topo.cells {
            guard let path = cell.kpiSource else { continue }
            guard FileManager.default.fileExists(atPath: path) else {
                return "\(path): not found (the radio KPI log of \(cell.id) in \(topology); write it with flowcast synth --radio)"
            }
            let log: RadioKPISeries
            do { log = try RadioKPISeries.read(path: path, cqiTable: cell.cqiTable) } catch { return error.description }
            // The capture's span, to the second, must have the cell's reports.
            if log.start > span.first.rounded(.down) || log.end < span.last.rounded(.down) {
                return "\(path): covers \(Self.clock(log.start))–\(Self.clock(log.end)), but \(capture) runs "
                    + "\(Self.clock(span.first))–\(Self.clock(span.last)) (regenerate both with flowcast synth --radio)"
            }
        }
        return nil
    }

    /// A model the demo cannot use: unreadable, trained on radio KPI logs (with covariates) or on
    /// rows of another length than the demo's windows.
    static func modelProblem(_ path: String) -> String? {
        let model: ForecastModel
        do { model = try ModelFile.read(from: URL(fileURLWithPath: path)) } catch { return "\(error)" }
        if !model.layout.covariates.isEmpty {
            return "\(path): model \(model.id) was trained on radio KPI logs (covariates \(model.layout.covariates.joined(separator: ", "))), "
                + "not on traffic windows; train it on windows.jsonl (captures/demo/README.md)"
        }
        if let step = model.training.stepSeconds, abs(step - windowSeconds) > 1e-9 {
            return "\(path): model \(model.id) was trained on \(DiffNumber.seconds(step)) rows, the demo's windows are "
                + "\(DiffNumber.seconds(windowSeconds)); train it on 10 s windows (captures/demo/README.md)"
        }
        return nil
    }

    static func clock(_ seconds: Double) -> String {
        let f = ISO8601DateFormatter()
        return f.string(from: Date(timeIntervalSince1970: seconds.rounded(.down)))
    }
}

/// Seconds as a person writes them: `10 s`, `300 s`, `0.5 s`.
enum DiffNumber {
    static func seconds(_ s: Double) -> String {
        s == s.rounded() ? "\(Int(s)) s" : "\(s) s"
    }
}
