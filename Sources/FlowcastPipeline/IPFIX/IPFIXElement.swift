// IPFIX export is written by hand here: no maintained Swift IPFIX library exists, libfixbuf (C)
// would add a system-library target and a GLib dependency for what is a few hundred lines of
// big-endian encoding, and the encoder only writes (it never has to parse what others send).
// libfixbuf stays the reference: the tests read this encoder's output with its ipfixDump.

/// An information element as a template names it (RFC 7011 §3.2): element id, enterprise
/// number (0 for IANA's), length on the wire (`variableLength` for strings), and, for the
/// elements Flowcast defines, what RFC 5610 type records tell a collector about it.
struct IPFIXElement: Sendable, Hashable {
    var id: UInt16
    var enterprise: UInt32
    var length: UInt16
    var name: String
    var dataType: DataType
    var semantics: Semantics
    var units: UInt16
    var summary: String

    /// RFC 7011 §7: a field of variable length.
    static let variableLength: UInt16 = 0xFFFF

    /// Data types of RFC 7012 §3.1 with the codes of IANA's "IPFIX Information Element Data
    /// Types" registry (RFC 5610 §3.1).
    enum DataType: UInt8, Sendable {
        case octetArray = 0, unsigned8 = 1, unsigned16 = 2, unsigned32 = 3, unsigned64 = 4
        case string = 13, dateTimeMilliseconds = 15, ipv4Address = 18, ipv6Address = 19
    }
    /// RFC 5610 §3.2 (IANA "IPFIX Information Element Semantics").
    enum Semantics: UInt8, Sendable {
        case `default` = 0, quantity = 1, totalCounter = 2, deltaCounter = 3, identifier = 4, flags = 5
    }

    init(_ id: UInt16, enterprise: UInt32 = 0, _ length: UInt16, _ name: String, _ dataType: DataType,
         semantics: Semantics = .default, units: UInt16 = 0, _ summary: String = "") {
        self.id = id; self.enterprise = enterprise; self.length = length; self.name = name
        self.dataType = dataType; self.semantics = semantics; self.units = units; self.summary = summary
    }
}

extension IPFIXElement {
    /// The Private Enterprise Number of Flowcast's own elements: 32473, the number IANA keeps
    /// for documentation and examples (RFC 5612). It can never belong to a real vendor, so
    /// Flowcast's fields cannot be mistaken for anyone else's; change it here if Flowcast is
    /// ever given a PEN of its own (docs/ipfix.md lists every element).
    static let flowcastEnterprise: UInt32 = 32473

    // IANA elements (https://www.iana.org/assignments/ipfix), lengths as Flowcast sends them
    // (reduced-size encoding, RFC 7011 §6.2, where the registry's type is wider).
    // The bytes of the flow's IP datagrams (the outermost: a GTP-U flow's with its tunnel headers),
    // as IANA defines it and routers' NetFlow counts; until 7 December 2026 the frames' bytes.
    static let octetDeltaCount = IPFIXElement(1, 8, "octetDeltaCount", .unsigned64, semantics: .deltaCounter, units: 2)
    // The frames' bytes, link-layer header included (what flows.jsonl's bytes_ab/bytes_ba count).
    static let layer2OctetDeltaCount = IPFIXElement(352, 8, "layer2OctetDeltaCount", .unsigned64, semantics: .deltaCounter, units: 2)
    static let packetDeltaCount = IPFIXElement(2, 8, "packetDeltaCount", .unsigned64, semantics: .deltaCounter, units: 3)
    static let protocolIdentifier = IPFIXElement(4, 1, "protocolIdentifier", .unsigned8, semantics: .identifier)
    // One byte (the eight flags a flow table keeps): pmacct's nfacctd 1.7 reads tcpControlBits
    // only at that size and stored 0 for every flow of two (an audit); nfdump reads either.
    static let tcpControlBits = IPFIXElement(6, 1, "tcpControlBits", .unsigned16, semantics: .flags)
    static let sourceTransportPort = IPFIXElement(7, 2, "sourceTransportPort", .unsigned16, semantics: .identifier)
    static let sourceIPv4Address = IPFIXElement(8, 4, "sourceIPv4Address", .ipv4Address)
    static let destinationTransportPort = IPFIXElement(11, 2, "destinationTransportPort", .unsigned16, semantics: .identifier)
    static let destinationIPv4Address = IPFIXElement(12, 4, "destinationIPv4Address", .ipv4Address)
    static let sourceIPv6Address = IPFIXElement(27, 16, "sourceIPv6Address", .ipv6Address)
    static let destinationIPv6Address = IPFIXElement(28, 16, "destinationIPv6Address", .ipv6Address)
    static let icmpTypeCodeIPv4 = IPFIXElement(32, 2, "icmpTypeCodeIPv4", .unsigned16, semantics: .identifier)
    static let vlanId = IPFIXElement(58, 2, "vlanId", .unsigned16, semantics: .identifier)
    static let icmpTypeCodeIPv6 = IPFIXElement(139, 2, "icmpTypeCodeIPv6", .unsigned16, semantics: .identifier)
    static let flowEndReason = IPFIXElement(136, 1, "flowEndReason", .unsigned8, semantics: .identifier)
    static let observationPointId = IPFIXElement(138, 4, "observationPointId", .unsigned32, semantics: .identifier)
    static let flowId = IPFIXElement(148, 8, "flowId", .unsigned64, semantics: .identifier)
    static let flowStartMilliseconds = IPFIXElement(152, 8, "flowStartMilliseconds", .dateTimeMilliseconds)
    static let flowEndMilliseconds = IPFIXElement(153, 8, "flowEndMilliseconds", .dateTimeMilliseconds)
    static let biflowDirection = IPFIXElement(239, 1, "biflowDirection", .unsigned8, semantics: .identifier)
    // Sampling (RFC 5477 PSAMP systematic count-based sampling: 1 packet taken, N − 1 skipped).
    // Not the older samplingInterval/samplingAlgorithm (34/35, deprecated by RFC 7270): nfdump
    // 1.7.1 scales by 305/306, or by 34 alone, but silently ignores the pair 34 and 35.
    static let samplingPacketInterval = IPFIXElement(305, 4, "samplingPacketInterval", .unsigned32, semantics: .quantity, units: 3)
    static let samplingPacketSpace = IPFIXElement(306, 4, "samplingPacketSpace", .unsigned32, semantics: .quantity, units: 3)
    static let observationDomainId = IPFIXElement(149, 4, "observationDomainId", .unsigned32, semantics: .identifier)
    // RFC 5610 type records.
    static let informationElementId = IPFIXElement(303, 2, "informationElementId", .unsigned16, semantics: .identifier)
    static let informationElementDataType = IPFIXElement(339, 1, "informationElementDataType", .unsigned8)
    static let informationElementDescription = IPFIXElement(340, variableLength, "informationElementDescription", .string)
    static let informationElementName = IPFIXElement(341, variableLength, "informationElementName", .string)
    static let informationElementRangeBegin = IPFIXElement(342, 8, "informationElementRangeBegin", .unsigned64)
    static let informationElementRangeEnd = IPFIXElement(343, 8, "informationElementRangeEnd", .unsigned64)
    static let informationElementSemantics = IPFIXElement(344, 1, "informationElementSemantics", .unsigned8)
    static let informationElementUnits = IPFIXElement(345, 2, "informationElementUnits", .unsigned16)
    static let privateEnterpriseNumber = IPFIXElement(346, 4, "privateEnterpriseNumber", .unsigned32, semantics: .identifier)

