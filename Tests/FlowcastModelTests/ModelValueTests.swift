import FlowcastTestSupport
import Foundation
import Testing
@testable import FlowcastModel

/// A model file whose numbers are finite but out of their range (an EWMA factor of 5, a weight of
/// 1e308, a step of 0, a negative validation MAE) was used to forecast; each is now refused when
/// read, naming the file and the value's JSON path (docs/forecasting.md, "Model files").
@Suite struct ModelValueTests {
    let demo = Fixtures.repositoryRoot.appendingPathComponent("captures/demo/model.json")

    /// The demo model (next-row) after `edit`; nil when it is read, else the error's description.
    func nextRowRefusal(_ edit: (inout [String: Any]) -> Void) throws -> String? {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: demo)) as? [String: Any])
        edit(&object)
        do {
            _ = try ModelFile.decode(try JSONSerialization.data(withJSONObject: object), path: "m.json")
            return nil
        } catch { return "\(error)" }
    }

    /// A hand interval model (`handIntervalModel`) after `edit`, as JSON.
    func intervalRefusal(_ edit: (inout [String: Any]) -> Void) throws -> String? {
        var model = handIntervalModel(horizon: 60)
        model.training.stepSeconds = 10
        let data = try JSONEncoder().encode(model)
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        edit(&object)
        do {
            _ = try ModelFile.decodeInterval(try JSONSerialization.data(withJSONObject: object), path: "m.json", horizon: 60)
            return nil
        } catch { return "\(error)" }
    }

    func set(_ object: inout [String: Any], _ path: [String], _ value: Any?) {
        guard let first = path.first else { return }
        if path.count == 1 { object[first] = value; return }
        var inner = object[first] as! [String: Any]
        set(&inner, Array(path.dropFirst()), value)
        object[first] = inner
    }

    func setIndex(_ object: inout [String: Any], _ path: [String], _ index: Int, _ value: Double) {
        var inner = object
        for key in path.dropLast() { inner = inner[key] as! [String: Any] }
        var array = inner[path.last!] as! [Double]
        array[index] = value
        set(&object, path, array)
    }

    @Test func theShippedModelAndFreshlyWrittenOnesAreRead() throws {
        #expect(try nextRowRefusal { _ in } == nil)
        #expect(try intervalRefusal { _ in } == nil)
        #expect(throws: Never.self) { try ModelFile.read(from: demo) }
    }

    @Test func nextRowValuesOutOfRangeAreRefusedAtTheirPath() throws {
        #expect(try nextRowRefusal { set(&$0, ["baselines", "ewmaAlpha"], 5) }
            == "m.json: $.baselines.ewmaAlpha: must be a smoothing factor in (0, 1], found 5.0")
        #expect(try nextRowRefusal { set(&$0, ["baselines", "ewmaAlpha"], -1) }
            == "m.json: $.baselines.ewmaAlpha: must be a smoothing factor in (0, 1], found -1.0")
        #expect(try nextRowRefusal { set(&$0, ["baselines", "holtWintersAlpha"], 1e308) }
            == "m.json: $.baselines.holtWintersAlpha: must be a smoothing factor in (0, 1], found 1e+308")
        #expect(try nextRowRefusal { set(&$0, ["baselines", "upperOffsets", "ewma"], 1e308) }
            == "m.json: $.baselines.upperOffsets['ewma']: must be at most 1e6 in magnitude (scale units), found 1e+308")
        #expect(try nextRowRefusal { set(&$0, ["baselines", "upperOffsets"], [String: Double]()) }
            == "m.json: $.baselines.upperOffsets['persistence']: must be the method's band offset (scale units), found nothing")
        #expect(try nextRowRefusal {
            var offsets = ($0["baselines"] as! [String: Any])["upperOffsets"] as! [String: Any]
            offsets["ewma"] = nil
            set(&$0, ["baselines", "upperOffsets"], offsets)
        } == "m.json: $.baselines.upperOffsets['ewma']: must be the method's band offset (scale units), found nothing")
        #expect(try nextRowRefusal { setIndex(&$0, ["pointWeights"], 3, 1e308) }
            == "m.json: $.pointWeights[3]: must be at most 1e6 in magnitude (scale units), found 1e+308")
        #expect(try nextRowRefusal { setIndex(&$0, ["pointTrees", "leaves"], 7, -1e308) }
            == "m.json: $.pointTrees.leaves[7]: must be at most 1e6 in magnitude (scale units), found -1e+308")
        #expect(try nextRowRefusal { set(&$0, ["training", "stepSeconds"], 0) }
            == "m.json: $.training.stepSeconds: must be above 0 and at most 1e9 seconds, found 0.0")
        #expect(try nextRowRefusal { set(&$0, ["training", "stepSeconds"], -1) }
            == "m.json: $.training.stepSeconds: must be above 0 and at most 1e9 seconds, found -1.0")
        #expect(try nextRowRefusal { set(&$0, ["quantile"], 1.5) }
            == "m.json: $.quantile: must be a quantile between 0 and 1 (both excluded), found 1.5")
        // At the bound, and a threshold no feature passes (training writes the largest Double), are read.
        #expect(try nextRowRefusal { setIndex(&$0, ["pointWeights"], 3, -1e6) } == nil)
        #expect(try nextRowRefusal { setIndex(&$0, ["pointTrees", "thresholds"], 0, .greatestFiniteMagnitude) } == nil)
    }

    @Test func intervalValuesOutOfRangeAreRefusedAtTheirPath() throws {
        #expect(try intervalRefusal { set(&$0, ["point", "tau"], 7) }
            == "m.json: $.point.tau: must be a quantile between 0 and 1 (both excluded), found 7.0")
        #expect(try intervalRefusal { set(&$0, ["bandOffsets", "ewma"], nil) }
            == "m.json: $.bandOffsets['ewma']: must be [P10, P90] offsets, found nothing")
        #expect(try intervalRefusal { set(&$0, ["bandOffsets", "ewma"], [0.1]) }
            == "m.json: $.bandOffsets['ewma']: must be 2 numbers (P10, P90 offsets), found 1")
        #expect(try intervalRefusal { set(&$0, ["bandOffsets", "ewma"], [0.5, -0.5]) }
            == "m.json: $.bandOffsets['ewma'][0]: must be at most the P90 offset -0.5, found 0.5")
        #expect(try intervalRefusal { set(&$0, ["bandOffsets", "recentMean"], [-1e308, 1e308]) }
            == "m.json: $.bandOffsets['recentMean'][0]: must be at most 1e6 in magnitude (scale units), found -1e+308")
        #expect(try intervalRefusal { set(&$0, ["validation", "flowcastMAE"], -1) }
            == "m.json: $.validation.flowcastMAE: must be an error between 0 and 1e15 (the series' units), found -1.0")
        #expect(try intervalRefusal { set(&$0, ["ewmaAlpha"], 0) }
            == "m.json: $.ewmaAlpha: must be a smoothing factor in (0, 1], found 0.0")
        #expect(try intervalRefusal { set(&$0, ["target"], "ul") } == "m.json: $.target: must be \"dl\" or \"se\", found \"ul\"")
        // A model of radio KPI logs (it uses their CQI) must say what it forecasts.
        #expect(try intervalRefusal {
            $0["covariates"] = ["cqi"]
            $0["featureNames"] = IntervalSeries.featureNames(covariates: ["cqi"])
            for head in ["lower", "point", "upper"] {
                set(&$0, [head, "weights"], [Double](repeating: 0, count: IntervalSeries.featureCount(covariates: 1)))
            }
        } == "m.json: $.target: must be \"dl\" or \"se\" for a model of radio KPI logs (it uses their covariate 'cqi'), found nothing")
    }

    @Test func aNumberBeyondDoubleIsNamedByItsPath() throws {
        let text = try String(contentsOf: demo, encoding: .utf8)
        let weights = try #require(text.range(of: "\"pointWeights\""))
        let number = try #require(text.range(of: #"-?[0-9][0-9.eE+-]*"#, options: .regularExpression, range: weights.upperBound..<text.endIndex))
        let broken = text.replacingCharacters(in: number, with: "1e999")
        #expect(throws: ModelFileError.badValue(path: "m.json", field: "$.pointWeights[0]", problem: "must be a finite number, found 1e999")) {
            try ModelFile.decode(Data(broken.utf8), path: "m.json")
        }
    }

    @Test func aValueOfTheWrongTypeIsNamedByItsJSONPath() throws {
        #expect(try nextRowRefusal {
            var weights = $0["pointWeights"] as! [Any]
            weights[3] = "x"
            $0["pointWeights"] = weights
        } == "m.json: corrupt model file: bad value at $.pointWeights[3]")
        #expect(try nextRowRefusal { set(&$0, ["baselines", "ewmaAlpha"], nil) } == "m.json: corrupt model file: missing \"ewmaAlpha\" in $.baselines")
    }

    @Test func aVersionOfTheWrongTypeIsSaidToBeSo() throws {
        #expect(try nextRowRefusal { $0["version"] = "4" } == "m.json: $.version: must be a number, found a string")
        #expect(try nextRowRefusal { $0["version"] = nil } == "m.json: corrupt model file: missing \"version\"")
        #expect(try intervalRefusal { $0["version"] = [1] } == "m.json: $.version: must be a number, found an array")
    }

    @Test func aWriteThatFailsNamesTheFileTheUserGave() throws {
        let url = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)/dir/m.json")
        let error = try #require(throws: ModelFileError.self) { try ModelFile.write(handModel(BaselineParameters()), to: url) }
        guard case .writeFailed(let path, _) = error else { Issue.record("\(error)"); return }
        #expect(path == url.path)
        #expect(!error.description.contains(".partial"))
    }
}
