import Foundation
import Yams
public import FlowcastCore

/// What a topology may hold (docs/limits.md). Beyond a bound, loading fails with a problem naming
/// the file and the line of the first entry beyond it.
public enum TopologyLimits {
    /// 16 MiB. The largest topology in the repository is 13 KB (Abilene); a cell entry is 80–150
    /// bytes of YAML, so 16 MiB holds more entries than the count bounds below allow. Loading a
    /// 16 MiB file of 184,363 cells peaked at 400 MB (release build, docs/limits.md).
    public static let maximumFileBytes = 16 << 20
    /// 1 MiB. Topology lines are under 200 bytes; a flow-style list (`cells: [a, b, …]`) of every
    /// one of `maximumCells` ids still fits.
    public static let maximumLineBytes = 1 << 20
    /// 65,536 cells (static ones; cells learned from signalling are bounded by the aggregator).
    /// Every window writes a windows.jsonl line per cell and link (about 300 bytes): 65,536 of
    /// them are 20 MB per window, and the planner's problem grows with cells × demands.
    public static let maximumCells = 65_536
    /// 65,536 links, for the same reasons as cells.
    public static let maximumLinks = 65_536
    /// 65,536 entries in each of the other lists (bands, nodes, demands, match rules).
    public static let maximumEntries = 65_536
    /// 4,096 blocks in one band. A 400 MHz band in NR resource blocks (180 kHz) is 2,223; every
    /// spectrum plan walks each cell's blocks, and 3 million blocks (0.0001 MHz ones) held `plan`
    /// in the greedy for over 40 s.
    public static let maximumBlocksPerBand = 4_096
    /// Link capacities, bit/s: 1 bit/s to 1 Pbit/s (the bound on a demand's rate, too). Outside
    /// that they are a unit mistake, and the routing LP's utilisation rows (rate / capacity) left
    /// Clp's range: 1e-9 was called infeasible, 1e30 and 1e-300 ended in "unexpected solver
    /// status 4/0".
    public static let capacityRange: ClosedRange<Double> = 1 ... maximumRate
    /// Largest rate anything carries, bit/s: 1 Pbit/s, a thousand times the fastest router port
    /// (link capacities here; forecasts, scenarios and policies' loads, `ForecastSet.maximumRate`).
    public static let maximumRate = 1e15
    /// 16,777,215 (2²⁴ − 1): the largest IS-IS wide metric (OSPF's is 65,535). A weight of 1e300
    /// made path costs Clp's assertion refuses (objective coefficients under 1e25) and aborted.
    public static let maximumWeight = 16_777_215.0
    /// Spectrum efficiencies, bit/s/Hz: CQI 1 of TS 38.214 is 0.15 and 256QAM over eight layers
    /// about 60. A peak efficiency of 1e-25 aborted `plan` inside Clp (a cell's need in blocks,
    /// and with it the MIP's objective, beyond 1e25); 1e-20 was called "infeasible". Forecasts
    /// files are held to the same range (`ForecastSet.efficiencyRange`).
    public static let efficiencyRange = 0.001...100.0

    public static let fileBounds = InputBounds(what: "topology file", maximumBytes: maximumFileBytes,
                                               maximumLineBytes: maximumLineBytes)
}

extension Topology {
    /// Loads and validates the topology at `path`, reporting every problem at once.
    public init(contentsOfFile path: String) throws(TopologyError) {
        let bytes: [UInt8]
        do {
            bytes = try BoundedInput.read(path: path, bounds: TopologyLimits.fileBounds)
        } catch {
            if case .unreadable(let reason) = error.problem {
                throw TopologyError(problems: [TopologyProblem(file: path, line: 0, message: "cannot read file: \(reason)")])
            }
            throw TopologyError(problems: [TopologyProblem(file: path, line: error.line, message: error.reason)])
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw TopologyError(problems: [TopologyProblem(file: path, line: 0, message: "cannot read file: not UTF-8 text")])
        }
        try self.init(yaml: text, file: path)
    }

    /// Parses and validates topology YAML; `file` names the source in problems.
    public init(yaml: String, file: String = "<topology>") throws(TopologyError) {
        var loader = TopologyLoader(file: file)
        let topology = loader.load(yaml)
        loader.problems.sort { ($0.line, $0.message) < ($1.line, $1.message) }
        guard loader.problems.isEmpty, let topology else { throw TopologyError(problems: loader.problems) }
        self = topology
    }
}

/// Turns YAML nodes into a `Topology`, collecting problems instead of stopping at the first.
struct TopologyLoader {
    let file: String
    var problems: [TopologyProblem] = []
    /// A list was longer than its bound (`TopologyLimits`).
    var boundCrossed = false

