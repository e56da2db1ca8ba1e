internal import FlowcastCore
internal import FlowcastDecode

extension FlowRecord {
    /// `flowcast flows --format tsv`: protocol, address A, port A, address B, port B, packets A→B,
    /// bytes A→B, packets B→A, bytes B→A, first time, last time, TEID A→B, TEID B→A.
    public func appendTSV(to out: inout [UInt8]) {
        if let p = key.ipProtocol { out.appendDecimal(Int(p)) }; out.append(9)
        out.appendAddress(addressA); out.append(9)
        if key.hasPorts { out.appendDecimal(Int(portA)) }; out.append(9)
        out.appendAddress(addressB); out.append(9)
        if key.hasPorts { out.appendDecimal(Int(portB)) }; out.append(9)
        out.appendDecimal(packets.0); out.append(9)
        out.appendDecimal(bytes.0); out.append(9)
        out.appendDecimal(packets.1); out.append(9)
        out.appendDecimal(bytes.1); out.append(9)
        out.appendTimestamp(seconds: firstNanoseconds.floorDivided(by: 1_000_000_000), fraction: firstNanoseconds.floorModulo(1_000_000_000)); out.append(9)
        out.appendTimestamp(seconds: lastNanoseconds.floorDivided(by: 1_000_000_000), fraction: lastNanoseconds.floorModulo(1_000_000_000)); out.append(9)
        if let t = teid.0 { out.appendDecimal(UInt64(t)) }; out.append(9)
        if let t = teid.1 { out.appendDecimal(UInt64(t)) }
        out.append(10)
    }

    /// The name of the flow's cell among `names` (the aggregator's cell names), or nil.
    public func cellName(in names: [String]) -> String? {
        names.indices.contains(Int(cell)) ? names[Int(cell)] : nil
    }

    /// One JSON object per flow (flows.jsonl and `flowcast flows --format json`).
    public func appendJSON(reason: FlowEndReason?, cellName: String?, to out: inout [UInt8]) {
        out.appendLiteral("{\"proto\":")
        if let p = key.ipProtocol { out.appendDecimal(Int(p)) } else { out.appendLiteral("null") }
        out.appendLiteral(",\"a\":\""); out.appendAddress(addressA); out.appendLiteral("\"")
        if key.hasPorts { out.appendLiteral(",\"port_a\":"); out.appendDecimal(Int(portA)) }
        out.appendLiteral(",\"b\":\""); out.appendAddress(addressB); out.appendLiteral("\"")
        if key.hasPorts { out.appendLiteral(",\"port_b\":"); out.appendDecimal(Int(portB)) }
        out.appendLiteral(",\"packets_ab\":"); out.appendDecimal(packets.0)
        out.appendLiteral(",\"bytes_ab\":"); out.appendDecimal(bytes.0)
        out.appendLiteral(",\"packets_ba\":"); out.appendDecimal(packets.1)
        out.appendLiteral(",\"bytes_ba\":"); out.appendDecimal(bytes.1)
        out.appendLiteral(",\"first\":\""); out.appendTimestamp(seconds: firstNanoseconds.floorDivided(by: 1_000_000_000), fraction: firstNanoseconds.floorModulo(1_000_000_000))
        out.appendLiteral("\",\"last\":\""); out.appendTimestamp(seconds: lastNanoseconds.floorDivided(by: 1_000_000_000), fraction: lastNanoseconds.floorModulo(1_000_000_000))
        out.appendLiteral("\"")
        if let t = teid.0 { out.appendLiteral(",\"teid_ab\":"); out.appendDecimal(UInt64(t)) }
        if let t = teid.1 { out.appendLiteral(",\"teid_ba\":"); out.appendDecimal(UInt64(t)) }
        if let t = icmpTypeCode.0 {
            out.appendLiteral(",\"icmp_type_ab\":"); out.appendDecimal(Int(t >> 8))
            out.appendLiteral(",\"icmp_code_ab\":"); out.appendDecimal(Int(t & 0xFF))
        }
        if let t = icmpTypeCode.1 {
            out.appendLiteral(",\"icmp_type_ba\":"); out.appendDecimal(Int(t >> 8))
            out.appendLiteral(",\"icmp_code_ba\":"); out.appendDecimal(Int(t & 0xFF))
        }
        if key.ipProtocol == IPProtocol.tcp.rawValue {
            out.appendLiteral(",\"tcp_flags_ab\":"); out.appendDecimal(Int(tcpFlags.0))
            out.appendLiteral(",\"tcp_flags_ba\":"); out.appendDecimal(Int(tcpFlags.1))
            out.appendLiteral(",\"retransmissions\":"); out.appendDecimal(UInt64(retransmissions.0) + UInt64(retransmissions.1))
            out.appendLiteral(",\"zero_windows\":"); out.appendDecimal(UInt64(zeroWindows.0) + UInt64(zeroWindows.1))
        }
        if let cellName { out.appendLiteral(",\"cell\":"); out.appendJSONString(cellName) }
        if let reason { out.appendLiteral(",\"end\":\""); out.appendASCII(reason.rawValue); out.appendLiteral("\"") }
        out.appendLiteral("}\n")
    }
}

/// Orders exported flows: by first packet time, then by the order their first packets appeared.
public func flowOrder(_ a: FlowRecord, _ b: FlowRecord) -> Bool {
    if a.firstNanoseconds != b.firstNanoseconds { return a.firstNanoseconds < b.firstNanoseconds }
    return a.firstPacket < b.firstPacket
}

extension Int64 {
    @inline(__always) func floorDivided(by d: Int64) -> Int64 { self >= 0 ? self / d : (self - d + 1) / d }
    @inline(__always) func floorModulo(_ d: Int64) -> Int64 { self - floorDivided(by: d) * d }
}
