public import FlowcastCore
/// Where one packet belongs: a cell (from the first matching rule that names one) and the links
/// (from the first matching rule that names links).
public struct TopologyMatch: Hashable, Sendable {
    /// Index into `Topology.cells`, or nil when no rule gives a cell.
    public var cell: Int?
    /// Range into `TopologyMatcher.ruleLinks`; empty when no rule gives links.
    public var links: Range<Int>

    @inlinable public init(cell: Int?, links: Range<Int>) {
        self.cell = cell
        self.links = links
    }
}

/// Match rules compiled for per-packet use: hash lookups on the most selective criterion, then
/// a check of the remaining criteria; no allocation per call.
///
/// Semantics: rules are tried in file order. The first rule whose every criterion matches and
/// that names a cell gives the cell; likewise, independently, for links. Address criteria
/// (`gtpAddress`, `prefix`) match either the outer source or the outer destination.
public struct TopologyMatcher: Sendable {
    @usableFromInline struct CompiledRule: Sendable {
        @usableFromInline var cell: Int32       // -1: none
        @usableFromInline var links: Range<Int>
        @usableFromInline var hasAddress: Bool
        @usableFromInline var address: IPAddress
        @usableFromInline var hasPrefix: Bool
        @usableFromInline var prefix: IPPrefix
        @usableFromInline var teidLow: UInt32, teidHigh: UInt32, hasTEID: Bool
        @usableFromInline var vlan: UInt16, hasVLAN: Bool
        @usableFromInline var mpls: UInt32, hasMPLS: Bool
        @usableFromInline var interface: Int32  // -1: any
    }

    @usableFromInline let rules: [CompiledRule]
    /// Link indices of all rules, concatenated; `TopologyMatch.links` ranges into it.
    public let ruleLinks: [Int]
    /// Interface names used by rules; a rule's interface criterion compares against the position here.
    public let interfaceNames: [String]
    // Rule numbers (ascending) keyed by their most selective criterion.
    @usableFromInline let byAddress: [IPAddress: [Int32]]
    @usableFromInline let byVLAN: [UInt16: [Int32]]
    @usableFromInline let byMPLS: [UInt32: [Int32]]
    @usableFromInline let others: [Int32]
    /// Pre-filters in front of the lookups above: most packets carry addresses and a VLAN that
    /// no rule is keyed by, and a clear bit proves it after one cheap hash and a bit test, which
    /// spares those packets the dictionaries' SipHash (and `mayMatch` callers their match cache).
    /// `addressFilter`: one bit per `byAddress` key; `vlanFilter`: one bit per `byVLAN` key,
    /// the VLAN id itself being the position.
    @usableFromInline let addressFilter: BitFilter
    @usableFromInline let vlanFilter: BitFilter
    /// One bit per `byMPLS` key (hashed).
    @usableFromInline let mplsFilter: BitFilter
    /// True when some rule names an MPLS label (callers then key their caches by the label too).
    public let rulesUseMPLS: Bool
    /// When every rule in `others` names a prefix: the masks of their distinct prefix lengths,
    /// and in `prefixFilter` one bit per rule's network hashed with its mask's index (nil masks:
    /// no such filter, every packet may match one of `others`).
    @usableFromInline let prefixMasks: [(UInt64, UInt64)]?
    @usableFromInline let prefixFilter: BitFilter

    @inlinable func mayBeInPrefix(_ a: IPAddress) -> Bool {
        guard let masks = prefixMasks else { return true }
        let bits = a.mapped128
        for (i, m) in masks.enumerated()
        where prefixFilter.mayContain(BitFilter.hash(high: bits.high & m.0, low: bits.low & m.1, salt: i)) {
            return true
        }
        return false
    }
    @inlinable func mayName(_ a: IPAddress) -> Bool {
        addressFilter.mayContain(BitFilter.hash(high: a.high, low: a.low))
    }
    @inlinable func mayName(vlan v: UInt16) -> Bool { vlanFilter.mayContain(Int(v)) }
    @inlinable func mayName(mpls label: UInt32) -> Bool { mplsFilter.mayContain(BitFilter.hash(high: 0, low: UInt64(label), salt: 1)) }

    /// False when no rule can match a packet with these outer addresses, VLAN and MPLS label (a
    /// few bit tests): the caller may skip `match` and any cache in front of it.
    @inlinable public func mayMatch(source: IPAddress, destination: IPAddress, vlan: UInt16?, mpls: UInt32? = nil) -> Bool {
        let source = source.unmapped, destination = destination.unmapped
        if mayName(source) || mayName(destination) { return true }
        if let vlan, mayName(vlan: vlan) { return true }
        if let mpls, mayName(mpls: mpls) { return true }
        if others.isEmpty { return false }
        return mayBeInPrefix(source) || mayBeInPrefix(destination)
    }

