internal import FlowcastAggregate
internal import FlowcastCore

/// Packs templates and flow records into IPFIX messages (RFC 7011) for one transport session.
///
/// Messages never exceed `maximumMessageSize` bytes (the path MTU less IP and UDP headers, for
/// UDP); consecutive records of one template share a set. The header's sequence number counts
/// the data records (flow and type records) sent in the session before the message, as §3.1
/// asks; template records do not count. `emit` receives each message as it is completed, with
/// the number of data records in it.
struct IPFIXEncoder {
    let observationDomain: UInt32
    let maximumMessageSize: Int
    /// N of a 1-in-N sampled tap (`replay --sampling`); 1 when every packet was seen.
    let samplingInterval: UInt32
    /// Export time (seconds since the epoch) to stamp a message with.
    var clock: () -> UInt32

    /// Data records in completed messages: the next message's sequence number.
    private(set) var sequenceNumber: UInt32 = 0
    private(set) var messages = 0
    private(set) var records = 0
    private var message: [UInt8] = []
    private var recordsInMessage: UInt32 = 0
    /// Where the open set starts in `message`, and its set id.
    private var setStart = -1
    private var setID: UInt16 = 0
    private var scratch: [UInt8] = []
    private var scratchReverse: [UInt8] = []
    /// Flows with records in the open message.
    private var flowsInMessage = 0

    static let headerLength = 16
    /// The smallest message size that still fits every template and the longest fixed record.
    static let minimumMessageSize = 512

    init(observationDomain: UInt32, maximumMessageSize: Int, samplingInterval: UInt32 = 1, clock: @escaping () -> UInt32) {
        self.observationDomain = observationDomain
        self.samplingInterval = max(1, samplingInterval)
        self.maximumMessageSize = max(Self.minimumMessageSize, min(maximumMessageSize, 65535))
        self.clock = clock
        message.reserveCapacity(self.maximumMessageSize)
        scratch.reserveCapacity(512)
    }

    /// The type-record options template and, with `typeRecords`, one type record per Flowcast
    /// element (RFC 5610); for a sampled tap the sampling options template and its record; then
    /// every flow template: a collector that learns elements from type records knows them by the
    /// time it reads the templates that use them.
    ///
    /// Type records go out at the start of a session (and after a UDP send failed), not with every
    /// refresh: nfdump 1.7 counts only flow records against the header's sequence number, so every
    /// options data record in a refresh showed there as a lost message. The sampling record goes
    /// with every refresh all the same: a collector that restarted scales nothing without it.
    mutating func appendTemplates(typeRecords: Bool = true, emit: ([UInt8], Int) -> Void) {
        scratch.removeAll(keepingCapacity: true)
        IPFIXTemplate.appendTypeRecordTemplate(to: &scratch)
        append(set: 3, record: scratch, isData: false, emit: emit)
        if typeRecords {
            for element in IPFIXElement.flowcastElements {
                scratch.removeAll(keepingCapacity: true)
                element.appendTypeRecord(to: &scratch)
                append(set: IPFIXTemplate.typeRecordTemplateID, record: scratch, isData: true, emit: emit)
            }
        }
        if samplingInterval > 1 {
            scratch.removeAll(keepingCapacity: true)
            IPFIXTemplate.appendSamplingTemplate(to: &scratch)
            append(set: 3, record: scratch, isData: false, emit: emit)
            scratch.removeAll(keepingCapacity: true)
            scratch.appendBigEndian(observationDomain)
            scratch.appendBigEndian(UInt32(1))  // one packet taken …
            scratch.appendBigEndian(samplingInterval - 1)  // … then N − 1 not
            append(set: IPFIXTemplate.samplingTemplateID, record: scratch, isData: true, emit: emit)
        }
        for template in IPFIXTemplate.all {
            scratch.removeAll(keepingCapacity: true)
            template.appendRecord(to: &scratch)
            append(set: 2, record: scratch, isData: false, emit: emit)
        }
    }

