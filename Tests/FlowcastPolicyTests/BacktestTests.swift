@testable import FlowcastPolicy
import FlowcastTestSupport
import FlowcastTopology
import Foundation
import Testing

func abileneTopology() throws -> Topology {
    try Topology(contentsOfFile: Fixtures.captures.appendingPathComponent("abilene/topology.yaml").path)
}

@Test func abileneTopologyHasTheRealCapacitiesWeightsAndEveryODPair() throws {
    let t = try abileneTopology()
    #expect(t.nodes.map(\.id) == ["ATLAM5", "ATLAng", "CHINng", "DNVRng", "HSTNng", "IPLSng",
                                  "KSCYng", "LOSAng", "NYCMng", "SNVAng", "STTLng", "WASHng"])
    #expect(t.links.count == 15)
    // The one OC-48 link, ATLAng–IPLSng (OSPF weight 587); the rest are OC-192.
    let oc48 = t.links.filter { $0.capacity == 2.48e9 }
    #expect(oc48.map(\.id) == ["ATLAng-IPLSng"])
    #expect(oc48.first?.weight == 587)
    #expect(t.links.filter { $0.capacity == 9.92e9 }.count == 14)
    #expect(t.demands.count == 132)
    let d = t.demands[t.demandIndex("od_3_9")!]
    #expect(t.nodes[d.source].id == "DNVRng" && t.nodes[d.destination].id == "SNVAng")
}

@Test func kShortestPathsMatchExhaustiveEnumerationOnAbilene() throws {
    let t = try abileneTopology()
    let finder = PathFinder(t)
    for d in t.demands {
        var all: [[Int]] = []
        func walk(_ at: Int, _ path: [Int], _ seen: Set<Int>) {
            if at == d.destination { all.append(path); return }
            for (i, l) in t.links.enumerated() {
                guard let next = l.otherEnd(from: at), !seen.contains(next) else { continue }
                walk(next, path + [i], seen.union([next]))
            }
        }
        walk(d.source, [], [d.source])
        all.sort { finder.precedes($0, $1) }
        #expect(finder.paths(from: d.source, to: d.destination, k: 4) == Array(all.prefix(4)), "\(d.id)")
        // OSPF: least total weight.
        let ospf = finder.shortestByWeight(from: d.source, to: d.destination)!
        #expect(finder.cost(ospf).weight == all.map { finder.cost($0).weight }.min())
    }
}

/// OSPF's least-weight path is always a candidate, however few paths are asked for, so the
/// backtest's OSPF baseline routes every demand and has no stretch: with `--paths 1` it left the
/// traffic of 22 of 132 Abilene demands out and read a stretch of 0.64, better than the optimum.
@Test("every demand's candidates include OSPF's path, at any --paths", arguments: [1, 2, 3, 4])
func ospfPathIsAlwaysACandidate(_ k: Int) throws {
    let t = try abileneTopology()
    let finder = PathFinder(t)
    let backtest = RoutingBacktest(topology: t, options: RobustPlanOptions(pathsPerDemand: k))
    let weights = backtest.ospfWeights(), shortest = backtest.shortestCosts()
    for (d, demand) in t.demands.enumerated() {
        let ospf = try #require(finder.shortestByWeight(from: demand.source, to: demand.destination))
        #expect(backtest.paths[d].count <= k && backtest.paths[d].contains(ospf), "\(demand.id)")
        // The paths found by hops come first, unchanged; OSPF's takes the last place when missing.
        let byHops = finder.paths(from: demand.source, to: demand.destination, k: k)
        #expect(Array(backtest.paths[d].prefix(k - 1)) == Array(byHops.prefix(k - 1)), "\(demand.id)")
        #expect(weights[d].reduce(0, +) == 1, "\(demand.id)")
        let cost = zip(weights[d], backtest.paths[d]).reduce(0.0) { $0 + $1.0 * finder.cost($1.1).weight }
        #expect(cost == shortest[d], "\(demand.id): OSPF's path costs the least")
    }
}

@Test func robustObjectiveKeepsTheWorstCaseAndPricesTheOtherScenarios() throws {
    // Two parallel links (capacity 1 and 2). Scenario demands 3 and 6: the worst case (6) needs
    // the 1:2 split, utilisation 2; the robust objective must not give that up.
    let t = try Topology(yaml: parallelYAML)
    let p = RoutingProblem(topology: t, paths: [[[0], [1]]], scenarios: [[3], [6]],
                           robust: RobustObjective(meanWeight: 5, linkWeight: 1))
    let s = try RoutingOptimizer().solve(p)
    #expect(abs(s.worstCaseUtilisation - 2) < 1e-6)
    #expect(abs(s.weights[0][0] - 1.0 / 3) < 1e-6)
}

