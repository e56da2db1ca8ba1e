internal import FlowcastCore
import Foundation
import Yams

/// A reference to another entry by id, with the line it was written on.
struct RawRef: Sendable {
    var id: String
    var line: Int
}

struct RawBand { var id: String; var low: Double; var high: Double; var block: Double; var line: Int; var idLine: Int }
struct RawNode { var id: String; var kind: String?; var address: IPAddress?; var line: Int }
struct RawCell {
    var id: String; var band: RawRef
    var minBlocks: Int?; var maxBlocks: Int?; var minMHz: Double?; var maxMHz: Double?
    var se: Double?; var kpiSource: String?; var neighbours: [RawRef]; var contiguous: Bool; var site: RawRef?
    var globalID: String? = nil
    var slice: NetworkSlice? = nil
    var cqiTable: String? = nil
    var observer: String? = nil
    var line: Int; var boundsLine: Int; var seLine: Int
}
struct RawLink {
    var id: String; var a: RawRef; var b: RawRef; var capacity: Double; var weight: Double; var line: Int; var capacityLine: Int; var weightLine: Int
    var observer: String? = nil
    /// `addresses`: an end's node id (with its line) → that end's interface address on the link.
    var addresses: [(node: RawRef, address: IPAddress)] = []
}
struct RawDemand { var id: String; var source: RawRef; var destination: RawRef; var cells: [RawRef]; var paths: [(links: [RawRef], line: Int)]; var prefix: IPPrefix?; var line: Int }
struct RawRule {
    var cell: RawRef?; var links: [RawRef]
    var gtpAddress: IPAddress?; var teid: ClosedRange<UInt32>?; var vlan: UInt16?; var prefix: IPPrefix?; var interface: String?
    var mpls: UInt32? = nil
    var line: Int
}
struct RawTopology {
    var bands: [RawBand] = []
    var nodes: [RawNode] = []
    var cells: [RawCell] = []
    var links: [RawLink] = []
    var demands: [RawDemand] = []
    var rules: [RawRule] = []
    var slice: NetworkSlice?
}

extension TopologyLoader {
    mutating func parseBand(_ m: Fields, _ line: Int) -> RawBand? {
        checkKeys(m, ["id", "lowMHz", "highMHz", "blockMHz"], in: "band")
        let id = string(m, "id", line, in: "band", required: true)
        let what = "band '\(id ?? "?")'"
        let low = number(m, "lowMHz", line, in: what, required: true)
        let high = number(m, "highMHz", line, in: what, required: true)
        let block = number(m, "blockMHz", line, in: what, required: true)
        guard let id, let low, let high, let block else { return nil }
        return RawBand(id: id, low: low, high: high, block: block, line: line, idLine: keyLine(m, "id", line))
    }

    mutating func parseNode(_ m: Fields, _ line: Int) -> RawNode? {
        checkKeys(m, ["id", "kind", "address"], in: "node")
        guard let id = string(m, "id", line, in: "node", required: true) else { return nil }
        var address: IPAddress?
        if let text = string(m, "address", line, in: "node '\(id)'") {
            address = IPAddress(text)?.unmapped
            if address == nil { report(keyLine(m, "address", line), "bad address '\(text)' for node '\(id)'") }
        }
        return RawNode(id: id, kind: string(m, "kind", line, in: "node '\(id)'"), address: address, line: line)
    }

    mutating func ref(_ m: Fields, _ key: String, _ line: Int, in what: String, required: Bool = true) -> RawRef? {
        string(m, key, line, in: what, required: required).map { RawRef(id: $0, line: keyLine(m, key, line)) }
    }

