internal import FlowcastCore
internal import FlowcastCapture
internal import FlowcastDecode
internal import Foundation

/// Writes the demo scenario's capture: a deterministic, synthetic mobile backhaul tap in front
/// of six cells (captures/demo/topology.yaml), so the whole Flowcast loop can be shown and
/// tested on a capture whose truth is known.
///
/// What it holds: GTPv2-C S11 signalling that attaches every UE (Create Session, Modify Bearer,
/// with ULI ECGI and S1-U F-TEIDs) and hands three UEs over from cell-2 to cell-3 mid-way;
/// GTP-U user traffic (802.1Q VLAN 100+cell on the site link; a 5G PDU Session Container with a
/// QFI on the n78 cells) carrying TCP and UDP between UEs and servers; per-cell load with a
/// slow daily-like swing, different phases per cell, and a growing hotspot on cell-3.
/// The tap is sampled one packet in `sampling` (as an ERSPAN session would be), and records are
/// cut at 128 bytes: enough for every header, small enough to ship in the repository.
public struct DemoCaptureGenerator: Sendable {
    public var seed: UInt64 = 20_261_129
    public var durationSeconds = 600
    /// Mean captured packets per second over all cells.
    public var packetsPerSecond = 70.0
    /// The sampling rate the capture stands for (stated in the scenario's README).
    public var sampling = 1500
    public var snaplen = 128
    public var startSeconds: Int64 = 1_764_403_200  // 2025-11-29T08:00:00Z
    public var uesPerCell = 8

    public init() {}

    /// ECGI of demo cell k (1-based): eNodeB ID 0x100+k, cell 1, in PLMN 001-01.
    public static func eci(cell k: Int) -> UInt32 { UInt32(0x100 + k) << 8 | 1 }

    struct UE {
        var cell: Int
        var address: UInt32
        var mmeTEID: UInt32, sgwControlTEID: UInt32
        var uplinkTEID: UInt32, downlinkTEID: UInt32
        var port: UInt16
    }