/// Rows `rows` of the real Abilene matrices (Mbit/s → bit/s, times `scale`), topology demand order.
func abileneMatrices(_ t: Topology, rows: Range<Int>, scale: Double = 1) throws -> [[Double]] {
    let text = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("data/abilene/od_tm_public.csv"), encoding: .utf8)
    let lines = text.split(separator: "\n")
    let header = lines[0].split(separator: ",").map(String.init)
    let columns = t.demands.map { header.firstIndex(of: $0.id)! }
    return lines[rows].map { line -> [Double] in
        let cells = line.split(separator: ",", omittingEmptySubsequences: false)
        return columns.map { Double(cells[$0])! * 1e6 * scale }
    }
}

@Test func backtestOnAbileneBeatsOSPFAndScoresAgainstTheOracle() throws {
    // 12 intervals of the real matrices, history only; no forecast; pure min-max (target 0).
    let t = try abileneTopology()
    let matrices = try abileneMatrices(t, rows: 2000..<2030)
    let backtest = RoutingBacktest(topology: t, options: RobustPlanOptions(forecastScenarios: false, targetUtilisation: 0))
    let report = try backtest.run(matrices: matrices, from: 18) { _ in nil }
    #expect(report.intervals == 12)
    #expect(report.ratioToOracle.mean >= 1 - 1e-6)                 // nothing beats perfect foresight
    #expect(report.ratioToOracle.mean < report.ospfRatio.mean)
    #expect(report.ospfRatio.mean < report.ecmpRatio.mean)
    let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
    let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
    #expect(Set(object.keys) == ["intervals", "mlu", "ratio_to_oracle", "solve_ms", "methods", "scale", "targetUtilisation"])
    #expect(Set((object["mlu"] as! [String: Any]).keys) == ["flowcast", "oracle", "ospf", "ecmp"])
    #expect(Set((object["ratio_to_oracle"] as! [String: Any]).keys) == ["mean", "p95", "max"])
    #expect(Set((object["solve_ms"] as! [String: Any]).keys) == ["mean", "p95"])
    // The per-method summary agrees with the MLU figures it repeats; at target 0 there is no
    // target to be over (every interval counted as over it), and the key is null, not absent.
    let methods = Dictionary(uniqueKeysWithValues: report.methods.map { ($0.name, $0) })
    #expect(report.methods.map(\.name) == ["flowcast", "ospf", "ecmp", "oracle"])
    #expect(methods["flowcast"]!.mluMean == report.mlu.flowcast.mean && methods["oracle"]!.mluP95 == report.mlu.oracle.p95)
    #expect(report.methods.allSatisfy { $0.overTargetFraction == nil })
    let methodObjects = object["methods"] as! [[String: Any]]
    #expect(methodObjects.allSatisfy { $0["overTargetFraction"] is NSNull }, "\(methodObjects)")
}