    mutating func parseCell(_ m: Fields, _ line: Int) -> RawCell? {
        checkKeys(m, ["id", "band", "minBlocks", "maxBlocks", "minMHz", "maxMHz", "peakSpectralEfficiency",
                      "kpiSource", "cqiTable", "neighbours", "contiguous", "site", "globalId", "slice", "observer"], in: "cell")
        let id = string(m, "id", line, in: "cell", required: true)
        let what = "cell '\(id ?? "?")'"
        let band = ref(m, "band", line, in: what)
        let neighbours = strings(m, "neighbours", line, in: what).map { RawRef(id: $0.0, line: $0.1) }
        var cell = RawCell(
            id: id ?? "", band: band ?? RawRef(id: "", line: line),
            minBlocks: integer(m, "minBlocks", line, in: what), maxBlocks: integer(m, "maxBlocks", line, in: what),
            minMHz: number(m, "minMHz", line, in: what), maxMHz: number(m, "maxMHz", line, in: what),
            se: number(m, "peakSpectralEfficiency", line, in: what), kpiSource: string(m, "kpiSource", line, in: what),
            neighbours: neighbours, contiguous: bool(m, "contiguous", line, in: what) ?? false,
            site: ref(m, "site", line, in: what, required: false),
            line: line, boundsLine: keyLine(m, "maxBlocks", keyLine(m, "maxMHz", line)),
            seLine: keyLine(m, "peakSpectralEfficiency", line))
        if let source = cell.kpiSource, !source.hasPrefix("/"), file != "<topology>" {
            // A relative radio-KPI log is found beside the topology file, wherever flowcast runs.
            let folder = URL(fileURLWithPath: file).deletingLastPathComponent()
            cell.kpiSource = URL(fileURLWithPath: source, relativeTo: folder).standardizedFileURL.path
        }
        if let table = string(m, "cqiTable", line, in: what) {
            // TS 38.214 §5.2.2.1: the CQI table the cell's UEs report against (RRC cqi-Table).
            if ["table1", "table2-256qam"].contains(table) {
                cell.cqiTable = table
            } else {
                report(keyLine(m, "cqiTable", line), "\(what): cqiTable '\(table)' is not table1 or table2-256qam")
            }
            if cell.kpiSource == nil { report(keyLine(m, "cqiTable", line), "\(what): cqiTable is given without a kpiSource") }
        }
        if let global = string(m, "globalId", line, in: what) {
            // `ecgi:MCC-MNC-ECI` or `ncgi:MCC-MNC-NCI`, as GTPv2-C ULI names the cell.
            if let identity = GlobalCellID(global) {
                cell.globalID = identity.description
            } else {
                report(keyLine(m, "globalId", line), "\(what): globalId '\(global)' is not ecgi:MCC-MNC-ECI (ECI 0–268435455) "
                       + "or ncgi:MCC-MNC-NCI (NCI 0–68719476735)")
            }
        }
        if let node = m["slice"] { cell.slice = parseSlice(node, in: what) }
        cell.observer = observer(m, line, in: what)
        guard id != nil, band != nil else { return nil }
        return cell
    }

    /// An S-NSSAI: `{ sst: 1, sd: "000001" }` (SST 0–255; SD, when given, six hex digits).
    mutating func parseSlice(_ node: Yams.Node, in what: String) -> NetworkSlice? {
        let line = Self.line(node)
        guard let m = node.mapping.map(Fields.init) else {
            report(line, "'slice' in \(what) must be a mapping such as { sst: 1, sd: \"000001\" }")
            return nil
        }
        checkKeys(m, ["sst", "sd"], in: "the slice of \(what)")
        // Both fields are checked before either refuses, so every problem is listed at once.
        var valid = true
        let sst = integer(m, "sst", line, in: "the slice of \(what)")
        if sst == nil {
            if m["sst"] == nil { report(line, "the slice of \(what) is missing required 'sst'") }
            valid = false
        } else if !(0...255).contains(sst!) {
            report(keyLine(m, "sst", line), "the slice of \(what) has sst \(sst!); expected 0–255")
            valid = false
        }
        let sd = string(m, "sd", line, in: "the slice of \(what)")
        if let sd, !(sd.count == 6 && sd.allSatisfy(\.isHexDigit)) {
            report(keyLine(m, "sd", line), "the slice of \(what) has sd '\(sd)'; expected six hexadecimal digits such as \"000001\"")
            valid = false
        }
        guard valid, let sst else { return nil }
        var slice = NetworkSlice(sst: sst)
        slice.sd = sd
        return slice
    }

