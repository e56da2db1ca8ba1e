/// The templates Flowcast exports flows with: one per combination of inner address family and
/// tunnel (none, over IPv4, over IPv6), so no record carries an address it does not have, each
/// twice: without and with the ICMP type and code.
///
/// Every template starts with the same fields in the same order; tunnelled ones add the outer
/// endpoints, TEIDs and QFI; all end with the three variable-length cell strings.
///
/// Only ICMP and ICMPv6 flows use the templates with `icmpTypeCodeIPv4`/`IPv6`: nfdump 1.7.1
/// reads that element into the destination port of every record that is not TCP or UDP, so an
/// SCTP record (S1AP, NGAP, Diameter, M3UA) carrying it showed destination port 0 there.
struct IPFIXTemplate: Sendable {
    enum Outer: Int, Sendable { case none = 0, ipv4 = 1, ipv6 = 2 }

    let id: UInt16
    let innerIPv6: Bool
    let outer: Outer
    /// Carries the ICMP type and code (after the ports): the template of ICMP and ICMPv6 flows.
    let icmp: Bool
    let fields: [IPFIXElement]

    /// Template ids: 256 + inner family + 2 × outer family (256–261); the ICMP ones 8 above
    /// (264–269), past the options templates 262 and 263. In `all`, the six without ICMP first.
    static let all: [IPFIXTemplate] = [false, true].flatMap { icmp in
        [false, true].flatMap { v6 in [Outer.none, .ipv4, .ipv6].map { IPFIXTemplate(innerIPv6: v6, outer: $0, icmp: icmp) } }
    }.sorted { $0.id < $1.id }

    /// The options template of the RFC 5610 type records.
    static let typeRecordTemplateID: UInt16 = 262
    static let typeRecordScope: [IPFIXElement] = [.privateEnterpriseNumber, .informationElementId]
    /// RFC 5610 makes the range optional; libfixbuf recognises type records only with it.
    static let typeRecordFields: [IPFIXElement] = typeRecordScope + [
        .informationElementDataType, .informationElementSemantics, .informationElementUnits,
        .informationElementRangeBegin, .informationElementRangeEnd,
        .informationElementName, .informationElementDescription,
    ]

    /// The options template of the sampling record, sent only when the tap is sampled: scope
    /// `observationDomainId`, then `samplingPacketInterval` (1) and `samplingPacketSpace` (N − 1)
    /// for a 1-in-N tap.
    static let samplingTemplateID: UInt16 = 263
    static let samplingScope: [IPFIXElement] = [.observationDomainId]
    static let samplingFields: [IPFIXElement] = samplingScope + [.samplingPacketInterval, .samplingPacketSpace]

    static func id(innerIPv6: Bool, outer: Outer, icmp: Bool) -> UInt16 {
        256 + (innerIPv6 ? 1 : 0) + 2 * UInt16(outer.rawValue) + (icmp ? 8 : 0)
    }

    static func forFlow(innerIPv6: Bool, outer: Outer, icmp: Bool) -> IPFIXTemplate {
        all[(icmp ? 6 : 0) + (innerIPv6 ? 1 : 0) + 2 * outer.rawValue]
    }

    /// Whether a flow of this IP protocol uses an ICMP template: ICMP and ICMPv6.
    static func isICMP(_ ipProtocol: UInt8?) -> Bool { ipProtocol == 1 || ipProtocol == 58 }

