import FlowcastPolicy
import FlowcastTopology
import FlowcastTestSupport
import Foundation
import Testing

/// A forecasts file whose loads or efficiencies a plan cannot use is refused when read, naming the
/// file and the value's JSON path (a negative scenario load was used as given; 1e300 ended in
/// "solver: unexpected solver status 4/0").
@Suite struct ForecastInputTests {
    let example = Fixtures.repositoryRoot.appendingPathComponent("policies/examples/demo-forecasts.json")

    func refusal(_ edit: (inout [String: Any]) -> Void) throws -> String? {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: example)) as? [String: Any])
        edit(&object)
        let url = Scratch.root.appendingPathComponent("flowcast-forecasts-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        do {
            _ = try ForecastSet(contentsOf: url)
            return nil
        } catch {
            guard case .badInput(let path, let message) = error else { return "unexpected \(error)" }
            #expect(path == url.path)
            return message
        }
    }

    func setForecast(_ object: inout [String: Any], _ id: String, _ key: String, _ value: Any) {
        var forecasts = object["forecasts"] as! [[String: Any]]
        let i = forecasts.firstIndex { $0["id"] as? String == id }!
        forecasts[i][key] = value
        object["forecasts"] = forecasts
    }

    /// A key no reader knows was dropped without a word (a misspelt `spectralEfficency` planned
    /// the cell at another efficiency; `scenarios_typo` left the robust plan one scenario), and a
    /// newline in a `source` was refused only when the policy was written, naming the policy.
    @Test func unknownKeysAndUnprintableTextAreRefusedWhereTheyAre() throws {
        let cell = try #require(((try JSONSerialization.jsonObject(with: Data(contentsOf: example)) as? [String: Any])?["forecasts"] as? [[String: Any]])?
            .firstIndex { $0["id"] as? String == "cell-2" })
        #expect(try refusal { setForecast(&$0, "cell-2", "spectralEfficency", 5.2) } == "$.forecasts[\(cell)].spectralEfficency: unknown field")
        #expect(try refusal { $0["scenarios_typo"] = [[String: Double]]() } == "$.scenarios_typo: unknown field")
        #expect(try refusal { $0["window"] = ["start": "2026-01-05T18:00:00Z", "end": "2026-01-05T18:01:00Z", "length": 60] } == "$.window.length: unknown field")
        #expect(try refusal { setForecast(&$0, "cell-2", "source", "a\nb") }?.hasSuffix(
            ".source: contains a control character (U+000A); text in a forecasts file is one line of printable characters") == true)
        #expect(try refusal { setForecast(&$0, "cell-2", "id", "cell-\u{202E}2") }?.contains("a bidirectional formatting character (U+202E)") == true)
        #expect(try refusal { setForecast(&$0, "cell-2", "kind", "cel") } == "$.forecasts[\(cell)].kind: 'cel' is not a kind: cell, link or demand")
        // The example itself reads.
        #expect(try refusal { _ in } == nil)
    }

    /// Read by the policy documents' strict parser first: a syntax error is placed, a key given
    /// twice is refused (the first was used; Python and jq take the last).
    @Test func syntaxErrorsArePlacedAndRepeatedKeysRefused() throws {
        let url = Scratch.root.appendingPathComponent("flowcast-forecasts-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        for (text, message) in [
            ("{\"forecasts\": [{\"id\": \"cell-1\", \"kind\": \"cell\", \"point\": 3e8, \"point\": -5, \"upper\": 4e8, \"source\": \"x\"}]}",
             "not valid JSON at line 1, column 63: key \"point\" given twice in one object"),
            ("{\"forecasts\": [\n  {\"id\": \"cell-1\",", "not valid JSON at line 2, column 19: expected a key in double quotes, found the end of the file"),
        ] {
            try Data(text.utf8).write(to: url)
            #expect(throws: PolicyError.badInput(path: url.path, message: message)) { try ForecastSet(contentsOf: url) }
        }
    }

    @Test func theExampleIsUsable() throws {
        #expect(try ForecastSet(contentsOf: example).problem == nil)
        #expect(try refusal { _ in } == nil)
    }

    @Test func unusableValuesAreRefusedAtTheirPath() throws {
        let forecasts = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: example)) as? [String: Any])["forecasts"] as! [[String: Any]]
        let d2 = forecasts.firstIndex { $0["id"] as? String == "d-cell-2" }!
        let c1 = forecasts.firstIndex { $0["id"] as? String == "cell-1" }!
        #expect(try refusal { setForecast(&$0, "d-cell-2", "upper", -5e9) }
                == "$.forecasts[\(d2)] (demand 'd-cell-2').upper: must be at least 0 bit/s, found -5000000000.0")
        #expect(try refusal { setForecast(&$0, "d-cell-2", "point", 1e300) }
                == "$.forecasts[\(d2)] (demand 'd-cell-2').point: must be at most 1e15 bit/s (1 Pbit/s), found 1e+300")
        #expect(try refusal { setForecast(&$0, "cell-1", "spectralEfficiency", 0) }
                == "$.forecasts[\(c1)] (cell 'cell-1').spectralEfficiency: must be 0.001 to 100.0 bit/s/Hz, found 0.0")
        // Positive and finite but far below any CQI: the blocks it needs overflowed Int.
        #expect(try refusal { setForecast(&$0, "cell-1", "spectralEfficiency", 1e-300) }
                == "$.forecasts[\(c1)] (cell 'cell-1').spectralEfficiency: must be 0.001 to 100.0 bit/s/Hz, found 1e-300")
        #expect(try refusal { $0["scenarios"] = [["d-cell-1": 1e9], ["d-cell-3": 2e9, "d-cell-2": -1]] }
                == "$.scenarios[1]['d-cell-2']: must be at least 0 bit/s, found -1.0")
        #expect(try refusal { $0["measuredEfficiencies"] = [["cell": "cell-1", "bitsPerSecondPerHertz": -2, "source": "x"]] }
                == "$.measuredEfficiencies[0] (cell 'cell-1').bitsPerSecondPerHertz: must be 0.001 to 100.0 bit/s/Hz, found -2.0")
        // At the bound itself, and zero, a plan can use.
        #expect(try refusal { $0["scenarios"] = [["d-cell-1": 1e15, "d-cell-2": 0]] } == nil)
    }

    /// Forecasts that contradict themselves: an upper quantile below the point (the plan sized the
    /// cell for it), a second forecast for one id (the first silently won), too many scenarios.
    @Test func inconsistentForecastsAreRefused() throws {
        let forecasts = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: example)) as? [String: Any])["forecasts"] as! [[String: Any]]
        let c1 = forecasts.firstIndex { $0["id"] as? String == "cell-1" }!
        let point = try #require(forecasts[c1]["point"] as? Double)
        #expect(try refusal { setForecast(&$0, "cell-1", "upper", 1.0) }
                == "$.forecasts[\(c1)] (cell 'cell-1').upper: must be at least the point forecast \(point) bit/s, found 1.0")
        #expect(try refusal { $0["forecasts"] = ($0["forecasts"] as! [[String: Any]]) + [forecasts[c1]] }
                == "$.forecasts[\(forecasts.count)] (cell 'cell-1'): a second forecast for cell 'cell-1' (the first is $.forecasts[\(c1)])")
        let many = [[String: Double]](repeating: ["d-cell-1": 1e9], count: ForecastSet.maximumScenarios + 1)
        #expect(try refusal { $0["scenarios"] = many } == "$.scenarios: at most \(ForecastSet.maximumScenarios) scenarios, found \(many.count)")
        #expect(try refusal { $0["scenarios"] = Array(many.dropLast()) } == nil)
        for window in [["start": "yesterday", "end": "today"], ["start": "2026-01-05T18:10:00Z", "end": "2026-01-05T18:00:00Z"]] {
            #expect(try refusal { $0["window"] = window } == "$.window: start and end must be ISO 8601 times with the end after the start "
                    + "(e.g. 2026-01-05T18:00:00Z), found \(window["start"]!) to \(window["end"]!)")
        }
    }

    /// Against the topology: an id it does not have (a typo planned the cell it meant for nothing),
    /// and more demand scenarios than a plan takes.
    @Test func forecastsMustNameTheTopologysIds() throws {
        let topology = try Topology(contentsOfFile: Fixtures.captures.appendingPathComponent("demo/topology.yaml").path)
        let set = try ForecastSet(contentsOf: example)
        #expect(set.problem(for: topology) == nil)
        var typo = set
        typo.forecasts[0].id += "9"
        #expect(typo.problem(for: topology) == "$.forecasts[0].id: the topology has no \(set.forecasts[0].kind.rawValue) '\(set.forecasts[0].id)9'")
        var key = set
        key.scenarios = [["d-cell-1": 1e9], ["d-cell-7": 1e9]]
        #expect(key.problem(for: topology) == "$.scenarios[1]['d-cell-7']: the topology has no demand 'd-cell-7' (scenarios map demand ids to bit/s)")
        // 6 demands: 16,666 scenarios and the forecast are 100,002 demand scenarios.
        var wide = set
        wide.scenarios = [[String: Double]](repeating: [:], count: ForecastSet.maximumScenarioEntries / topology.demands.count)
        #expect(wide.problem(for: topology)?.hasPrefix("$.scenarios: 16666 scenarios and the forecast over 6 demands are 100002") == true)
        wide.scenarios!.removeLast()
        #expect(wide.problem(for: topology) == nil)
        // None at all for a cell or demand: the plan would be for no traffic (it was written, every link at 0 %).
        var none = set
        none.forecasts.removeAll { $0.kind != .link }
        none.scenarios = nil
        #expect(none.problem(for: topology) == "$.forecasts: no forecast for any of the topology's 6 demands and 6 cells (the plan would be for no traffic)")
        // A measured efficiency for a cell the topology lacks was dropped without a word.
        var measured = set
        measured.measuredEfficiencies = [MeasuredEfficiency(cell: "cell-1", bitsPerSecondPerHertz: 2, source: "m"),
                                         MeasuredEfficiency(cell: "cell-9", bitsPerSecondPerHertz: 2, source: "m")]
        #expect(measured.problem(for: topology) == "$.measuredEfficiencies[1].cell: the topology has no cell 'cell-9'")
    }
}