    /// Writes the capture; returns the number of packets.
    @discardableResult
    public func write(to path: String) throws -> Int {
        let writer = try CaptureWriter(path: path, format: .pcapng, linkType: .ethernet, snaplen: UInt32(snaplen))
        var rng = SplitMix64(seed: seed)
        var packets = 0
        var ues: [UE] = []
        var frame: [UInt8] = []
        // Not before `notBefore` ns after the start: a slot's packets stay in its 100 ms (see below).
        func emit(_ t: Double, _ wire: Int, notBefore: Int64 = 0) throws {
            let ns = (startSeconds * 1_000_000_000) + max(notBefore, Int64(t * 1e9))
            try frame.withUnsafeBytes { try writer.write(UnsafeRawBufferPointer(rebasing: $0.prefix(snaplen)), timestampNanoseconds: ns, wireLength: wire) }
            packets += 1
        }
        let mme: UInt32 = 0x0A1E_0001  // 10.30.0.1
        func sgw(_ cell: Int) -> UInt32 { cell <= 3 ? 0x0A14_0001 : 0x0A14_0002 }  // 10.20.0.1 / .2
        func enb(_ cell: Int) -> UInt32 { 0x0A0A_0000 | UInt32(cell) }             // 10.10.0.k

        // Attach every UE: Create Session Request/Response, Modify Bearer Request/Response.
        var t = 0.0
        var sequence: UInt32 = 1
        for cell in 1...6 {
            for n in 0..<uesPerCell {
                let id = UInt32(cell * 100 + n)
                let ue = UE(cell: cell, address: 0xAC10_0000 | UInt32(cell) << 8 | UInt32(n + 10),
                            mmeTEID: 0x1000_0000 | id, sgwControlTEID: 0x2000_0000 | id,
                            uplinkTEID: 0x3000_0000 | id, downlinkTEID: 0x4000_0000 | id, port: UInt16(40000 + n))
                ues.append(ue)
                let uli = GTPv2Builder.uli(eci: Self.eci(cell: cell), tac: UInt16(cell))
                var m = GTPv2Builder(type: 32, teid: 0, sequence: sequence)
                m.ie(86, uli); m.fteid(type: 10, teid: ue.mmeTEID, ipv4: mme); m.bearer(ebi: 5, fteids: [])
                frame = Frames.udp(src: mme, dst: sgw(cell), sport: 2123, dport: 2123, payload: m.bytes, vlan: nil)
                try emit(t, frame.count); t += 0.002
                var r = GTPv2Builder(type: 33, teid: ue.mmeTEID, sequence: sequence)
                r.ie(2, [16]); r.fteid(type: 11, teid: ue.sgwControlTEID, ipv4: sgw(cell))
                r.bearer(ebi: 5, fteids: [(1, ue.uplinkTEID, sgw(cell))])
                frame = Frames.udp(src: sgw(cell), dst: mme, sport: 2123, dport: 2123, payload: r.bytes, vlan: nil)
                try emit(t, frame.count); t += 0.002
                var mb = GTPv2Builder(type: 34, teid: ue.sgwControlTEID, sequence: sequence + 1)
                mb.bearer(ebi: 5, fteids: [(0, ue.downlinkTEID, enb(cell))])
                frame = Frames.udp(src: mme, dst: sgw(cell), sport: 2123, dport: 2123, payload: mb.bytes, vlan: nil)
                try emit(t, frame.count); t += 0.002
                var mr = GTPv2Builder(type: 35, teid: ue.mmeTEID, sequence: sequence + 1)
                mr.ie(2, [16])
                frame = Frames.udp(src: sgw(cell), dst: mme, sport: 2123, dport: 2123, payload: mr.bytes, vlan: nil)
                try emit(t, frame.count); t += 0.002
                sequence += 2
            }
        }

        // User traffic, 100 ms slots, with the handover of three cell-2 UEs to cell-3 at 60%.
        let handoverAt = Double(durationSeconds) * 0.6
        var handedOver = false
        let baseShare: [Double] = [0, 0.24, 0.22, 0.17, 0.22, 0.06, 0.05]
        let phase: [Double] = [0, 0.0, 1.1, 2.3, 3.0, 4.2, 5.1]
        var seq = [UInt32](repeating: 1, count: ues.count)
        var slot = 0.0
        // Counted, not compared: `slot` accumulates 0.1 with rounding error, and `slot < duration`
        // ran one slot past --duration for most durations (300 s gave 300.0998 s). The slot times
        // are still accumulated, so the durations that came out right (60 s, the demo's 600 s)
        // give the same bytes as before.
        for slotIndex in 0..<(durationSeconds * 10) {
            // The accumulated `slot` drifts below the exact multiple of 100 ms (0.26 µs by a day),
            // so a packet could be dated just before its slot's window after that window opened:
            // 22 late packets at 100 ms windows and 1 at 10 s in a day's capture (an audit). Each
            // packet is held at or after its slot's exact start; where the slot did not drift below
            // it (the demo's 600 s) the bytes are as before.
            let slotStart = Int64(slotIndex) * 100_000_000
            if !handedOver && slot >= handoverAt {
                handedOver = true
                let movers = ues.indices.filter { ues[$0].cell == 2 }.prefix(3)
                for i in movers {
                    ues[i].cell = 3
                    ues[i].downlinkTEID |= 0x0800_0000
                    var mb = GTPv2Builder(type: 34, teid: ues[i].sgwControlTEID, sequence: sequence)
                    mb.ie(86, GTPv2Builder.uli(eci: Self.eci(cell: 3), tac: 3))
                    mb.bearer(ebi: 5, fteids: [(0, ues[i].downlinkTEID, enb(3))])
                    frame = Frames.udp(src: mme, dst: sgw(3), sport: 2123, dport: 2123, payload: mb.bytes, vlan: nil)
                    try emit(slot, frame.count, notBefore: slotStart)
                    sequence += 1
                }
            }
            let x = slot / Double(durationSeconds)
            for cell in 1...6 {
                let angle: Double = 2.0 * Double.pi * x * 1.5 + phase[cell]
                let swing: Double = 1.0 + 0.45 * Foundation.sin(angle)
                var rate: Double = packetsPerSecond * baseShare[cell] * swing
                if cell == 3 { rate *= 1.0 + 1.5 * max(0.0, (x - 0.5) / 0.5) }  // the hotspot
                let expected = rate * 0.1
                var count = Int(expected)
                if rng.nextDouble() < expected - Double(count) { count += 1 }
                let members = ues.indices.filter { ues[$0].cell == cell }
                guard !members.isEmpty else { continue }
                for _ in 0..<count {
                    let i = members[Int(rng.next() % UInt64(members.count))]
                    let ue = ues[i]
                    let when = slot + rng.nextDouble() * 0.1
                    let downlink = rng.nextDouble() < 0.8
                    let server = 0xCB00_7100 | UInt32(1 + (i % 20))  // 203.0.113.x
                    let tcp = rng.nextDouble() < 0.7
                    let bulk = downlink ? rng.nextDouble() < 0.9 : rng.nextDouble() < 0.25
                    let payload = bulk ? 1360 : 0
                    let qfi: UInt8? = cell <= 4 ? (tcp ? 9 : 5) : nil
                    let inner: [UInt8]
                    if tcp {
                        seq[i] &+= UInt32(payload)
                        inner = downlink
                            ? Frames.tcp(src: server, dst: ue.address, sport: 443, dport: ue.port, seq: seq[i], flags: 0x18, payload: payload)
                            : Frames.tcp(src: ue.address, dst: server, sport: ue.port, dport: 443, seq: 1, flags: 0x10, payload: payload)
                    } else {
                        inner = downlink
                            ? Frames.udpInner(src: server, dst: ue.address, sport: 443, dport: ue.port &+ 1000, payload: payload + 20)
                            : Frames.udpInner(src: ue.address, dst: server, sport: ue.port &+ 1000, dport: 443, payload: payload + 20)
                    }
                    let innerWire = (tcp ? 40 : 28) + (tcp ? payload : payload + 20)
                    let gtp = Frames.gtpu(teid: downlink ? ue.downlinkTEID : ue.uplinkTEID, qfi: qfi, downlink: downlink, payloadLength: innerWire)
                    let src = downlink ? sgw(ue.cell) : enb(ue.cell), dst = downlink ? enb(ue.cell) : sgw(ue.cell)
                    frame = Frames.udp(src: src, dst: dst, sport: 2152, dport: 2152, payload: gtp + inner,
                                       vlan: UInt16(100 + ue.cell), declaredPayload: gtp.count + innerWire)
                    try emit(when, 14 + 4 + 20 + 8 + gtp.count + innerWire, notBefore: slotStart)
                }
            }
            slot += 0.1
        }
        try writer.close()
        return packets
    }
}

