public import FlowcastCore
/// A cell's global identity as signalling carries it: E-UTRAN (ECGI, 28-bit ECI) or NR (NCGI,
/// 36-bit NCI), with its PLMN.
public struct CellIdentity: Hashable, Sendable, Comparable, CustomStringConvertible {
    public enum Kind: String, Sendable { case ecgi, ncgi }
    public var kind: Kind
    /// Mobile country code and network code as decimal text (an MNC keeps a leading zero).
    public var mcc: String
    public var mnc: String
    /// ECI (28 bits) or NCI (36 bits).
    public var cellID: UInt64

    public init(kind: Kind, mcc: String, mnc: String, cellID: UInt64) {
        self.kind = kind; self.mcc = mcc; self.mnc = mnc; self.cellID = cellID
    }

    /// `ecgi:MCC-MNC-ECI`, e.g. `ecgi:466-92-30303777` (the form topology files use).
    public var description: String { "\(kind.rawValue):\(mcc)-\(mnc)-\(cellID)" }

    public static func < (a: CellIdentity, b: CellIdentity) -> Bool { a.description < b.description }
}

/// A Fully Qualified TEID (3GPP TS 29.274 §8.22): interface type, TEID or GRE key, and address.
public struct FullyQualifiedTEID: Hashable, Sendable {
    /// Interface type (Table 8.22-1): 0 S1-U eNodeB, 1 S1-U SGW, 4 S5/S8 SGW GTP-U,
    /// 5 S5/S8 PGW GTP-U, 6/7 S5/S8 GTP-C, 10 S11 MME, 11 S11/S4 SGW …
    public var interfaceType: UInt8
    public var teid: UInt32
    public var ipv4: UInt32?
    public var ipv6: IPAddress?
    /// IE instance number.
    public var instance: UInt8
    /// True when the F-TEID sits inside a Bearer Context.
    public var inBearerContext: Bool

    /// True for interface types that carry GTP-U (user plane) rather than GTP-C or PMIPv6: TS
    /// 29.274 Table 8.22-1 as tshark 4.0 names types 0–40 ("… GTP-U interface"). Until
    /// 2026-12-06 the list held GTP-C types 12–14, 18, 24–27, 32, 36 and 40 (an S10 MME control
    /// TEID placed an unrelated tunnel in a cell) and left out GTP-U types 16 and 20–22.
    public var isUserPlane: Bool {
        switch interfaceType {
        case 0, 1, 2, 3, 4, 5, 15, 16, 19, 20, 21, 22, 23, 28, 29, 31, 33, 34, 37, 38, 39:
            return true
        default:
            return false
        }
    }

    /// True for a user-plane end on the core side, whose traffic travels uplink: S1-U SGW (1),
    /// S12 SGW (3), S5/S8 PGW (5), S4 SGW (16), SGW for UL data forwarding (28), S2b-U PGW (33),
    /// S2a PGW (37), S11 SGW (39). (The list before held 13, S3 MME GTP-C, and not 16.)
    public var receivesUplink: Bool {
        switch interfaceType {
        case 1, 3, 5, 16, 28, 33, 37, 39: return true
        default: return false
        }
    }

    public var address: IPAddress? { ipv4.map { IPAddress(ipv4: $0) } ?? ipv6 }

    public init(interfaceType: UInt8, teid: UInt32, ipv4: UInt32?, ipv6: IPAddress?, instance: UInt8, inBearerContext: Bool) {
        self.interfaceType = interfaceType; self.teid = teid; self.ipv4 = ipv4; self.ipv6 = ipv6
        self.instance = instance; self.inBearerContext = inBearerContext
    }
}

/// The parts of a GTPv2-C message (TS 29.274) that tie user-plane tunnels to cells.
public struct GTPv2Message: Sendable, Equatable {
    public var messageType: UInt8
    /// Header TEID (absent when the T flag is clear, as in Echo).
    public var teid: UInt32?
    public var sequence: UInt32
    public var fteids: [FullyQualifiedTEID] = []
    /// Cells from User Location Information (ECGI, and NCGI where present).
    public var cells: [CellIdentity] = []
    /// Tracking area codes from ULI.
    public var trackingAreaCodes: [UInt16] = []
    /// What was wrong with the message, the first thing found, or nil: a header or IE cut short
    /// or past the message's end, an F-TEID or location too short for its fields, a PLMN with a
    /// digit over 9. What it held is still read, as tshark reads it; the run counts such messages
    /// (they decide which cell a tunnel's traffic is put in, and were counted as sound: an audit).
    public var problem: String?

    public init(messageType: UInt8, teid: UInt32?, sequence: UInt32) {
        self.messageType = messageType; self.teid = teid; self.sequence = sequence
    }

    public static let createSessionRequest: UInt8 = 32
    public static let createSessionResponse: UInt8 = 33
    public static let modifyBearerRequest: UInt8 = 34
    public static let modifyBearerResponse: UInt8 = 35
    public static let createBearerRequest: UInt8 = 95
    public static let createBearerResponse: UInt8 = 96