    init(file: String) { self.file = file }

    mutating func report(_ line: Int, _ message: String) {
        problems.append(TopologyProblem(file: file, line: line, message: message))
    }

    mutating func load(_ text: String) -> Topology? {
        // A byte order mark (a Windows editor's UTF-8) is no content: libyaml refused the file at
        // line 3 with "did not find expected <document start>" (an audit).
        let yaml = text.unicodeScalars.first == "\u{FEFF}" ? String(text.unicodeScalars.dropFirst()) : text
        // YAML 1.1 line breaks other than CR and LF (NEL, LS, PS) are read as breaks inside a
        // value and folded to a space: an id holding U+0085 became "l 3" without a word.
        var line = 1
        for scalar in yaml.unicodeScalars {
            if scalar == "\n" { line += 1; continue }
            if scalar == "\u{85}" || scalar == "\u{2028}" || scalar == "\u{2029}" {
                report(line, "\(scalar.codePoint) is a line break to YAML 1.1, read as a "
                    + "space inside a value; not allowed (end lines with LF or CR LF)")
                return nil
            }
        }
        let root: Yams.Node?
        do {
            // The basic resolver leaves every scalar a string: the loader parses its own numbers,
            // booleans and nulls, and the default resolver's regular expressions (run on every
            // scalar and again on every key looked up) were most of the loading time.
            root = try Yams.compose(yaml: yaml, .basic)
        } catch let error as YamlError {
            reportYAML(error)
            return nil
        } catch {
            report(0, "YAML: \(error)")
            return nil
        }
        guard let root else {
            report(1, "topology file is empty; expected a mapping with bands, cells, nodes, links, demands, match")
            return nil
        }
        // A tag needs a '!' in the text: most files have none, and skip the walk.
        if yaml.utf8.contains(UInt8(ascii: "!")) { checkTags(root) }
        // A list or a lone value is not empty: said once, as what it is (it was both).
        guard let top = mapping(root, "topology") else { return nil }
        checkKeys(top, ["bands", "cells", "nodes", "links", "demands", "match", "slice"], in: "topology")
        var raw = RawTopology()
        if let node = top["slice"] { raw.slice = parseSlice(node, in: "the topology") }
        let E = TopologyLimits.maximumEntries
        for (entry, line) in entries(top, "bands", bound: E) { if let b = parseBand(entry, line) { raw.bands.append(b) } }
        for (entry, line) in entries(top, "nodes", bound: E) { if let n = parseNode(entry, line) { raw.nodes.append(n) } }
        for (entry, line) in entries(top, "cells", bound: TopologyLimits.maximumCells) {
            if let c = parseCell(entry, line) { raw.cells.append(c) }
        }
        for (entry, line) in entries(top, "links", bound: TopologyLimits.maximumLinks) {
            if let l = parseLink(entry, line) { raw.links.append(l) }
        }
        for (entry, line) in entries(top, "demands", bound: E) { if let d = parseDemand(entry, line) { raw.demands.append(d) } }
        for (entry, line) in entries(top, "match", bound: E) { if let r = parseRule(entry, line) { raw.rules.append(r) } }
        // Past a bound the topology is refused: the rest is not resolved.
        if boundCrossed { return nil }
        var validator = TopologyValidator(raw: raw)
        let topology = validator.resolve()
        for p in validator.problems { report(p.line, p.message) }
        return topology
    }