    /// Compiles the topology's match rules.
    public init(_ topology: Topology) {
        var names: [String] = []
        var flat: [Int] = []
        var compiled: [CompiledRule] = []
        var byAddress: [IPAddress: [Int32]] = [:]
        var byVLAN: [UInt16: [Int32]] = [:]
        var byMPLS: [UInt32: [Int32]] = [:]
        var others: [Int32] = []
        let placeholderPrefix = try! IPPrefix(parsing: "::/0")
        for (i, r) in topology.rules.enumerated() {
            var interface: Int32 = -1
            if let name = r.interface {
                if let at = names.firstIndex(of: name) { interface = Int32(at) } else {
                    names.append(name)
                    interface = Int32(names.count - 1)
                }
            }
            let start = flat.count
            flat.append(contentsOf: r.links)
            compiled.append(CompiledRule(
                cell: Int32(r.cell ?? -1), links: start..<flat.count,
                hasAddress: r.gtpAddress != nil, address: r.gtpAddress ?? IPAddress(ipv4: 0),
                hasPrefix: r.prefix != nil, prefix: r.prefix ?? placeholderPrefix,
                teidLow: r.teid?.lowerBound ?? 0, teidHigh: r.teid?.upperBound ?? 0, hasTEID: r.teid != nil,
                vlan: r.vlan ?? 0, hasVLAN: r.vlan != nil, mpls: r.mpls ?? 0, hasMPLS: r.mpls != nil, interface: interface))
            if let a = r.gtpAddress { byAddress[a, default: []].append(Int32(i)) }
            else if let v = r.vlan { byVLAN[v, default: []].append(Int32(i)) }
            else if let label = r.mpls { byMPLS[label, default: []].append(Int32(i)) }
            else { others.append(Int32(i)) }
        }
        self.rules = compiled
        self.ruleLinks = flat
        self.interfaceNames = names
        self.byAddress = byAddress
        self.byVLAN = byVLAN
        self.byMPLS = byMPLS
        rulesUseMPLS = topology.rules.contains { $0.mpls != nil }
        self.others = others
        var addressFilter = BitFilter(bitCount: BitFilter.hashedBitCount)
        for a in byAddress.keys { addressFilter.insert(BitFilter.hash(high: a.high, low: a.low)) }
        var vlanFilter = BitFilter(bitCount: 1 << UInt16.bitWidth)
        for v in byVLAN.keys { vlanFilter.insert(Int(v)) }
        self.addressFilter = addressFilter
        self.vlanFilter = vlanFilter
        var mplsFilter = BitFilter(bitCount: BitFilter.hashedBitCount)
        for label in byMPLS.keys { mplsFilter.insert(BitFilter.hash(high: 0, low: UInt64(label), salt: 1)) }
        self.mplsFilter = mplsFilter
        var masks: [(UInt64, UInt64)] = []
        var prefixFilter = BitFilter(bitCount: BitFilter.hashedBitCount)
        let otherRules = others.map { compiled[Int($0)] }
        if otherRules.allSatisfy(\.hasPrefix) {
            for rule in otherRules {
                let m = (rule.prefix.maskHigh, rule.prefix.maskLow)
                let i = masks.firstIndex { $0 == m } ?? { masks.append(m); return masks.count - 1 }()
                prefixFilter.insert(BitFilter.hash(high: rule.prefix.networkHigh, low: rule.prefix.networkLow, salt: i))
            }
            self.prefixMasks = masks
        } else {
            self.prefixMasks = nil
        }
        self.prefixFilter = prefixFilter
    }

    /// The id to pass as `interface` for a capture interface name, or nil if no rule names it.
    public func interfaceID(named name: String) -> Int32? {
        interfaceNames.firstIndex(of: name).map { Int32($0) }
    }

    /// Link indices of a match (a slice of `ruleLinks`, no copy).
    @inlinable public func links(of match: TopologyMatch) -> ArraySlice<Int> { ruleLinks[match.links] }

    /// The link at `index` of `ruleLinks`, for a loop over a match's `links` range: per packet,
    /// iterating the slice of `links(of:)` retained and released its buffer.
    @inlinable public func link(at index: Int) -> Int { ruleLinks[index] }