    private init(innerIPv6: Bool, outer: Outer, icmp: Bool) {
        self.innerIPv6 = innerIPv6
        self.outer = outer
        self.icmp = icmp
        id = Self.id(innerIPv6: innerIPv6, outer: outer, icmp: icmp)
        var f: [IPFIXElement] = [
            .flowId, .observationPointId, .biflowDirection, .protocolIdentifier,
            innerIPv6 ? .sourceIPv6Address : .sourceIPv4Address,
            innerIPv6 ? .destinationIPv6Address : .destinationIPv4Address,
            .sourceTransportPort, .destinationTransportPort,
        ]
        if icmp { f.append(innerIPv6 ? .icmpTypeCodeIPv6 : .icmpTypeCodeIPv4) }
        f += [
            .tcpControlBits, .octetDeltaCount, .layer2OctetDeltaCount, .packetDeltaCount, .flowStartMilliseconds, .flowEndMilliseconds,
            .vlanId, .flowEndReason, .radioDirection,
        ]
        switch outer {
        case .none: break
        case .ipv4: f += [.tunnelSourceIPv4Address, .tunnelDestinationIPv4Address]
        case .ipv6: f += [.tunnelSourceIPv6Address, .tunnelDestinationIPv6Address]
        }
        if outer != .none { f += [.gtpTeidUplink, .gtpTeidDownlink, .qosFlowIdentifier] }
        f += [.cellECGI, .cellNCGI, .cellName]
        fields = f
    }

    /// The template record (RFC 7011 §3.4.1).
    func appendRecord(to out: inout [UInt8]) {
        out.appendBigEndian(id)
        out.appendBigEndian(UInt16(fields.count))
        for field in fields { field.appendSpecifier(to: &out) }
    }

    /// The options template record of the type records (RFC 7011 §3.4.2.2, RFC 5610 §3.9).
    static func appendTypeRecordTemplate(to out: inout [UInt8]) {
        appendOptionsTemplate(typeRecordTemplateID, fields: typeRecordFields, scope: typeRecordScope.count, to: &out)
    }

    /// The options template record of the sampling record.
    static func appendSamplingTemplate(to out: inout [UInt8]) {
        appendOptionsTemplate(samplingTemplateID, fields: samplingFields, scope: samplingScope.count, to: &out)
    }

    private static func appendOptionsTemplate(_ id: UInt16, fields: [IPFIXElement], scope: Int, to out: inout [UInt8]) {
        out.appendBigEndian(id)
        out.appendBigEndian(UInt16(fields.count))
        out.appendBigEndian(UInt16(scope))
        for field in fields { field.appendSpecifier(to: &out) }
    }
}

extension IPFIXElement {
    /// The field specifier (RFC 7011 §3.2): the enterprise bit and number for Flowcast's own.
    func appendSpecifier(to out: inout [UInt8]) {
        out.appendBigEndian(enterprise != 0 ? id | 0x8000 : id)
        out.appendBigEndian(length)
        if enterprise != 0 { out.appendBigEndian(enterprise) }
    }

    /// The RFC 5610 type record that describes this element.
    func appendTypeRecord(to out: inout [UInt8]) {
        out.appendBigEndian(enterprise)
        out.appendBigEndian(id)
        out.append(dataType.rawValue)
        out.append(semantics.rawValue)
        out.appendBigEndian(units)
        out.appendBigEndian(UInt64(0))  // range: none (0 to 0)
        out.appendBigEndian(UInt64(0))
        out.appendVariableLength(Array(name.utf8))
        out.appendVariableLength(Array(summary.utf8))
    }
}

extension [UInt8] {
    @inline(__always) mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        var v = value.bigEndian
        Swift.withUnsafeBytes(of: &v) { append(contentsOf: $0) }
    }

    /// A variable-length field (RFC 7011 §7): one length byte below 255, else 255 and two bytes.
    mutating func appendVariableLength(_ bytes: [UInt8]) {
        if bytes.count < 255 {
            append(UInt8(bytes.count))
        } else {
            append(255)
            appendBigEndian(UInt16(Swift.min(bytes.count, 0xFFFF)))
        }
        append(contentsOf: bytes.prefix(0xFFFF))
    }

    /// Overwrites two bytes at `offset` with `value`, big-endian.
    mutating func setBigEndian(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(value >> 8); self[offset + 1] = UInt8(value & 0xFF)
    }

    /// Overwrites four bytes at `offset` with `value`, big-endian.
    mutating func setBigEndian(_ value: UInt32, at offset: Int) {
        setBigEndian(UInt16(value >> 16), at: offset); setBigEndian(UInt16(value & 0xFFFF), at: offset + 2)
    }
}