    mutating func reportYAML(_ error: YamlError) {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let where_ = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
            report(mark.line, "YAML syntax: \(problem)\(where_)")
        case let .duplicatedKeysInMapping(duplicates, context):
            report(context.mark.line, "duplicate keys in mapping: \(duplicates.joined(separator: ", "))")
        case let .reader(problem, offset, value, yaml):
            // One line at the line it names, the character as a code point: its description was
            // three lines (the raw line, control characters and all, and a caret).
            var line = 0
            if let offset {
                line = 1
                for (i, scalar) in yaml.unicodeScalars.enumerated() {
                    if i >= offset { break }
                    if scalar == "\n" { line += 1 }
                }
            }
            let code = value >= 0 ? Unicode.Scalar(UInt32(value)).map { " (\($0.codePoint))" } ?? "" : ""
            report(line, "YAML: \(problem)\(code)")
        default:
            report(0, "YAML: \(error)")
        }
    }

    // MARK: YAML access helpers

    static func line(_ node: Yams.Node) -> Int { node.mark?.line ?? 0 }

    /// A tag other than YAML's own core ones (`!!str`, `!!int`, …) is a problem at its line: the
    /// loader reads every value by its key whatever the tag, so `!secret`, `!include` or
    /// `!!binary` would be silently read as the text after it (they were). At most 20 are named,
    /// and at most a million nodes walked (an alias repeated in aliases is walked once per use).
    mutating func checkTags(_ root: Yams.Node) {
        let core: Set<String> = ["str", "int", "float", "bool", "null", "map", "seq"].reduce(into: []) { $0.insert("tag:yaml.org,2002:" + $1) }
        var stack = [root], visited = 0, found = 0
        while let node = stack.popLast(), visited < 1_000_000, found < 20 {
            visited += 1
            let tag = node.tag.description
            if !core.contains(tag) {
                found += 1
                let shown = tag.hasPrefix("tag:yaml.org,2002:") ? "!!" + tag.dropFirst(18) : tag
                report(Self.line(node), "tag '\(shown.visible)' is not one Flowcast reads (only YAML's core tags: !!str, !!int, !!float, !!bool, "
                    + "!!null, !!map, !!seq)")
            }
            switch node {
            case .mapping(let m): for (key, value) in m.reversed() { stack.append(value); stack.append(key) }
            case .sequence(let q): stack.append(contentsOf: q.reversed())
            default: break
            }
        }
    }

    /// A YAML mapping with its text keys hashed once. Yams's own `Mapping[String]` builds a node
    /// for the key and compares it with every key in turn; the loader looks up a dozen keys per
    /// entry. Yams has already refused duplicate keys, so each text key is here once.
    struct Fields {
        let keys: [Yams.Node]
        private var values: [String: Yams.Node] = [:]

        init(_ mapping: Yams.Node.Mapping) {
            keys = Array(mapping.keys)
            values.reserveCapacity(keys.count)
            for (key, value) in mapping { if case .scalar(let s) = key { values[s.string] = value } }
        }

        subscript(_ key: String) -> Yams.Node? { values[key] }
    }

    mutating func mapping(_ node: Yams.Node, _ what: String) -> Fields? {
        guard let m = node.mapping else {
            report(Self.line(node), "\(what) must be a mapping (key: value)")
            return nil
        }
        return Fields(m)
    }

    /// The entries of a top-level list, each with its line. A list longer than `bound` is a
    /// problem at the first entry beyond it, and only the first `bound` entries are returned.
    mutating func entries(_ top: Fields, _ key: String, bound: Int = .max) -> [(Fields, Int)] {
        guard let node = top[key] else { return [] }
        if case .scalar(let s) = node, s.string.isEmpty || s.string == "~" || s.string == "null" { return [] }
        guard let seq = node.sequence else {
            report(Self.line(node), "'\(key)' must be a list")
            return []
        }
        if seq.count > bound {
            boundCrossed = true
            report(Self.line(seq[bound]), "more than \(bound) entries in '\(key)' (the bound, docs/limits.md); this is entry \(bound + 1)")
        }
        var out: [(Fields, Int)] = []
        for item in seq.prefix(bound) {
            if let m = mapping(item, "each entry of '\(key)'") { out.append((m, Self.line(item))) }
        }
        return out
    }

    mutating func checkKeys(_ m: Fields, _ allowed: Set<String>, in what: String) {
        for key in m.keys {
            guard let k = key.string else { continue }
            if !allowed.contains(k) {
                report(Self.line(key), "unknown key '\(k)' in \(what) (expected one of: \(allowed.sorted().joined(separator: ", ")))")
            }
        }
    }

    func keyLine(_ m: Fields, _ key: String, _ fallback: Int) -> Int {
        m[key].map(Self.line) ?? fallback
    }

    mutating func string(_ m: Fields, _ key: String, _ line: Int, in what: String, required: Bool = false) -> String? {
        guard let node = m[key] else {
            if required { report(line, "\(what) is missing required '\(key)'") }
            return nil
        }
        guard case .scalar(let s) = node, !s.string.isEmpty else {
            report(Self.line(node), "'\(key)' in \(what) must be a non-empty text value")
            return nil
        }
        // Ids and names reach policies, diffs and reports, which show them one per line: a
        // newline or an escape sequence in one would forge lines there, and a bidirectional
        // override would make it read as another id (policy documents refuse them too).
        if let bad = s.string.unprintableCharacter {
            report(Self.line(node), "'\(key)' in \(what) contains \(bad)")
            return nil
        }
        // A plain `~` or `null` is YAML's null, not a name: `id: null` became a cell named "null",
        // and `band: null` matched it (an audit). Quoted, it is the text.
        // An optional one that is null is absent, as an empty list is.
        if s.style == .plain, ["~", "null", "Null", "NULL"].contains(s.string) {
            if required { report(Self.line(node), "'\(key)' in \(what) is null (YAML's \(s.string)); quote it if it is the text") }
            return nil
        }
        // " l3 " and "l3" are two ids that read as one wherever they are shown.
        if s.string.first?.isWhitespace == true || s.string.last?.isWhitespace == true {
            report(Self.line(node), "'\(key)' in \(what) begins or ends with a space: '\(s.string)'")
            return nil
        }
        return s.string
    }

    /// A number; accepts `1e9`, `10_000`, `0x1F` and the suffixes k/K, M, G/g, T/t (×1000) for rates.
    mutating func number(_ m: Fields, _ key: String, _ line: Int, in what: String, required: Bool = false) -> Double? {
        guard let node = m[key] else {
            if required { report(line, "\(what) is missing required '\(key)'") }
            return nil
        }
        guard case .scalar(let s) = node, let v = Self.parseNumber(s.string) else {
            // "10m" is milli in SI, and no rate is a thousandth of a bit/s: said, not guessed.
            let text = node.string ?? ""
            if text.hasSuffix("m"), Self.parseNumber(String(text.dropLast())) != nil {
                report(Self.line(node), "'\(key)' in \(what) must be a number, got '\(text.visible)': m is milli; write \(text.dropLast())M for mega")
                return nil
            }
            report(Self.line(node), "'\(key)' in \(what) must be a number, got '\(node.string ?? "a collection")'")
            return nil
        }
        return v
    }

    static func parseNumber(_ text: String) -> Double? {
        var t = text.replacingOccurrences(of: "_", with: "").trimmingCharacters(in: .whitespaces)
        var sign = 1.0
        if t.hasPrefix("-") { sign = -1; t.removeFirst() } else if t.hasPrefix("+") { t.removeFirst() }
        if t.lowercased().hasPrefix("0x") { return UInt64(t.dropFirst(2), radix: 16).map { sign * Double($0) } }
        var scale = 1.0
        // k and K, G and g, T and t are one each (10g is how many write 10 Gbit/s); m is not M.
        if let last = t.last, let s = ["k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "g": 1e9, "T": 1e12, "t": 1e12][last] {
            scale = s
            t.removeLast()
        }
        guard !t.isEmpty, let v = Double(t), v.isFinite else { return nil }
        return sign * v * scale
    }

    mutating func integer(_ m: Fields, _ key: String, _ line: Int, in what: String) -> Int? {
        guard let v = number(m, key, line, in: what) else { return nil }
        guard v == v.rounded(), abs(v) < 1e15 else {
            report(keyLine(m, key, line), "'\(key)' in \(what) must be a whole number, got \(v)")
            return nil
        }
        return Int(v)
    }

    mutating func bool(_ m: Fields, _ key: String, _ line: Int, in what: String) -> Bool? {
        guard let node = m[key] else { return nil }
        guard let b = Self.bool(node) else {
            report(Self.line(node), "'\(key)' in \(what) must be true or false")
            return nil
        }
        return b
    }

    /// YAML 1.1's booleans, as Yams's default resolver read them: a plain (unquoted) scalar
    /// true/yes/on or false/no/off in any case; a quoted one is text.
    static func bool(_ node: Yams.Node) -> Bool? {
        guard case .scalar(let s) = node, s.style == .plain else { return nil }
        switch s.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: return nil
        }
    }

    /// A list of text values (a single value is accepted as a one-element list).
    mutating func strings(_ m: Fields, _ key: String, _ line: Int, in what: String) -> [(String, Int)] {
        guard let node = m[key] else { return [] }
        if case .scalar(let s) = node, !s.string.isEmpty { return [(s.string, Self.line(node))] }
        guard let seq = node.sequence else {
            report(Self.line(node), "'\(key)' in \(what) must be a list of ids")
            return []
        }
        var out: [(String, Int)] = []
        // An id listed twice is a slip (often a typo of another id), and not a harmless one: a
        // match rule listing a link twice would count its traffic on that link twice, a demand
        // listing a cell twice would count that cell's load twice.
        var firstLine: [String: Int] = [:]
        for item in seq {
            guard case .scalar(let s) = item, !s.string.isEmpty else {
                report(Self.line(item), "each entry of '\(key)' in \(what) must be an id")
                continue
            }
            if let first = firstLine[s.string] {
                report(Self.line(item), "'\(key)' in \(what) lists '\(s.string)' twice (first at line \(first))")
                continue
            }
            firstLine[s.string] = Self.line(item)
            out.append((s.string, Self.line(item)))
        }
        return out
    }
}
