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

    /// One JSON object per flow (flows.jsonl and `flowcast flows --format json`). Written
    /// through a `ByteCursor`: with every field present and the longest values (IPv6 addresses,
    /// 20-digit counters, times at both ends of 64-bit nanoseconds) the line without the cell name
    /// is under 800 bytes (a test checks it), and the name takes at most 6 bytes a byte escaped, plus quotes.
    public func appendJSON(reason: FlowEndReason?, cellName: String?, to out: inout [UInt8]) {
        out.appendWritten(maximumCount: 900 + (cellName.map { $0.utf8.count * 6 + 2 } ?? 0)) { c in
            c.literal("{\"proto\":")
            if let p = key.ipProtocol { c.decimal(UInt64(p)) } else { c.literal("null") }
            c.literal(",\"a\":\""); c.address(addressA); c.byte(UInt8(ascii: "\""))
            if key.hasPorts { c.literal(",\"port_a\":"); c.decimal(UInt64(portA)) }
            c.literal(",\"b\":\""); c.address(addressB); c.byte(UInt8(ascii: "\""))
            if key.hasPorts { c.literal(",\"port_b\":"); c.decimal(UInt64(portB)) }
            c.literal(",\"packets_ab\":"); c.decimal(packets.0)
            c.literal(",\"bytes_ab\":"); c.decimal(bytes.0)
            c.literal(",\"packets_ba\":"); c.decimal(packets.1)
            c.literal(",\"bytes_ba\":"); c.decimal(bytes.1)
            c.literal(",\"ip_bytes_ab\":"); c.decimal(ipBytes.0)
            c.literal(",\"ip_bytes_ba\":"); c.decimal(ipBytes.1)
            c.literal(",\"first\":\""); c.timestamp(seconds: firstNanoseconds.floorDivided(by: 1_000_000_000), fraction: firstNanoseconds.floorModulo(1_000_000_000))
            c.literal("\",\"last\":\""); c.timestamp(seconds: lastNanoseconds.floorDivided(by: 1_000_000_000), fraction: lastNanoseconds.floorModulo(1_000_000_000))
            c.byte(UInt8(ascii: "\""))
            if let t = teid.0 { c.literal(",\"teid_ab\":"); c.decimal(UInt64(t)) }
            if let t = teid.1 { c.literal(",\"teid_ba\":"); c.decimal(UInt64(t)) }
            if let t = icmpTypeCode.0 {
                c.literal(",\"icmp_type_ab\":"); c.decimal(UInt64(t >> 8))
                c.literal(",\"icmp_code_ab\":"); c.decimal(UInt64(t & 0xFF))
            }
            if let t = icmpTypeCode.1 {
                c.literal(",\"icmp_type_ba\":"); c.decimal(UInt64(t >> 8))
                c.literal(",\"icmp_code_ba\":"); c.decimal(UInt64(t & 0xFF))
            }
            if key.ipProtocol == IPProtocol.tcp.rawValue {
                c.literal(",\"tcp_flags_ab\":"); c.decimal(UInt64(tcpFlags.0))
                c.literal(",\"tcp_flags_ba\":"); c.decimal(UInt64(tcpFlags.1))
                c.literal(",\"retransmissions\":"); c.decimal(UInt64(retransmissions.0) + UInt64(retransmissions.1))
                c.literal(",\"zero_windows\":"); c.decimal(UInt64(zeroWindows.0) + UInt64(zeroWindows.1))
            }
            if let cellName { c.literal(",\"cell\":"); c.jsonString(cellName) }
            if let reason { c.literal(",\"end\":\""); c.text(reason.rawValue); c.byte(UInt8(ascii: "\"")) }
            c.literal("}\n")
        }
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