    /// One record per direction that carried packets: A→B as the initiator's (biflowDirection 1),
    /// B→A as the responder's (2), both with the flow's flowId (docs/ipfix.md, "Pairing").
    ///
    /// A flow's records go in one message where they fit one (a message is then whole flows): a
    /// TCP session that fails on a message sends that message again in the next session and the
    /// flows after it anew, and a flow split across the two would send one direction twice.
    mutating func append(_ flow: IPFIXFlow, emit: ([UInt8], Int) -> Void) {
        let innerIPv6 = flow.addressA.isIPv6 || flow.addressB.isIPv6
        var outer = IPFIXTemplate.Outer.none
        if let (s, d) = flow.tunnelEndpoints { outer = s.isIPv6 || d.isIPv6 ? .ipv6 : .ipv4 }
        let template = IPFIXTemplate.forFlow(innerIPv6: innerIPv6, outer: outer, icmp: IPFIXTemplate.isICMP(flow.ipProtocol))
        let forward = flow.hasForwardRecord, backward = flow.hasReverseRecord
        scratch.removeAll(keepingCapacity: true)
        scratchReverse.removeAll(keepingCapacity: true)
        if forward { encode(flow, reverse: false, template: template, into: &scratch) }
        if backward { encode(flow, reverse: true, template: template, into: &scratchReverse) }
        let needsSet = setStart < 0 || setID != template.id
        let growth = scratch.count + scratchReverse.count + (needsSet ? 4 : 0)
        if !message.isEmpty && message.count + growth > maximumMessageSize { flush(emit: emit) }
        if forward { append(set: template.id, record: scratch, isData: true, emit: emit) }
        if backward { append(set: template.id, record: scratchReverse, isData: true, emit: emit) }
        flowsInMessage += 1
    }

    /// The records of the open message, not yet sent, taken out of it so that templates can go
    /// before them (`restore` puts them back in a message of their own).
    struct HeldRecords {
        fileprivate let sets: ArraySlice<UInt8>
        fileprivate let records: UInt32, flows: Int, setStart: Int, setID: UInt16
    }

    /// Takes the open message's records out (nil when none is open); the message is then empty.
    mutating func holdOpenMessage() -> HeldRecords? {
        guard !message.isEmpty else { return nil }
        let held = HeldRecords(sets: message[Self.headerLength...], records: recordsInMessage, flows: flowsInMessage,
                               setStart: setStart, setID: setID)
        message.removeAll(keepingCapacity: true)
        recordsInMessage = 0
        flowsInMessage = 0
        setStart = -1
        return held
    }

    /// Opens a message holding `held`'s records again, after whatever was sent meanwhile: its
    /// header has the sequence number and export time of now. Called with no message open.
    mutating func restore(_ held: HeldRecords) {
        precondition(message.isEmpty, "restore with a message open")
        startMessage()
        message.append(contentsOf: held.sets)
        recordsInMessage = held.records
        flowsInMessage = held.flows
        setStart = held.setStart
        setID = held.setID
    }

    /// Drops the open message (a live run's stop past its deadline) and returns how many flows
    /// it held; the sequence number is not advanced, as nothing was sent.
    mutating func discardOpenMessage() -> Int {
        let flows = message.isEmpty ? 0 : flowsInMessage
        message.removeAll(keepingCapacity: true)
        recordsInMessage = 0
        flowsInMessage = 0
        setStart = -1
        return flows
    }

    /// Completes the open message, if any.
    mutating func flush(emit: ([UInt8], Int) -> Void) {
        guard !message.isEmpty else { return }
        closeSet()
        let length = UInt16(message.count)
        message.setBigEndian(length, at: 2)
        emit(message, Int(recordsInMessage))
        sequenceNumber &+= recordsInMessage
        records += Int(recordsInMessage)
        messages += 1
        message.removeAll(keepingCapacity: true)
        recordsInMessage = 0
        flowsInMessage = 0
    }

    /// A whole message sent again in this session (a TCP reconnect: one the last session's
    /// collector never acknowledged): its export time and sequence number set for this session,
    /// the sequence advanced past its data records. Called with no message open.
    mutating func renumber(_ sent: inout [UInt8], records: Int) {
        sent.setBigEndian(clock(), at: 4)
        sent.setBigEndian(sequenceNumber, at: 8)
        sequenceNumber &+= UInt32(truncatingIfNeeded: records)
        self.records += records
        messages += 1
    }

    /// Starts a new session (a TCP reconnect): sequence numbers restart at zero.
    mutating func resetSession() {
        message.removeAll(keepingCapacity: true)
        recordsInMessage = 0
        flowsInMessage = 0
        setStart = -1
        sequenceNumber = 0
    }

    // MARK: -

    private mutating func append(set id: UInt16, record: [UInt8], isData: Bool, emit: ([UInt8], Int) -> Void) {
        let needsSet = setStart < 0 || setID != id
        let growth = record.count + (needsSet ? 4 : 0)
        if !message.isEmpty && message.count + growth > maximumMessageSize { flush(emit: emit) }
        if message.isEmpty { startMessage() }
        if setStart < 0 || setID != id {
            closeSet()
            setStart = message.count
            setID = id
            message.appendBigEndian(id)
            message.appendBigEndian(UInt16(0))  // length, set by closeSet
        }
        message.append(contentsOf: record)
        if isData { recordsInMessage += 1 }
    }

    private mutating func startMessage() {
        message.appendBigEndian(UInt16(10))  // version: IPFIX
        message.appendBigEndian(UInt16(0))   // length, set by flush
        message.appendBigEndian(clock())
        message.appendBigEndian(sequenceNumber)
        message.appendBigEndian(observationDomain)
        setStart = -1
    }