    /// Matches one packet's plain values.
    /// - Parameters:
    ///   - source: outer source address (the GTP-U tunnel endpoint when tunnelled), if IP.
    ///   - destination: outer destination address, if IP.
    ///   - teid: GTP-U TEID when tunnelled.
    ///   - vlan: outermost 802.1Q VLAN id when tagged.
    ///   - interface: capture interface id from `interfaceID(named:)`, or -1 when unknown.
    ///   - mpls: outermost MPLS label when labelled.
    @inlinable public func match(source: IPAddress?, destination: IPAddress?, teid: UInt32?, vlan: UInt16?,
                                 interface: Int32 = -1, mpls: UInt32? = nil) -> TopologyMatch {
        // Rules name hosts in one form; a packet may carry an IPv4 host IPv4-mapped in IPv6.
        let source = source?.unmapped, destination = destination?.unmapped
        // The best rules so far go through `scan` inout: a nested function capturing them as
        // mutable locals put each in a heap box on every call (4 allocations per match, on every
        // miss of the classifier's match cache).
        var best = BestRules()
        if let source, mayName(source), let list = byAddress[source] {
            scan(list, &best, source, destination, teid, vlan, interface, mpls)
        }
        if let destination, destination != source, mayName(destination), let list = byAddress[destination] {
            scan(list, &best, source, destination, teid, vlan, interface, mpls)
        }
        if let vlan, mayName(vlan: vlan), let list = byVLAN[vlan] { scan(list, &best, source, destination, teid, vlan, interface, mpls) }
        if let mpls, mayName(mpls: mpls), let list = byMPLS[mpls] { scan(list, &best, source, destination, teid, vlan, interface, mpls) }
        scan(others, &best, source, destination, teid, vlan, interface, mpls)
        return TopologyMatch(cell: best.cell >= 0 ? Int(best.cell) : nil, links: best.links)
    }

    /// The first rule (lowest index) that names a cell and the first that names links, so far.
    @usableFromInline struct BestRules {
        @usableFromInline var cellRule = Int32.max, linksRule = Int32.max
        @usableFromInline var cell: Int32 = -1
        @usableFromInline var links: Range<Int> = 0..<0
        @inlinable init() {}
    }

    /// Tries the rules of `list` (in index order) that could still improve `best`.
    @inlinable @inline(__always)
    func scan(_ list: [Int32], _ best: inout BestRules, _ source: IPAddress?, _ destination: IPAddress?, _ teid: UInt32?,
              _ vlan: UInt16?, _ interface: Int32, _ mpls: UInt32?) {
        for r in list {
            if r >= best.cellRule && r >= best.linksRule { return }
            let rule = rules[Int(r)]
            guard matches(rule, source, destination, teid, vlan, interface, mpls) else { continue }
            if rule.cell >= 0 && r < best.cellRule { best.cellRule = r; best.cell = rule.cell }
            if !rule.links.isEmpty && r < best.linksRule { best.linksRule = r; best.links = rule.links }
        }
    }

    /// Matches an IPv4 packet given outer addresses as 32-bit values in host order.
    @inlinable public func match(ipv4Source: UInt32, ipv4Destination: UInt32, teid: UInt32?, vlan: UInt16?,
                                 interface: Int32 = -1) -> TopologyMatch {
        match(source: IPAddress(ipv4: ipv4Source), destination: IPAddress(ipv4: ipv4Destination),
              teid: teid, vlan: vlan, interface: interface)
    }

    /// Matches an IPv6 packet given outer addresses as (high, low) 64-bit halves.
    @inlinable public func match(ipv6Source: (UInt64, UInt64), ipv6Destination: (UInt64, UInt64), teid: UInt32?,
                                 vlan: UInt16?, interface: Int32 = -1) -> TopologyMatch {
        match(source: IPAddress(ipv6High: ipv6Source.0, low: ipv6Source.1),
              destination: IPAddress(ipv6High: ipv6Destination.0, low: ipv6Destination.1),
              teid: teid, vlan: vlan, interface: interface)
    }

    @inlinable func matches(_ rule: CompiledRule, _ source: IPAddress?, _ destination: IPAddress?, _ teid: UInt32?,
                            _ vlan: UInt16?, _ interface: Int32, _ mpls: UInt32? = nil) -> Bool {
        if rule.hasAddress && rule.address != source && rule.address != destination { return false }
        if rule.hasPrefix {
            let inSource = source.map { rule.prefix.contains($0) } ?? false
            let inDestination = destination.map { rule.prefix.contains($0) } ?? false
            if !inSource && !inDestination { return false }
        }
        if rule.hasTEID {
            guard let teid, teid >= rule.teidLow, teid <= rule.teidHigh else { return false }
        }
        if rule.hasVLAN && rule.vlan != vlan { return false }
        if rule.hasMPLS && rule.mpls != mpls { return false }
        if rule.interface >= 0 && rule.interface != interface { return false }
        return true
    }
}
