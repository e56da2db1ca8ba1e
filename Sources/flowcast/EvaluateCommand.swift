import ArgumentParser
import FlowcastModel
import Foundation

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score rolling one-step-ahead forecasts of the model and every baseline.")

    @Option(help: "The model JSON from `flowcast train`.")
    var model: String
    @Option(help: "A series file or folder; may be repeated. Each file is its own history.")
    var series: [String]
    @Option(help: "First 0-based data row to score; earlier rows are history only.")
    var from: Int
    @Flag(help: "Print the report as JSON.")
    var json = false
    @Option(help: "For radio KPI logs: dl (DL bitrate, Mbit/s) or se (spectral efficiency from CQI).")
    var target: String = "dl"
    @Flag(help: "Keep Abilene self pairs (od_s_s), which are left out by default.")
    var includeSelfPairs = false

    func validate() throws {
        guard from >= 0 else { throw ValidationError("--from must be 0 or more") }
        guard RadioTarget(rawValue: target) != nil else { throw ValidationError("--target must be dl or se") }
    }

    func run() throws {
        let options = SeriesReadOptions(radioTarget: RadioTarget(rawValue: target) ?? .downlinkBitrate,
                                        includeSelfPairs: includeSelfPairs)
        do {
            let model = try ModelFile.read(from: URL(fileURLWithPath: self.model))
            let sets = try SeriesReader.read(paths: series, options: options).sets
            let report = Evaluator.evaluate(model: model, sets: sets, from: from)
            print(json ? report.json : report.table)
        } catch let error as SeriesInputError {
            throw CommandFailure(message: error.description)
        } catch let error as ModelFileError {
            throw CommandFailure(message: error.description)
        }
    }
}
