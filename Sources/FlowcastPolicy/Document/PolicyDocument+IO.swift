internal import FlowcastCore
internal import FlowcastTopology
public import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension PolicyDocument {
    static let schemaValidator: SchemaValidator = {
        // The embedded schema is a compile-time constant; failing to parse it is a programming error.
        let schema = try! JSONDecoder().decode(JSONValue.self, from: Data(PolicySchema.text.utf8))
        return SchemaValidator(schema: schema)
    }()

    /// The JSON Schema the document follows (same text as policies/schema/policy.schema.json).
    public static var jsonSchema: String { PolicySchema.text }

    /// Deterministic JSON: sorted keys, pretty-printed, trailing newline, no escaped slashes.
    public func jsonData() throws(PolicyError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        do {
            var data = try encoder.encode(self)
            data.append(0x0A)
            return data
        } catch {
            throw .inconsistent("cannot encode policy: \(error)")
        }
    }

    /// Bytes that are not JSON, named by where the strict parser stopped. JSONDecoder's own message
    /// named a field path that had nothing to do with the error (a number beyond a Double's range
    /// read as "expected a dictionary, found an array").
    package static func invalidJSON(_ data: Data, path: String) -> PolicyError {
        .badInput(path: path, message: notJSON(data))
    }

    /// "not valid JSON at line L, column C: why", where and why the strict parser stopped.
    static func notJSON(_ data: Data) -> String {
        guard let failure = data.withUnsafeBytes({ JSONValue.failure($0) }) else { return "not valid JSON" }
        return "not valid JSON at line \(failure.line), column \(failure.column): \(failure.reason)"
    }

    /// Checks JSON bytes against the policy schema; `path` names the source in errors.
    public static func validate(_ data: Data, path: String) throws(PolicyError) {
        let value: JSONValue
        if let parsed = data.withUnsafeBytes({ JSONValue.parse($0) }) {
            value = parsed
        } else {
            throw invalidJSON(data, path: path)
        }
        if let first = schemaValidator.violations(of: value).first {
            throw .schemaViolation(path: path, field: first.field, message: first.message)
        }
    }

    /// Every schema violation of JSON bytes, as `(field, message)` pairs. Bytes the strict parser
    /// refuses are one violation, `not valid JSON at line L, column C`, the verdict `validate`
    /// gives (until 5 December 2026 this fell back to JSONDecoder, which read some bytes the
    /// strict parser refuses, so the two could disagree on one document).
    public static func schemaViolations(_ data: Data) -> [(field: String, message: String)] {
        guard let value = data.withUnsafeBytes({ JSONValue.parse($0) }) else { return [("$", notJSON(data))] }
        return schemaValidator.violations(of: value).map { ($0.field, $0.message) }
    }

    /// Reads and validates a policy document.
    public init(contentsOf url: URL) throws(PolicyError) {
        let data = try PolicyLimits.read(url, what: "policy document")
        try self.init(jsonData: data, path: url.path)
    }

    /// Decodes and validates a policy document from JSON bytes.
    public init(jsonData data: Data, path: String = "<policy>") throws(PolicyError) {
        try Self.validate(data, path: path)
        do { self = try JSONDecoder().decode(PolicyDocument.self, from: data) } catch {
            throw .badInput(path: path, message: PolicyError.describe(decoding: error))
        }
        try checkUnique(path: path)
        try checkValues(path: path)
        if let problem = consistencyProblem { throw .schemaViolation(path: path, field: problem.field, message: problem.message) }
    }

    /// Values the schema's types allow and no plan writes, refused at their JSON path, each for
    /// what it did downstream: a next hop or prefix that is not an address went verbatim into
    /// `export --to iproute` (`via not-an-ip; rm -rf /`, `$(reboot)`); a carrier of 1e20 MHz
    /// crashed `export --to nrcelldu`; a utilisation or bandwidth of 1.8e308 printed `+inf` in
    /// `diff` and stopped its JSON. Numbers are bounded as forecasts are: loads, capacities and
    /// utilisations at 1e15, frequencies at 300 GHz (the top of the radio spectrum).
    func checkValues(path: String) throws(PolicyError) {
        func refuse(_ field: String, _ message: String) -> PolicyError { .schemaViolation(path: path, field: field, message: message) }
        let bound = ForecastSet.maximumRate, topMHz = 300_000.0
        func checkLoad(_ value: Double, _ field: String) throws(PolicyError) {
            guard value >= 0, value <= bound else { throw refuse(field, "must be 0 to 1e15, found \(value)") }
        }
        try checkLoad(routing.maxUtilisation, "$.routing.maxUtilisation")
        for (i, d) in routing.demands.enumerated() {
            if let prefix = d.prefix, (try? IPPrefix(parsing: prefix)) == nil {
                throw refuse("$.routing.demands[\(i)].prefix", "'\(prefix)' is not an address prefix (10.20.0.0/24, 2001:db8::/48)")
            }
            for (j, p) in d.paths.enumerated() {
                if let hop = p.nextHop, IPAddress(hop) == nil {
                    throw refuse("$.routing.demands[\(i)].paths[\(j)].nextHop", "'\(hop)' is not an IP address")
                }
            }
        }
        for (i, c) in spectrum.cells.enumerated() {
            guard c.bandwidthMHz >= 0, c.bandwidthMHz <= topMHz else {
                throw refuse("$.spectrum.cells[\(i)].bandwidthMHz", "must be 0 to 300000 MHz, found \(c.bandwidthMHz)")
            }
            for (j, run) in c.carriersMHz.enumerated() where run.count >= 2 {
                guard run[0] > 0, run[0] < run[1], run[1] <= topMHz else {
                    throw refuse("$.spectrum.cells[\(i)].carriersMHz[\(j)]",
                                 "must be a low and a higher edge within 0 to 300000 MHz, found \(run[0]) to \(run[1])")
                }
            }
        }
        // Forecasts, capacities and unmet demand as loads; efficiencies up to 100 bit/s/Hz (a
        // forecasts file's bound): 1e300 printed "forecast P90 1.8e+308 bit/s" and a 309-digit
        // efficiency in diff, and a P90 of 1e300 read as "No changes" (an audit).
        func checkForecast(_ f: ForecastRef, _ field: String) throws(PolicyError) {
            try checkLoad(f.point, "\(field).point")
            try checkLoad(f.upper, "\(field).upper")
            if let se = f.spectralEfficiency, !(0...100).contains(se) {
                throw refuse("\(field).spectralEfficiency", "must be 0 to 100 bit/s/Hz, found \(se)")
            }
        }
        for (i, d) in routing.demands.enumerated() { try checkForecast(d.forecast, "$.routing.demands[\(i)].forecast") }
        for (i, c) in spectrum.cells.enumerated() {
            try checkForecast(c.forecast, "$.spectrum.cells[\(i)].forecast")
            try checkLoad(c.capacity, "$.spectrum.cells[\(i)].capacity")
            try checkLoad(c.unmetDemand, "$.spectrum.cells[\(i)].unmetDemand")
        }
        // The plan's interval, as a forecasts file's window is checked: "garbage" to "x", or an
        // end before the start, was shown by diff as given.
        if let window = provenance.window {
            guard let start = ISOTime.date(window.start), let end = ISOTime.date(window.end), end >= start else {
                throw refuse("$.provenance.window", "start and end must be ISO 8601 times, the end not before the start "
                    + "(e.g. 2026-01-05T18:00:00Z), found \(window.start) to \(window.end)")
            }
        }
        for (loads, field) in [(predicted.links.map { ($0.load, $0.capacity, $0.utilisation) }, "$.predicted.links"),
                               (predicted.cells.map { ($0.load, $0.capacity, $0.utilisation) }, "$.predicted.cells")] {
            for (i, l) in loads.enumerated() {
                try checkLoad(l.0, "\(field)[\(i)].load")
                try checkLoad(l.1, "\(field)[\(i)].capacity")
                try checkLoad(l.2, "\(field)[\(i)].utilisation")
            }
        }
    }

    /// The first place where the document contradicts itself, as a JSON path and what is wrong;
    /// nil when every figure agrees with the others. A plan writes each figure from the same
    /// numbers, so a contradiction means a hand edit: a cell's blocks moved without its carriers
    /// (the diff showed the blocks; `export --to nrcelldu` configured the carriers), a bandwidth
    /// that is not its blocks', or a utilisation that is not load over capacity. Each was
    /// accepted until 6 December 2026, so a reviewer approved one thing and the exporters shipped
    /// another. Tolerances cover the document's own rounding (MHz to 3 places, utilisation to 4).
    public var consistencyProblem: (field: String, message: String)? {
        func mhz(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }
        // A cell's block width (its bandwidth over its blocks) and where its carriers put block 0
        // of its band; nil without blocks, bandwidth or a carrier.
        func plan(_ cell: CellDecision) -> (width: Double, origin: Double)? {
            guard let first = cell.blocks.min(), cell.bandwidthMHz > 0,
                  let low = cell.carriersMHz.compactMap({ $0.count == 2 ? $0[0] : nil }).min() else { return nil }
            let width = cell.bandwidthMHz / Double(cell.blocks.count)
            return (width, low - Double(first) * width)
        }
        // The document does not hold the band plan, but every cell of a band shares it: each band's
        // plan is the one most of its cells have (ties to the earlier cell, counted on the plans
        // rounded to a kHz), so a cell whose last block was dropped while its 100 MHz was kept
        // (11.1 MHz a block) or whose blocks moved without its carriers is the one named.
        var bands: [String: (cell: String, width: Double, origin: Double)] = [:]
        var votes: [String: [[Double]: (count: Int, first: (cell: String, width: Double, origin: Double))]] = [:]
        for cell in spectrum.cells {
            guard let p = plan(cell) else { continue }
            let key = [(p.width * 1000).rounded(), (p.origin * 1000).rounded()]
            votes[cell.band, default: [:]][key, default: (0, (cell.id, p.width, p.origin))].count += 1
        }
        let order = spectrum.cells.map(\.id)
        for (band, tally) in votes {
            bands[band] = tally.values.max { a, b in
                a.count != b.count ? a.count < b.count : order.firstIndex(of: a.first.cell)! > order.firstIndex(of: b.first.cell)!
            }!.first
        }
        for (i, cell) in spectrum.cells.enumerated() {
            let field = "$.spectrum.cells[\(i)]"
            if Set(cell.blocks).count != cell.blocks.count {
                return ("\(field).blocks", "block listed twice in cell '\(cell.id)'")
            }
            let runs = PolicyDocumentBuilder.runs(cell.blocks)
            guard !cell.blocks.isEmpty else {
                if cell.bandwidthMHz != 0 || !cell.carriersMHz.isEmpty {
                    return ("\(field).bandwidthMHz", "cell '\(cell.id)' has no blocks but \(mhz(cell.bandwidthMHz)) MHz "
                        + "and \(cell.carriersMHz.count) carrier\(cell.carriersMHz.count == 1 ? "" : "s")")
                }
                continue
            }
            let width = cell.bandwidthMHz / Double(cell.blocks.count)
            guard width > 0 else {
                return ("\(field).bandwidthMHz", "cell '\(cell.id)' has \(cell.blocks.count) blocks but a bandwidth of \(mhz(cell.bandwidthMHz)) MHz")
            }
            guard cell.carriersMHz.count == runs.count, cell.carriersMHz.allSatisfy({ $0.count == 2 }) else {
                return ("\(field).carriersMHz", "cell '\(cell.id)' has \(runs.count) run\(runs.count == 1 ? "" : "s") of adjacent blocks "
                    + "(\(runs.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)–\($0.upperBound)" }.joined(separator: ", "))) "
                    + "but \(cell.carriersMHz.count) carrier\(cell.carriersMHz.count == 1 ? "" : "s")")
            }
            let carriers = cell.carriersMHz.sorted { $0[0] < $1[0] }
            let origin = plan(cell)!.origin
            if let band = bands[cell.band], band.cell != cell.id {
                guard abs(band.width - width) <= 0.002 else {
                    return ("\(field).bandwidthMHz", "cell '\(cell.id)': \(mhz(cell.bandwidthMHz)) MHz over \(cell.blocks.count) blocks is "
                        + "\(mhz((width * 1000).rounded() / 1000)) MHz a block, but band \(cell.band)'s blocks are \(mhz(band.width)) MHz (cell '\(band.cell)')")
                }
                guard abs(band.origin - origin) <= 0.002 else {
                    return ("\(field).carriersMHz", "cell '\(cell.id)': its carriers put block 0 of band \(cell.band) at "
                        + "\(mhz((origin * 1000).rounded() / 1000)) MHz, but cell '\(band.cell)''s put it at \(mhz((band.origin * 1000).rounded() / 1000)) MHz")
                }
            }
            for (run, carrier) in zip(runs, carriers) {
                let low = origin + Double(run.lowerBound) * width, high = origin + Double(run.upperBound + 1) * width
                guard abs(carrier[0] - low) <= 0.002, abs(carrier[1] - high) <= 0.002 else {
                    return ("\(field).carriersMHz", "cell '\(cell.id)': blocks \(run.lowerBound)–\(run.upperBound) at \(mhz(width)) MHz a block "
                        + "are \(mhz((low * 1000).rounded() / 1000))–\(mhz((high * 1000).rounded() / 1000)) MHz beside its other carriers, "
                        + "but the carrier says \(mhz(carrier[0]))–\(mhz(carrier[1])) MHz")
                }
            }
        }
        if let problem = routingLoadProblem { return problem }
        // Each planned cell's predicted figures are its P90 and capacity, and there are no others
        // (a cell dropped from predicted.cells read as "No changes").
        var planned: [String: Int] = [:]
        for (i, cell) in spectrum.cells.enumerated() { planned[cell.id] = i }
        var predictedIDs = Set<String>()
        for (i, load) in predicted.cells.enumerated() {
            predictedIDs.insert(load.id)
            guard let c = planned[load.id] else {
                return ("$.predicted.cells[\(i)].id", "'\(load.id)' is not a cell of $.spectrum.cells")
            }
            let cell = spectrum.cells[c]
            guard abs(load.load - cell.forecast.upper) <= 0.5 + 1e-9 * load.load else {
                return ("$.predicted.cells[\(i)].load", "'\(load.id)' is at \(PolicyDocumentBuilder.rate(load.load)), but its forecast's P90 "
                    + "is \(PolicyDocumentBuilder.rate(cell.forecast.upper)) ($.spectrum.cells[\(c)].forecast.upper)")
            }
            guard abs(load.capacity - cell.capacity) <= 0.5 + 1e-9 * load.capacity else {
                return ("$.predicted.cells[\(i)].capacity", "'\(load.id)' has \(PolicyDocumentBuilder.rate(load.capacity)), but its plan gives it "
                    + "\(PolicyDocumentBuilder.rate(cell.capacity)) ($.spectrum.cells[\(c)].capacity)")
            }
        }
        if let missing = spectrum.cells.firstIndex(where: { !predictedIDs.contains($0.id) }) {
            return ("$.spectrum.cells[\(missing)]", "cell '\(spectrum.cells[missing].id)' has no entry in $.predicted.cells")
        }
        for (loads, name) in [(predicted.cells.map { ($0.id, $0.load, $0.capacity, $0.utilisation) }, "cells"),
                              (predicted.links.map { ($0.id, $0.load, $0.capacity, $0.utilisation) }, "links")] {
            for (i, l) in loads.enumerated() where l.2 > 0 {
                let expected = l.1 / l.2
                guard abs(l.3 - expected) <= 1e-4 + 1e-6 * expected else {
                    return ("$.predicted.\(name)[\(i)].utilisation", "'\(l.0)' is at \(l.3), but its load over its capacity is \(expected)")
                }
            }
        }
        return nil
    }

    /// Where the routing contradicts the predicted link loads: a plan writes each link's load as
    /// what its paths put on it, per direction (the node a path enters the link from) the sum of
    /// each demand's P90 times the path's weight, the busier direction; and the routing's
    /// `maxUtilisation` as the busiest link's utilisation. Until 6 December 2026 only load over
    /// capacity was checked, so a hand edit that moved 30 % of a demand left every link's figure
    /// as it was, and `diff` showed the move with no link busier or quieter; a path over a link
    /// the document does not list was accepted with no load anywhere; `maxUtilisation` raised to
    /// 90 % read as "No changes" (an audit). Tolerances are the document's own rounding: weights
    /// to four decimals, P90s and loads to whole bit/s, utilisations to four decimals.
    var routingLoadProblem: (field: String, message: String)? {
        let routed: [(load: Double, slack: Double)]
        switch routedLinkLoads {
        case .failure(let problem): return problem.pair
        case .success(let loads): routed = loads
        }
        var busiest = 0.0, busiestSlack = 0.0
        for (l, link) in predicted.links.enumerated() {
            let (expected, slack) = routed[l]
            guard abs(link.load - expected) <= slack else {
                return ("$.predicted.links[\(l)].load", "link '\(link.id)' is at \(PolicyDocumentBuilder.rate(link.load)), but the routing's "
                    + "paths put \(PolicyDocumentBuilder.rate(expected)) on it (each demand's P90 times its paths' weights)")
            }
            if link.capacity > 0 { busiest = max(busiest, expected / link.capacity); busiestSlack = max(busiestSlack, slack / link.capacity) }
        }
        if !predicted.links.isEmpty && abs(routing.maxUtilisation - busiest) > 1e-4 + busiestSlack {
            return ("$.routing.maxUtilisation", "is \(routing.maxUtilisation), but the busiest link under the routing is at "
                + "\(PolicyDocumentBuilder.round(busiest, 4))")
        }
        return nil
    }

    /// Each predicted link's load as the routing puts it there (the busier direction's sum of
    /// P90 × weight, a direction being the node a path enters the link from) and the slack the
    /// document's rounding allows around it; or where a path names a link the document does not
    /// list, or a link is entered from more than two nodes.
    var routedLinkLoads: Result<[(load: Double, slack: Double)], RoutingLoadProblem> {
        var index: [String: Int] = [:]
        for (i, link) in predicted.links.enumerated() { index[link.id] = i }
        var directions = [[String: (load: Double, slack: Double)]](repeating: [:], count: predicted.links.count)
        for (i, d) in routing.demands.enumerated() {
            for (j, p) in d.paths.enumerated() {
                for (k, link) in p.links.enumerated() {
                    guard let l = index[link] else {
                        return .failure(.init(field: "$.routing.demands[\(i)].paths[\(j)].links[\(k)]",
                                              message: "demand '\(d.id)' is routed over link '\(link)', which $.predicted.links does not list"))
                    }
                    guard p.weight > 0, k < p.nodes.count else { continue }
                    var entry = directions[l][p.nodes[k], default: (0, 0)]
                    entry.load += d.forecast.upper * p.weight
                    entry.slack += d.forecast.upper * 0.5e-4 + 0.5 * p.weight
                    directions[l][p.nodes[k]] = entry
                }
            }
        }
        var out: [(load: Double, slack: Double)] = []
        for (l, entries) in directions.enumerated() {
            guard entries.count <= 2 else {
                return .failure(.init(field: "$.predicted.links[\(l)]", message: "paths enter link '\(predicted.links[l].id)' from "
                    + "\(entries.count) nodes (\(entries.keys.sorted().joined(separator: ", "))); a link joins two"))
            }
            let load = entries.values.map(\.load).max() ?? 0
            out.append((load, 0.5 + (entries.values.map(\.slack).max() ?? 0) + 1e-9 * load))
        }
        return .success(out)
    }

    struct RoutingLoadProblem: Error {
        let field: String, message: String
        var pair: (field: String, message: String) { (field, message) }
    }

    /// This document with its predicted link loads, their utilisations and the routing's
    /// `maxUtilisation` recomputed from its paths, rounded as a plan writes them: for a routing
    /// edited by hand, which a read refuses while those figures still describe the old routing.
    /// Throws where `routedLinkLoads` finds no figure to compute (a path over a link the document
    /// does not list).
    public func withRoutingLoads() throws(PolicyError) -> PolicyDocument {
        let routed: [(load: Double, slack: Double)]
        switch routedLinkLoads {
        case .failure(let problem): throw .schemaViolation(path: "<policy>", field: problem.field, message: problem.message)
        case .success(let loads): routed = loads
        }
        var copy = self
        var busiest = 0.0
        for l in copy.predicted.links.indices {
            let capacity = copy.predicted.links[l].capacity
            copy.predicted.links[l].load = PolicyDocumentBuilder.round(routed[l].load, 0)
            copy.predicted.links[l].utilisation = capacity > 0 ? PolicyDocumentBuilder.round(routed[l].load / capacity, 4) : 0
            if capacity > 0 { busiest = max(busiest, routed[l].load / capacity) }
        }
        copy.routing.maxUtilisation = PolicyDocumentBuilder.round(busiest, 4)
        return copy
    }

    /// The demands whose path weights do not sum to 1 (within 0.01: plans write each weight to
    /// four decimals), with their sums, in document order. `diff` flags each; exports and
    /// `plan --current` refuse the first (an exporter that normalised them wrote a split of 4, or
    /// of 0.5, as whole, and one of all zeros was dropped as "no next-hop address").
    public var partialSplits: [(index: Int, id: String, sum: Double)] {
        routing.demands.enumerated().compactMap { i, d in
            let sum = d.paths.reduce(0) { $0 + $1.weight }
            return abs(sum - 1) > 0.01 ? (i, d.id, sum) : nil
        }
    }

    /// The first of `partialSplits`.
    public func demandWithPartialSplit() -> (index: Int, id: String, sum: Double)? { partialSplits.first }

    /// Ids and blocks the schema cannot say are unique (JSON Schema's `uniqueItems` compares whole
    /// items, not a key of them). A duplicate is refused, not read: `diff` would compare the first
    /// entry while an exporter writes every one, so a second `d-cell-2` with other weights would
    /// pass review as "No changes" and then reroute the demand on the routers.
    func checkUnique(path: String) throws(PolicyError) {
        /// The first entry that repeats an earlier one: (the earlier index, its index).
        func repeated<Key: Hashable>(_ keys: [Key]) -> (first: Int, again: Int)? {
            var seen: [Key: Int] = [:]
            for (i, key) in keys.enumerated() {
                if let j = seen[key] { return (j, i) }
                seen[key] = i
            }
            return nil
        }
        for (ids, field) in [(routing.demands.map(\.id), "$.routing.demands"), (spectrum.cells.map(\.id), "$.spectrum.cells"),
                             (predicted.links.map(\.id), "$.predicted.links"), (predicted.cells.map(\.id), "$.predicted.cells")] {
            if let r = repeated(ids) {
                throw .schemaViolation(path: path, field: "\(field)[\(r.again)].id", message: "duplicates \(field)[\(r.first)].id '\(ids[r.again])'")
            }
        }
        for (i, demand) in routing.demands.enumerated() {
            if let r = repeated(demand.paths.map(\.links)) {
                throw .schemaViolation(path: path, field: "$.routing.demands[\(i)].paths[\(r.again)]",
                                       message: "the same links as paths[\(r.first)] of '\(demand.id)'")
            }
            // A path walks its links from the demand's source to its destination, one node more
            // than links: the iproute export reads each hop's link beside its nodes (a next hop's
            // address is per link), so a hand edit that breaks the pairing would export another
            // link's address.
            for (j, p) in demand.paths.enumerated() {
                let field = "$.routing.demands[\(i)].paths[\(j)]"
                if p.nodes.count != p.links.count + 1 {
                    throw .schemaViolation(path: path, field: "\(field).nodes",
                                           message: "\(p.nodes.count) nodes for \(p.links.count) links; a path has one node more than links")
                }
                if p.nodes.first != demand.source || p.nodes.last != demand.destination {
                    throw .schemaViolation(path: path, field: "\(field).nodes",
                                           message: "runs \(p.nodes.first ?? "") → \(p.nodes.last ?? ""), not from '\(demand.id)''s source "
                                               + "'\(demand.source)' to its destination '\(demand.destination)'")
                }
            }
        }
        for (i, cell) in spectrum.cells.enumerated() {
            if let r = repeated(cell.blocks) {
                throw .schemaViolation(path: path, field: "$.spectrum.cells[\(i)].blocks", message: "block \(cell.blocks[r.again]) is listed twice")
            }
        }
    }

    /// Validates, then writes atomically (temporary file in the same folder, then rename).
    public func write(to url: URL) throws(PolicyError) {
        let data = try jsonData()
        try Self.validate(data, path: url.path)
        try Self.writeAtomically(data, to: url)
    }

    /// Writes bytes atomically (`AtomicFile`: a temporary sibling, then `rename(2)`), so readers
    /// never see half a file; errors carry the operating system's words.
    public static func writeAtomically(_ data: Data, to url: URL) throws(PolicyError) {
        do throws(AtomicFileError) {
            let file = try AtomicFile(path: url.path)
            data.withUnsafeBytes { file.write($0) }
            try file.commit()
        }
        catch { throw .io(path: error.path, message: error.reason) }
    }
}