    /// True for a request (odd-numbered responses follow their request's number + 1).
    public var isRequest: Bool {
        [Self.createSessionRequest, Self.modifyBearerRequest, Self.createBearerRequest].contains(messageType)
    }

    /// Parses every message in `bytes` (one datagram's GTPv2-C bytes; a piggybacked message
    /// follows its carrier), as tshark 4.0 reads them. Returns nil when the first header is not
    /// GTPv2 or is cut before its fourth byte. A message whose header is cut keeps what it
    /// holds (the TEID from 8 bytes on); IEs that overrun stop the parse of that message but
    /// keep what was read. A carrier (P flag) holds what its length field says, and the next
    /// message starts there whatever its version; the last message (no P flag) runs to the end
    /// of the datagram, whatever its length field says, as tshark reads it.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> [GTPv2Message]? {
        guard bytes.count >= 4, bytes.u8(0) >> 5 == 2 else { return nil }
        var messages: [GTPv2Message] = []
        var offset = 0
        while bytes.count - offset >= 4 {
            let flags = bytes.u8(offset)
            let hasTEID = flags & 0x08 != 0
            let piggyback = flags & 0x10 != 0
            let length = Int(bytes.u16(offset + 2))
            let header = hasTEID ? 12 : 8
            let held = bytes.count - offset
            var message = GTPv2Message(
                messageType: bytes.u8(offset + 1),
                teid: hasTEID && held >= 8 ? bytes.u32(offset + 4) : nil,
                sequence: held >= header ? bytes.u32(offset + header - 4) >> 8 : 0)
            let end = piggyback ? min(bytes.count, offset + 4 + length) : bytes.count
            // The last message runs to the datagram's end whatever its length field says, as tshark
            // reads it, unflagged (gtpv2c-messages.pcap's frame 6 says 46 bytes in 12); a carrier's
            // length decides where the next message starts, so a wrong one is a problem.
            if held < header {
                message.problem = "its header is cut short (\(held) of \(header) bytes)"
            } else if piggyback && 4 + length > held {
                message.problem = "a carrier whose length field says \(4 + length) bytes, \(held) are there"
            } else if piggyback && length + 4 < header {
                message.problem = "a carrier whose length field says \(4 + length) bytes, shorter than its \(header)-byte header"
            }
            if held >= header {
                message.readIEs(bytes, from: offset + header, to: end, inBearerContext: false, depth: 0)
            }
            messages.append(message)
            guard piggyback else { break }
            offset += 4 + length
        }
        return messages
    }

    mutating func readIEs(_ b: UnsafeRawBufferPointer, from start: Int, to end: Int, inBearerContext: Bool, depth: Int) {
        var at = start
        while end - at >= 4 {
            let type = b.u8(at)
            let length = Int(b.u16(at + 1))
            let instance = b.u8(at + 3) & 0x0F
            let value = at + 4
            guard value + length <= end else {
                if problem == nil { problem = "IE \(type) of \(length) bytes runs past the message's end" }
                return
            }
            switch type {
            case 87: readFTEID(b, value, length, instance: instance, inBearerContext: inBearerContext)
            case 86: readULI(b, value, length)
            case 217: readPSCellID(b, value, length)
            // Grouped IEs, read as tshark 4.0 reads them: Bearer Context; PDN Connection (Context
            // Response, Forward Relocation Request: the PGW's S5/S8 control F-TEID and the
            // connection's bearer contexts); Overload and Load Control Information and SCEF PDN
            // Connection (tshark reads any IE inside them). Four levels at most, where tshark
            // goes on to its tree depth of 500: no message nests deeper than two.
            case 93, 109, 180, 181, 195:
                guard depth < 4 else { break }
                readIEs(b, from: value, to: value + length, inBearerContext: inBearerContext || type == 93, depth: depth + 1)
            default: break
            }
            at = value + length
        }
    }

    mutating func readFTEID(_ b: UnsafeRawBufferPointer, _ at: Int, _ length: Int, instance: UInt8, inBearerContext: Bool) {
        guard length >= 5 else {
            if problem == nil { problem = "an F-TEID of \(length) bytes (5 at least)" }
            return
        }
        let flags = b.u8(at)
        var fteid = FullyQualifiedTEID(interfaceType: flags & 0x3F, teid: b.u32(at + 1), ipv4: nil, ipv6: nil,
                                       instance: instance, inBearerContext: inBearerContext)
        var next = at + 5
        if flags & 0x80 != 0 {
            if next + 4 <= at + length { fteid.ipv4 = b.u32(next); next += 4 } else if problem == nil { problem = "an F-TEID cut before its IPv4 address" }
        }
        if flags & 0x40 != 0 {
            if next + 16 <= at + length {
                fteid.ipv6 = IPAddress(ipv6High: b.u64(next), low: b.u64(next + 8))
            } else if problem == nil {
                problem = "an F-TEID cut before its IPv6 address"
            }
        }
        fteids.append(fteid)
    }

    /// User Location Information (§8.21): a flags octet, then CGI, SAI, RAI, TAI, ECGI, LAI,
    /// macro and extended macro eNB IDs, each present when its flag is set, in that order.
    mutating func readULI(_ b: UnsafeRawBufferPointer, _ at: Int, _ length: Int) {
        guard length >= 1 else {
            if problem == nil { problem = "an empty User Location Information" }
            return
        }
        let flags = b.u8(at)
        var next = at + 1
        let end = at + length
        let sizes: [(UInt8, Int)] = [(0x01, 7), (0x02, 7), (0x04, 7), (0x08, 5), (0x10, 7), (0x20, 5), (0x40, 6), (0x80, 6)]
        for (bit, size) in sizes where flags & bit != 0 {
            guard next + size <= end else {
                if problem == nil { problem = "a User Location Information cut before its fields" }
                return
            }
            if bit == 0x08 { trackingAreaCodes.append(b.u16(next + 3)) }
            if bit == 0x10 {
                let (mcc, mnc) = Self.plmn(b, next)
                notePLMN(b, next)
                cells.append(CellIdentity(kind: .ecgi, mcc: mcc, mnc: mnc, cellID: UInt64(b.u32(next + 3) & 0x0FFF_FFFF)))
            }
            next += size
        }
    }

    /// PSCell ID (§8.148, Release 16): the NR primary secondary cell of an E-UTRA–NR dual
    /// connection, as an NCGI: a PLMN, then the 36-bit NR cell identity in the upper bits of the
    /// next five octets (the last four bits are spare). ULI itself carries no NR cell.
    mutating func readPSCellID(_ b: UnsafeRawBufferPointer, _ at: Int, _ length: Int) {
        guard length >= 8 else {
            if problem == nil { problem = "a PSCell ID of \(length) bytes (8 at least)" }
            return
        }
        let (mcc, mnc) = Self.plmn(b, at)
        notePLMN(b, at)
        let forty = UInt64(b.u8(at + 3)) << 32 | UInt64(b.u32(at + 4))
        cells.append(CellIdentity(kind: .ncgi, mcc: mcc, mnc: mnc, cellID: forty >> 4))
    }

    /// Notes a PLMN with a digit over 9 (the filler F of a two-digit MNC apart): no network has one.
    mutating func notePLMN(_ b: UnsafeRawBufferPointer, _ at: Int) {
        guard problem == nil else { return }
        let o0 = b.u8(at), o1 = b.u8(at + 1), o2 = b.u8(at + 2)
        let digits = [o0 & 0x0F, o0 >> 4, o1 & 0x0F, o2 & 0x0F, o2 >> 4]
        if digits.contains(where: { $0 > 9 }) || (o1 >> 4 > 9 && o1 >> 4 != 0x0F) {
            problem = "a PLMN with a digit over 9 (\(String(o0, radix: 16)) \(String(o1, radix: 16)) \(String(o2, radix: 16)))"
        }
    }

    /// Decodes a 3-octet BCD PLMN identity (TS 24.008 §10.5.1.13): MCC digits 1–3, then MNC
    /// digits 1–2 and a third unless it is the filler F. A digit above 9 (no valid PLMN has one)
    /// is read as tshark reads it, the number 100·d1 + 10·d2 + d3 (15·100 + 15·10 + 15 = 1665
    /// for FFF), so an invalid PLMN never reads as a valid one with a digit dropped.
    static func plmn(_ b: UnsafeRawBufferPointer, _ at: Int) -> (String, String) {
        let o0 = b.u8(at), o1 = b.u8(at + 1), o2 = b.u8(at + 2)
        // Small strings (up to 15 bytes) live inline: no allocation.
        func number(_ d1: UInt8, _ d2: UInt8, _ d3: UInt8?) -> String {
            let value = d3.map { Int(d1) * 100 + Int(d2) * 10 + Int($0) } ?? Int(d1) * 10 + Int(d2)
            let text = String(value)
            guard d1 <= 9, d2 <= 9, (d3 ?? 0) <= 9 else { return text }
            return String(repeating: "0", count: (d3 == nil ? 2 : 3) - text.count) + text  // keeps "001"
        }
        let mcc = number(o0 & 0x0F, o0 >> 4, o1 & 0x0F)
        // tshark reads the all-F (unset) PLMN with a three-digit MNC, FFF.
        let twoDigits = o1 >> 4 == 0x0F && !(o0 == 0xFF && o1 == 0xFF && o2 == 0xFF)
        let mnc = number(o2 & 0x0F, o2 >> 4, twoDigits ? nil : o1 >> 4)
        return (mcc, mnc)
    }
}