/// Header builders for the demo capture (valid lengths and IPv4 checksums).
enum Frames {
    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    static func ipv4(src: UInt32, dst: UInt32, proto: UInt8, totalLength: Int) -> [UInt8] {
        var h: [UInt8] = [0x45, 0] + be16(UInt16(min(totalLength, 65535))) + [0, 0, 0x40, 0, 64, proto, 0, 0] + be32(src) + be32(dst)
        var sum: UInt32 = 0
        for i in stride(from: 0, to: 20, by: 2) { sum += UInt32(h[i]) << 8 | UInt32(h[i + 1]) }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        let c = ~UInt16(sum)
        h[10] = UInt8(c >> 8); h[11] = UInt8(c & 0xFF)
        return h
    }

    /// Ethernet (+ optional 802.1Q) + IPv4 + UDP around `payload`; lengths declare
    /// `declaredPayload` bytes of UDP payload (the record may hold fewer).
    static func udp(src: UInt32, dst: UInt32, sport: UInt16, dport: UInt16, payload: [UInt8], vlan: UInt16?,
                    declaredPayload: Int? = nil) -> [UInt8] {
        let length = declaredPayload ?? payload.count
        var f: [UInt8] = [0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2]
        if let vlan { f += [0x81, 0x00] + be16(vlan) }
        f += [0x08, 0x00]
        f += ipv4(src: src, dst: dst, proto: 17, totalLength: 28 + length)
        f += be16(sport) + be16(dport) + be16(UInt16(min(8 + length, 65535))) + [0, 0]
        return f + payload
    }