    // Flowcast's elements (enterprise 32473). Numbers are stable: never reuse or renumber one.
    static let tunnelSourceIPv4Address = IPFIXElement(1, enterprise: flowcastEnterprise, 4, "tunnelSourceIPv4Address", .ipv4Address,
        "Source address of the outermost IPv4 header of a tunnelled flow (GTP-U: the sending eNodeB/gNodeB or UPF).")
    static let tunnelDestinationIPv4Address = IPFIXElement(2, enterprise: flowcastEnterprise, 4, "tunnelDestinationIPv4Address", .ipv4Address,
        "Destination address of the outermost IPv4 header of a tunnelled flow.")
    static let tunnelSourceIPv6Address = IPFIXElement(3, enterprise: flowcastEnterprise, 16, "tunnelSourceIPv6Address", .ipv6Address,
        "Source address of the outermost IPv6 header of a tunnelled flow.")
    static let tunnelDestinationIPv6Address = IPFIXElement(4, enterprise: flowcastEnterprise, 16, "tunnelDestinationIPv6Address", .ipv6Address,
        "Destination address of the outermost IPv6 header of a tunnelled flow.")
    static let gtpTeidUplink = IPFIXElement(5, enterprise: flowcastEnterprise, 4, "gtpTeidUplink", .unsigned32, semantics: .identifier,
        "GTP-U TEID of the flow's uplink packets (first seen); 0 when none was seen.")
    static let gtpTeidDownlink = IPFIXElement(6, enterprise: flowcastEnterprise, 4, "gtpTeidDownlink", .unsigned32, semantics: .identifier,
        "GTP-U TEID of the flow's downlink packets (first seen); 0 when none was seen.")
    static let qosFlowIdentifier = IPFIXElement(7, enterprise: flowcastEnterprise, 1, "qosFlowIdentifier", .unsigned8, semantics: .identifier,
        "5G QoS Flow Identifier from the PDU Session Container of the flow's first packet; 255 when absent.")
    static let radioDirection = IPFIXElement(8, enterprise: flowcastEnterprise, 1, "radioDirection", .unsigned8, semantics: .identifier,
        "Direction of this record's packets relative to the radio: 1 uplink, 2 downlink.")
    static let cellECGI = IPFIXElement(9, enterprise: flowcastEnterprise, variableLength, "cellECGI", .string,
        "E-UTRAN cell global identity of the flow's cell as MCC-MNC-ECI; empty when not known.")
    static let cellNCGI = IPFIXElement(10, enterprise: flowcastEnterprise, variableLength, "cellNCGI", .string,
        "NR cell global identity of the flow's cell as MCC-MNC-NCI; empty when not known.")
    static let cellName = IPFIXElement(11, enterprise: flowcastEnterprise, variableLength, "cellName", .string,
        "The flow's cell as the topology names it; empty when the flow matched no cell.")

    /// Every element Flowcast defines, for RFC 5610 type records and the collectors' files.
    static let flowcastElements: [IPFIXElement] = [
        tunnelSourceIPv4Address, tunnelDestinationIPv4Address, tunnelSourceIPv6Address, tunnelDestinationIPv6Address,
        gtpTeidUplink, gtpTeidDownlink, qosFlowIdentifier, radioDirection, cellECGI, cellNCGI, cellName,
    ]
}