    private mutating func closeSet() {
        guard setStart >= 0 else { return }
        message.setBigEndian(UInt16(message.count - setStart), at: setStart + 2)
        setStart = -1
    }

    /// Longest text a cell string field carries: records must fit a message.
    static let maximumStringBytes = 128

    private func encode(_ flow: IPFIXFlow, reverse: Bool, template: IPFIXTemplate, into out: inout [UInt8]) {
        let (source, destination) = reverse ? (flow.addressB, flow.addressA) : (flow.addressA, flow.addressB)
        out.appendBigEndian(flow.flowID)
        out.appendBigEndian(flow.observationPoint)
        out.append(reverse ? 2 : 1)  // biflowDirection: initiator, reverseInitiator
        out.append(flow.ipProtocol ?? 255)
        if template.innerIPv6 {
            out.appendIPv6(source); out.appendIPv6(destination)
        } else {
            out.appendBigEndian(source.ipv4); out.appendBigEndian(destination.ipv4)
        }
        out.appendBigEndian(reverse ? flow.portB : flow.portA)
        out.appendBigEndian(reverse ? flow.portA : flow.portB)
        if template.icmp { out.appendBigEndian((reverse ? flow.icmpTypeCode.ba : flow.icmpTypeCode.ab) ?? 0) }
        out.append(reverse ? flow.tcpFlags.ba : flow.tcpFlags.ab)
        out.appendBigEndian(reverse ? flow.ipBytes.ba : flow.ipBytes.ab)
        out.appendBigEndian(reverse ? flow.bytes.ba : flow.bytes.ab)
        out.appendBigEndian(reverse ? flow.packets.ba : flow.packets.ab)
        out.appendBigEndian(Self.milliseconds(flow.firstNanoseconds))
        out.appendBigEndian(Self.milliseconds(flow.lastNanoseconds))
        out.appendBigEndian(flow.context?.vlan ?? 0)
        out.append(flow.endReason.ipfixCode)
        let uplink = flow.abIsUplink != reverse
        out.append(uplink ? 1 : 2)
        if template.outer != .none, let (s, d) = flow.tunnelEndpoints {
            let (outerSource, outerDestination) = reverse ? (d, s) : (s, d)
            if template.outer == .ipv6 {
                out.appendIPv6(outerSource); out.appendIPv6(outerDestination)
            } else {
                out.appendBigEndian(outerSource.ipv4); out.appendBigEndian(outerDestination.ipv4)
            }
            let (up, down) = flow.abIsUplink ? (flow.teid.ab, flow.teid.ba) : (flow.teid.ba, flow.teid.ab)
            out.appendBigEndian(up ?? 0)
            out.appendBigEndian(down ?? 0)
            out.append(flow.context?.qfi ?? 255)
        }
        out.appendVariableLength(Self.truncated(flow.cell?.ecgi))
        out.appendVariableLength(Self.truncated(flow.cell?.ncgi))
        out.appendVariableLength(Self.truncated(flow.cell?.name))
    }

    /// Milliseconds since the epoch; times before 1970 (which no capture should have) become 0.
    static func milliseconds(_ nanoseconds: Int64) -> UInt64 {
        nanoseconds <= 0 ? 0 : UInt64(nanoseconds / 1_000_000)
    }

    /// At most `maximumStringBytes` of UTF-8, cut at a character boundary.
    static func truncated(_ text: String?) -> [UInt8] {
        guard let text else { return [] }
        var bytes = Array(text.utf8)
        guard bytes.count > maximumStringBytes else { return bytes }
        var end = maximumStringBytes
        while end > 0 && bytes[end] & 0xC0 == 0x80 { end -= 1 }  // not inside a multi-byte character
        bytes.removeSubrange(end...)
        return bytes
    }
}

extension [UInt8] {
    /// An IPv6 address; an IPv4 one as IPv4-mapped (::ffff:a.b.c.d) in an IPv6 template.
    @inline(__always) mutating func appendIPv6(_ a: IPAddress) {
        if a.isIPv6 {
            appendBigEndian(a.high); appendBigEndian(a.low)
        } else {
            appendBigEndian(UInt64(0)); appendBigEndian(UInt64(0xFFFF_0000_0000) | UInt64(a.ipv4))
        }
    }
}

extension IPFIXFlow {
    /// A record for A→B (also for a flow with no packet either way), and one for B→A when it has
    /// packets.
    var hasForwardRecord: Bool { packets.ab > 0 || packets.ba == 0 }
    var hasReverseRecord: Bool { packets.ba > 0 }
    var recordCount: Int { (hasForwardRecord ? 1 : 0) + (hasReverseRecord ? 1 : 0) }
}