    static func gtpu(teid: UInt32, qfi: UInt8?, downlink: Bool, payloadLength: Int) -> [UInt8] {
        if let qfi {
            // E flag, next extension: PDU Session Container (TS 38.415), one 4-byte unit.
            let length = 8 + payloadLength
            return [0x34, 0xFF] + be16(UInt16(length)) + be32(teid) + [0, 0, 0, 0x85] + [1, downlink ? 0x00 : 0x10, qfi, 0]
        }
        return [0x30, 0xFF] + be16(UInt16(payloadLength)) + be32(teid)
    }

    static func tcp(src: UInt32, dst: UInt32, sport: UInt16, dport: UInt16, seq: UInt32, flags: UInt8, payload: Int) -> [UInt8] {
        ipv4(src: src, dst: dst, proto: 6, totalLength: 40 + payload) + be16(sport) + be16(dport) + be32(seq) + be32(1)
            + [0x50, flags] + be16(65535) + [0, 0, 0, 0]
    }

    static func udpInner(src: UInt32, dst: UInt32, sport: UInt16, dport: UInt16, payload: Int) -> [UInt8] {
        ipv4(src: src, dst: dst, proto: 17, totalLength: 28 + payload) + be16(sport) + be16(dport) + be16(UInt16(8 + payload)) + [0, 0]
    }
}

/// A GTPv2-C message under construction (TS 29.274): header with TEID, then IEs.
struct GTPv2Builder {
    var header: [UInt8]
    var body: [UInt8] = []
    init(type: UInt8, teid: UInt32, sequence: UInt32) {
        header = [0x48, type, 0, 0] + Frames.be32(teid) + [UInt8(sequence >> 16 & 0xFF), UInt8(sequence >> 8 & 0xFF), UInt8(sequence & 0xFF), 0]
    }
    mutating func ie(_ type: UInt8, _ value: [UInt8], instance: UInt8 = 0) {
        body += [type] + Frames.be16(UInt16(value.count)) + [instance] + value
    }
    static func fteidValue(type: UInt8, teid: UInt32, ipv4: UInt32) -> [UInt8] {
        [0x80 | type] + Frames.be32(teid) + Frames.be32(ipv4)
    }
    mutating func fteid(type: UInt8, teid: UInt32, ipv4: UInt32) { ie(87, Self.fteidValue(type: type, teid: teid, ipv4: ipv4)) }
    mutating func bearer(ebi: UInt8, fteids: [(UInt8, UInt32, UInt32)]) {
        var value: [UInt8] = [73, 0, 1, 0, ebi]
        for (type, teid, address) in fteids {
            let v = Self.fteidValue(type: type, teid: teid, ipv4: address)
            value += [87] + Frames.be16(UInt16(v.count)) + [0] + v
        }
        ie(93, value)
    }
    /// ULI with TAI and ECGI in PLMN 001-01.
    static func uli(eci: UInt32, tac: UInt16) -> [UInt8] {
        let plmn: [UInt8] = [0x00, 0xF1, 0x10]
        return [0x18] + plmn + Frames.be16(tac) + plmn + Frames.be32(eci & 0x0FFF_FFFF)
    }
    var bytes: [UInt8] {
        var h = header
        let length = body.count + 8
        h[2] = UInt8(length >> 8); h[3] = UInt8(length & 0xFF)
        return h + body
    }
}