    mutating func parseLink(_ m: Fields, _ line: Int) -> RawLink? {
        checkKeys(m, ["id", "a", "b", "capacity", "weight", "observer", "addresses"], in: "link")
        let id = string(m, "id", line, in: "link", required: true)
        let what = "link '\(id ?? "?")'"
        let a = ref(m, "a", line, in: what)
        let b = ref(m, "b", line, in: what)
        let capacity = number(m, "capacity", line, in: what, required: true)
        let weight = number(m, "weight", line, in: what) ?? 1
        let observer = observer(m, line, in: what)
        guard let id, let a, let b else { return nil }
        // A capacity that is missing or not a number is reported above; the link is kept with a
        // stand-in so that rules and paths naming it do not each report it unknown as well.
        return RawLink(id: id, a: a, b: b, capacity: capacity ?? 1, weight: weight, line: line,
                       capacityLine: keyLine(m, "capacity", line), weightLine: keyLine(m, "weight", line), observer: observer,
                       addresses: m["addresses"].map { linkAddresses($0, in: what) } ?? [])
    }

    /// `addresses: { NODE: ADDRESS, … }`: each end's interface address on a link, the next hop a
    /// route exporter gives for traffic toward that end over this link. Whether each key is one of
    /// the link's ends is checked once nodes are resolved.
    mutating func linkAddresses(_ node: Yams.Node, in what: String) -> [(node: RawRef, address: IPAddress)] {
        guard let mapping = node.mapping else {
            report(Self.line(node), "'addresses' in \(what) must be a mapping of its ends' node ids to addresses, "
                + "such as { site-1: 192.0.2.0, agg-1: 192.0.2.1 }")
            return []
        }
        var out: [(node: RawRef, address: IPAddress)] = []
        for (key, value) in mapping {
            let line = Self.line(key)
            guard case .scalar(let k) = key, !k.string.isEmpty, k.string.unprintableCharacter == nil else {
                report(line, "'addresses' in \(what) must be keyed by node ids")
                continue
            }
            guard case .scalar(let v) = value, let address = IPAddress(v.string)?.unmapped else {
                report(Self.line(value), "bad address '\(value.string ?? "a collection")' for node '\(k.string)' in the addresses of \(what)")
                continue
            }
            // A link's address exists to be a next hop: one no route can use is refused here. (A
            // node's `address` is also a drafted topology's record of a GTP-U end, so the
            // exporter, not the loader, leaves out a route through an unusable one.)
            if let why = address.nextHopProblem {
                report(Self.line(value), "address \(address) for node '\(k.string)' in the addresses of \(what) is \(why); "
                    + "it cannot be a next hop")
                continue
            }
            out.append((RawRef(id: k.string, line: line), address))
        }
        return out
    }

    /// `observer: SITE`: the tap site whose lines alone count for a cell or link (flowcast planner).
    /// A site name is a non-empty string without spaces.
    mutating func observer(_ m: Fields, _ line: Int, in what: String) -> String? {
        guard let site = string(m, "observer", line, in: what) else { return nil }
        guard !site.isEmpty, !site.contains(where: \.isWhitespace) else {
            report(keyLine(m, "observer", line), "\(what): observer '\(site)' is not a site name (non-empty, no spaces)")
            return nil
        }
        return site
    }

    mutating func parseDemand(_ m: Fields, _ line: Int) -> RawDemand? {
        checkKeys(m, ["id", "source", "destination", "cells", "paths", "prefix"], in: "demand")
        let id = string(m, "id", line, in: "demand", required: true)
        let what = "demand '\(id ?? "?")'"
        let source = ref(m, "source", line, in: what)
        let destination = ref(m, "destination", line, in: what)
        let cells = strings(m, "cells", line, in: what).map { RawRef(id: $0.0, line: $0.1) }
        var paths: [(links: [RawRef], line: Int)] = []
        if let node = m["paths"] {
            if let seq = node.sequence {
                for p in seq {
                    guard let links = p.sequence, !links.isEmpty else {
                        report(Self.line(p), "each path of \(what) must be a non-empty list of link ids")
                        continue
                    }
                    paths.append((links.map { RawRef(id: $0.string ?? "", line: Self.line($0)) }, Self.line(p)))
                }
            } else {
                report(Self.line(node), "'paths' in \(what) must be a list of paths (lists of link ids)")
            }
        }
        var prefix: IPPrefix?
        if let text = string(m, "prefix", line, in: what) {
            prefix = try? IPPrefix(parsing: text)
            if prefix == nil { report(keyLine(m, "prefix", line), "bad prefix '\(text)' in \(what)") }
        }
        guard let id, let source, let destination else { return nil }
        return RawDemand(id: id, source: source, destination: destination, cells: cells, paths: paths, prefix: prefix, line: line)
    }