@Test func backtestWithATargetKeepsShortestPathsOnTheUnloadedAbileneAndMovesWhenLoaded() throws {
    let t = try abileneTopology()
    let options = RobustPlanOptions(forecastScenarios: false, targetUtilisation: 0.7)
    let backtest = RoutingBacktest(topology: t, options: options)
    // Every OSPF path is a candidate, so OSPF's stretch is 1 and a plan can keep to it.
    #expect(backtest.ospfWeights().allSatisfy { $0.reduce(0, +) == 1 })
    let quiet = try backtest.run(matrices: try abileneMatrices(t, rows: 2000..<2030), from: 18) { _ in nil }
    let q = Dictionary(uniqueKeysWithValues: quiet.methods.map { ($0.name, $0) })
    #expect(quiet.targetUtilisation == 0.7)
    #expect(q["ospf"]!.pathStretch == 1 && q["ospf"]!.movedFraction == 0 && q["ecmp"]!.movedFraction == 0)
    #expect(q["ecmp"]!.pathStretch > 1)
    #expect(q["flowcast"]!.overTargetFraction == 0 && q["flowcast"]!.pathStretch == 1 && q["flowcast"]!.movedFraction == 0)
    #expect(q["oracle"]!.pathStretch == 1)

    // Ten times the traffic of a busy hour: OSPF goes over 70 %, Flowcast moves traffic to stay
    // under it as often as it can, and never does worse than OSPF on that count.
    let busyMatrices = try abileneMatrices(t, rows: 2180..<2210, scale: 10)
    let busy = try backtest.run(matrices: busyMatrices, from: 18) { _ in nil }
    let b = Dictionary(uniqueKeysWithValues: busy.methods.map { ($0.name, $0) })
    #expect((b["ospf"]!.overTargetFraction ?? 0) > 0)
    #expect(b["flowcast"]!.overTargetFraction! < b["ospf"]!.overTargetFraction!)
    #expect(b["flowcast"]!.pathStretch > 1 && (b["flowcast"]!.movedFraction ?? 0) > 0)
    // The perfect-foresight plan under the same objective: never over where the min-max optimum fits.
    if try busyMatrices[18...].allSatisfy({ try backtest.oracle($0) <= 0.7 }) { #expect(b["oracle"]!.overTargetFraction == 0) }
    #expect(b["oracle"]!.pathStretch <= b["flowcast"]!.pathStretch + 0.05)
}

/// At target 0 the oracle is the min-max optimum, and of the plans at it the one of least
/// traffic-weighted path cost (and churn): the simplex's vertex alone read stretch 1.263 and moved
/// 0.258, worse than Flowcast's own plans beside it (an audit). A one-interval run has no moved
/// traffic to average: null.
@Test func theMinMaxOracleIsTheLeastCostPlanAtTheOptimum() throws {
    let t = try abileneTopology()
    let backtest = RoutingBacktest(topology: t, options: RobustPlanOptions(forecastScenarios: false, targetUtilisation: 0))
    let costs = RoutingOptimizer.pathCosts(RoutingProblem(topology: t, paths: backtest.paths, scenarios: []))
    func cost(_ weights: [[Double]], _ matrix: [Double]) -> Double {
        matrix.indices.reduce(0) { $0 + matrix[$1] * zip(weights[$1], costs[$1]).reduce(0) { $0 + $1.0 * $1.1 } }
    }
    var cheaper = 0
    for matrix in try abileneMatrices(t, rows: 2180..<2186, scale: 10) {
        let vertex = try backtest.oracleSolution(matrix)
        let weights = try backtest.minMaxOracle(matrix, best: vertex, current: nil)
        #expect(backtest.realisedMLU(weights: weights, matrix: matrix) <= vertex.maxUtilisation * (1 + 1e-6) + 1e-9)
        #expect(cost(weights, matrix) <= cost(vertex.weights, matrix) * (1 + 1e-9))
        if cost(weights, matrix) < cost(vertex.weights, matrix) * (1 - 1e-6) { cheaper += 1 }
    }
    #expect(cheaper > 0, "the simplex's vertex should cost more somewhere, or the test shows nothing")
    let one = try backtest.run(matrices: try abileneMatrices(t, rows: 2000..<2019), from: 18) { _ in nil }
    #expect(one.intervals == 1 && one.methods.allSatisfy { $0.movedFraction == nil }, "\(one.methods)")
}

/// The hour after a burst on the real Abilene matrices (×10; rows 2024–2036, where the burst's
/// own min-max optimum is above 1): each scenario's cap is max(U, its own least MLU, solved
/// here on its own) times one λ ≥ 1, and the plan holds every scenario under its cap. With one
/// cap for all, the newest matrix, which fits under 70 %, was let up to the burst's level.
@Test func overTheTargetEachRealScenarioIsHeldToItsOwnCap() throws {
    let t = try abileneTopology()
    let backtest = RoutingBacktest(topology: t, options: RobustPlanOptions(forecastScenarios: false, targetUtilisation: 0.7))
    let matrices = try abileneMatrices(t, rows: 2019..<2038, scale: 10)  // lines 2019… of the file: rows 2018… (line 0 is the header)
    let history = Array(matrices[6..<18])  // rows 2024–2035: the burst is the oldest
    let plan = try backtest.targetPlan(history: history, forecast: nil, current: nil)
    guard case .overTarget = plan.regime else {
        Issue.record("expected an over-target plan, got \(plan.regime)")
        return
    }
    // The scenarios as targetPlan makes them: the newest, the history, the newest plus each change.
    var scenarios = [history.last!] + history
    for i in stride(from: history.count - 2, through: 1, by: -1) {
        scenarios.append(history.last!.indices.map { d in max(0, history.last![d] + history[i][d] - history[i - 1][d]) })
    }
    #expect(plan.scenarioCaps.count == scenarios.count)
    let own = try scenarios.map { try backtest.oracle($0) }
    // λ from the heaviest scenario (over the target, so its cap has the 1 % slack); every other
    // cap follows from it and the scenario's own optimum.
    let heaviest = own.indices.max { own[$0] < own[$1] }!
    let lambda = plan.scenarioCaps[heaviest] / (own[heaviest] * 1.01)
    #expect(lambda >= 1 - 1e-9)
    for (s, scenario) in scenarios.enumerated() {
        let c = max(0.7, own[s]), cap = plan.scenarioCaps[s]
        let expected = c * lambda > 0.7 * (1 + 1e-6) ? c * lambda * 1.01 : 0.7
        #expect(abs(cap - expected) < 1e-6 * cap, "scenario \(s): cap \(cap), expected \(expected)")
        let mlu = RoutingOptimizer.maxUtilisation(RoutingProblem(topology: t, paths: backtest.paths, scenarios: [scenario]),
                                                  weights: plan.weights, demand: scenario)
        #expect(mlu <= cap + 1e-6, "scenario \(s): \(mlu) over its cap \(cap)")
    }
    // The burst needs more than 1; the newest matrix is held well under that.
    #expect(own[1] > 1 && own[0] <= 0.7)
    #expect(plan.scenarioCaps[0] < plan.scenarioCaps[1] * 0.8)
}

@Test func p95InterpolatesBetweenOrderStatistics() {
    // numpy.percentile([1…21], 95) = 20; [1, 2] → 1.95.
    #expect(abs(SampleSummary((1...21).map(Double.init)).p95 - 20) < 1e-12)
    #expect(abs(SampleSummary([2, 1]).p95 - 1.95) < 1e-12)
}
