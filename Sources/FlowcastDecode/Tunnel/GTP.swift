extension DecodeRun {
    /// GTPv1 header (3GPP TS 29.281 for GTP-U, TS 29.060 for GTPv1-C): flags, message type,
    /// length, TEID, the optional sequence/N-PDU/next-extension fields and the extension-header
    /// chain. A G-PDU (type 255) carries an inner IPv4/IPv6 packet, on either port (tshark
    /// decodes it on the control-plane port too).
    /// GTPv2-C (version 2, TS 29.274) is only located here; `GTPv2Message` reads it.
    mutating func decodeGTP(userPlane: Bool) -> NextLayer {
        guard remaining >= 1 else { return endOrTruncated(userPlane ? .gtpU : .gtpC, needed: 1) }
        let flags = b.u8(offset)
        let version = flags >> 5
        if version == 2 {
            summary.gtpv2Offset = offset
            summary.gtpv2End = limit
            return .done
        }
        // Version 0 (GTP, TS 09.60) and GTP' (protocol type 0) carry no TEID.
        guard version == 1, flags & 0x10 != 0 else { return .done }
        // The outermost header's message type stands once its byte is here, as tshark shows it
        // in a header cut short; its TEID needs the whole 8 bytes.
        let outermost = summary.teid == nil
        if outermost, remaining >= 2 { summary.gtpMessageType = b.u8(offset + 1) }
        guard remaining >= 8 else { return truncated(userPlane ? .gtpU : .gtpC, needed: 8) }
        let messageType = b.u8(offset + 1)
        let length = Int(b.u16(offset + 2))
        if outermost { summary.teid = b.u32(offset + 4) }
        var headerLength = 8
        if flags & 0x07 != 0 {
            guard remaining >= 12 else { return truncated(userPlane ? .gtpU : .gtpC, needed: 12) }
            // The next-extension type means something only with the E flag.
            var nextType = flags & 0x04 != 0 ? b.u8(offset + 11) : 0
            headerLength = 12
            while nextType != 0 {
                guard remaining >= headerLength + 1 else { return truncated(.gtpU, needed: headerLength + 1) }
                let extLength = Int(b.u8(offset + headerLength)) * 4
                guard extLength > 0 else { return malformed(.gtpU, value: 0, limit: 4) }
                guard remaining >= headerLength + extLength else { return truncated(.gtpU, needed: headerLength + extLength) }
                // PDU Session Container (TS 38.415): QFI in the low 6 bits of the second octet.
                // Of the outermost GTP header, as the TEID is (GTP in GTP kept the inner one's).
                if nextType == 0x85, extLength >= 4, summary.qfi == nil { summary.qfi = b.u8(offset + headerLength + 2) & 0x3F }
                nextType = b.u8(offset + headerLength + extLength - 1)
                headerLength += extLength
            }
        }
        guard messageType == 0xFF else { return .done }
        limit = min(limit, offset + 8 + length)
        offset += headerLength
        guard remaining >= 1 else { return endOrTruncated(.gtpU, needed: 1) }
        // tshark's test: 0x45–0x4E (version 4 with a plausible header length) is IPv4, a first
        // nibble of 6 is IPv6, anything else is data.
        let first = b.u8(offset)
        if first >= 0x45 && first <= 0x4E { summary.tunnelDepth &+= 1; return .ipv4 }
        if first >> 4 == 6 { summary.tunnelDepth &+= 1; return .ipv6 }
        return .done
    }
}