    mutating func parseRule(_ m: Fields, _ line: Int) -> RawRule? {
        checkKeys(m, ["cell", "links", "gtpAddress", "teid", "vlan", "mpls", "prefix", "interface"], in: "match rule")
        let what = "match rule"
        var rule = RawRule(cell: ref(m, "cell", line, in: what, required: false),
                           links: strings(m, "links", line, in: what).map { RawRef(id: $0.0, line: $0.1) }, line: line)
        var ok = true
        if let text = string(m, "gtpAddress", line, in: what) {
            if let a = IPAddress(text)?.unmapped { rule.gtpAddress = a } else {
                report(keyLine(m, "gtpAddress", line), "bad GTP-U address '\(text)' in match rule (expected IPv4 or IPv6)")
                ok = false
            }
        }
        if let text = string(m, "prefix", line, in: what) {
            do { rule.prefix = try IPPrefix(parsing: text) } catch {
                let why: String
                switch error {
                case .badAddress: why = "not an IPv4/IPv6 address"
                case .badLength: why = "prefix length out of range"
                case .hostBitsSet: why = "host bits set beyond the prefix length"
                }
                report(keyLine(m, "prefix", line), "bad prefix '\(text)' in match rule: \(why)")
                ok = false
            }
        }
        if let node = m["teid"] {
            rule.teid = teidRange(node)
            ok = ok && rule.teid != nil
        }
        if let v = integer(m, "vlan", line, in: what) {
            if (0...4095).contains(v) { rule.vlan = UInt16(v) } else {
                report(keyLine(m, "vlan", line), "VLAN \(v) in match rule is outside 0…4095")
                ok = false
            }
        }
        if let v = integer(m, "mpls", line, in: what) {
            if (0...1_048_575).contains(v) { rule.mpls = UInt32(v) } else {
                report(keyLine(m, "mpls", line), "MPLS label \(v) in match rule is outside 0…1048575")
                ok = false
            }
        }
        rule.interface = string(m, "interface", line, in: what)
        if rule.cell == nil && rule.links.isEmpty {
            report(line, "match rule names neither 'cell' nor 'links'")
        }
        if ok && rule.gtpAddress == nil && rule.prefix == nil && rule.teid == nil && rule.vlan == nil && rule.mpls == nil
            && rule.interface == nil {
            report(line, "match rule has no criterion (gtpAddress, teid, vlan, mpls, prefix or interface)")
        }
        // A rule with a bad value is kept for the validator, which then checks its cell and link
        // references too: every problem is listed at once (an unknown cell in a rule with a bad
        // VLAN went unsaid until the VLAN was fixed). Any problem reported stops the load, so
        // the rule is never used.
        return rule
    }

    /// A TEID range: a single value, `[low, high]`, or `low-high` text.
    mutating func teidRange(_ node: Yams.Node) -> ClosedRange<UInt32>? {
        var bounds: [String] = []
        if let seq = node.sequence { bounds = seq.map { $0.string ?? "" } }
        else if let s = node.string {
            bounds = s.contains("-") ? s.split(separator: "-").map { String($0).trimmingCharacters(in: .whitespaces) } : [s]
        }
        let values = bounds.map { Self.parseNumber($0) }
        guard (1...2).contains(values.count), values.allSatisfy({ $0.map { $0 >= 0 && $0 <= Double(UInt32.max) && $0 == $0.rounded() } ?? false }) else {
            report(Self.line(node), "bad TEID range in match rule (expected a value, [low, high] or low-high within 0…0xFFFFFFFF)")
            return nil
        }
        let low = UInt32(values[0]!), high = UInt32(values.last!!)
        guard low <= high else {
            report(Self.line(node), "TEID range in match rule has low \(low) above high \(high)")
            return nil
        }
        return low...high
    }
}
