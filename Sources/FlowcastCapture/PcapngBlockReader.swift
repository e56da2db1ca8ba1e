internal import Foundation

/// Flowcast's own pcapng reader, used only when libpcap refuses a file because its interfaces
/// differ in link type or snapshot length (libpcap 1.10 reads one link type per handle).
///
/// Written by hand because no maintained Swift library reads pcapng, and the subset needed is
/// small: section headers, interface descriptions (with `if_tsresol` / `if_tsoffset`), enhanced,
/// simple and obsolete packet blocks. Everything else is skipped by its declared length.
/// The file is memory-mapped, and packets are handed out as views into the mapping.
final class PcapngBlockReader {
    struct Interface {
        var linkType: LinkType
        var snaplen: UInt32
        /// Timestamp units per second.
        var unitsPerSecond: UInt64
        var offsetSeconds: Int64
    }

    let path: String
    private let data: Data
    /// Link types of every interface in the first section, in IDB order.
    private(set) var interfaceLinkTypes: [LinkType] = []

    init(path: String) throws(CaptureError) {
        self.path = path
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw .missingFile(path: path, reason: "\(error.localizedDescription)")
        }
        // A dry pass over the interface blocks so `linkTypes` is known before reading.
        var types: [LinkType] = []
        do {
            try walk(deliver: false) { interfaces in types = interfaces.map(\.linkType) } packet: { _ in }
        } catch let error as CaptureError {
            // Faults after the interface blocks surface again, at their packet, in the real read.
            if types.isEmpty { throw error }
        } catch {
            throw .corrupt(path: path, packet: nil, reason: "\(error)")
        }
        interfaceLinkTypes = types
    }

    func forEachPacket(_ body: (Packet) throws -> Void) throws {
        try walk(deliver: true, interfaces: { _ in }, packet: body)
    }

    private func walk(deliver: Bool, interfaces onInterfaces: ([Interface]) -> Void,
                      packet body: (Packet) throws -> Void) throws {
        try data.withUnsafeBytes { (file: UnsafeRawBufferPointer) in
            var offset = 0
            var bigEndian = false
            var interfaces: [Interface] = []
            var number = 0
            func u16(_ at: Int) -> UInt16 {
                let v = file.loadUnaligned(fromByteOffset: at, as: UInt16.self)
                return bigEndian ? UInt16(bigEndian: v) : UInt16(littleEndian: v)
            }
            func u32(_ at: Int) -> UInt32 {
                let v = file.loadUnaligned(fromByteOffset: at, as: UInt32.self)
                return bigEndian ? UInt32(bigEndian: v) : UInt32(littleEndian: v)
            }
            while offset < file.count {
                guard file.count - offset >= 12 else {
                    throw CaptureError.truncatedRecord(path: path, packet: number + 1,
                                                       reason: "block header cut at \(file.count - offset) bytes, offset \(offset)")
                }
                let rawType = file.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
                if rawType == 0x0A0D_0D0A {  // palindromic, so endianness does not matter here
                    let bom = file.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
                    if bom == 0x1A2B_3C4D { bigEndian = (1 as UInt32).littleEndian != 1 } else if bom == UInt32(0x1A2B_3C4D).byteSwapped {
                        bigEndian = (1 as UInt32).littleEndian == 1
                    } else {
                        throw CaptureError.corrupt(path: path, packet: number + 1, reason: "bad byte-order magic at offset \(offset)")
                    }
                    interfaces = []
                }
                let type = u32(offset)
                let length = Int(u32(offset + 4))
                guard length >= 12, length % 4 == 0 else {
                    throw CaptureError.corrupt(path: path, packet: number + 1,
                                               reason: "block at offset \(offset) declares length \(length)")
                }
                guard length <= file.count - offset else {
                    throw CaptureError.truncatedRecord(path: path, packet: number + 1,
                                                       reason: "block at offset \(offset) declares \(length) bytes, only \(file.count - offset) remain")
                }
                let body0 = offset + 8
                let bodyLength = length - 12
                switch type {
                case 0x0A0D_0D0A:
                    break
                case 1:  // Interface Description Block
                    guard bodyLength >= 8 else {
                        throw CaptureError.corrupt(path: path, packet: number + 1, reason: "interface block too short at offset \(offset)")
                    }
                    var iface = Interface(linkType: LinkType(dlt: Int32(u16(body0))), snaplen: u32(body0 + 4),
                                          unitsPerSecond: 1_000_000, offsetSeconds: 0)
                    var opt = body0 + 8
                    let end = body0 + bodyLength
                    while opt + 4 <= end {
                        let code = u16(opt), len = Int(u16(opt + 2))
                        if code == 0 { break }
                        guard opt + 4 + len <= end else {
                            throw CaptureError.corrupt(path: path, packet: number + 1, reason: "interface option \(code) overruns its block")
                        }
                        if code == 9, len >= 1 {
                            let v = file[opt + 4]
                            let exponent = UInt64(v & 0x7F)
                            if v & 0x80 != 0 {
                                guard exponent < 64 else { throw CaptureError.corrupt(path: path, packet: number + 1, reason: "if_tsresol 2^-\(exponent)") }
                                iface.unitsPerSecond = 1 << exponent
                            } else {
                                guard exponent <= 19 else { throw CaptureError.corrupt(path: path, packet: number + 1, reason: "if_tsresol 10^-\(exponent)") }
                                var units: UInt64 = 1
                                for _ in 0..<exponent { units *= 10 }
                                iface.unitsPerSecond = units
                            }
                        } else if code == 14, len >= 8 {
                            let hi = UInt64(u32(opt + 4)), lo = UInt64(u32(opt + 8))
                            iface.offsetSeconds = Int64(bitPattern: bigEndian ? (hi << 32 | lo) : (lo << 32 | hi))
                        }
                        opt += 4 + (len + 3) & ~3
                    }
                    interfaces.append(iface)
                    if !deliver { onInterfaces(interfaces) }
                case 6, 2:  // Enhanced Packet Block, obsolete Packet Block
                    guard bodyLength >= 20 else {
                        throw CaptureError.corrupt(path: path, packet: number + 1, reason: "packet block too short at offset \(offset)")
                    }
                    number += 1
                    let ifIndex = type == 6 ? Int(u32(body0)) : Int(u16(body0))
                    guard ifIndex < interfaces.count else {
                        throw CaptureError.corrupt(path: path, packet: number, reason: "packet names interface \(ifIndex), only \(interfaces.count) described")
                    }
                    let caplen = Int(u32(body0 + 12))
                    guard caplen <= bodyLength - 20 else {
                        throw CaptureError.corrupt(path: path, packet: number, reason: "captured length \(caplen) exceeds its block")
                    }
                    if deliver {
                        let iface = interfaces[ifIndex]
                        let ticks = UInt64(u32(body0 + 4)) << 32 | UInt64(u32(body0 + 8))
                        let (seconds, fraction) = Self.time(ticks: ticks, unitsPerSecond: iface.unitsPerSecond, offset: iface.offsetSeconds)
                        try body(Packet(number: number, seconds: seconds, fraction: fraction,
                                        wireLength: clampedWireLength(u32(body0 + 16)),
                                        bytes: UnsafeRawBufferPointer(rebasing: file[(body0 + 20)..<(body0 + 20 + caplen)]),
                                        linkType: iface.linkType, interfaceIndex: ifIndex))
                    }
                case 3:  // Simple Packet Block: interface 0, no timestamp
                    guard bodyLength >= 4, let iface = interfaces.first else {
                        throw CaptureError.corrupt(path: path, packet: number + 1, reason: "simple packet block without an interface")
                    }
                    number += 1
                    let wire = Int(u32(body0))
                    var caplen = min(wire, bodyLength - 4)
                    if iface.snaplen > 0 { caplen = min(caplen, Int(iface.snaplen)) }
                    if deliver {
                        try body(Packet(number: number, timestampNanoseconds: 0, wireLength: clampedWireLength(UInt32(wire)),
                                        bytes: UnsafeRawBufferPointer(rebasing: file[(body0 + 4)..<(body0 + 4 + caplen)]),
                                        linkType: iface.linkType))
                    }
                default:
                    break  // name resolution, statistics, custom and unknown blocks
                }
                offset += length
            }
        }
    }

    /// Converts interface timestamp units to Unix seconds and nanoseconds without overflow.
    /// Timestamps are unsigned 64-bit counts (a "negative" one is a very late date, as tshark
    /// shows it).
    static func time(ticks: UInt64, unitsPerSecond: UInt64, offset: Int64) -> (seconds: Int64, fraction: Int64) {
        let seconds = ticks / unitsPerSecond
        let remainder = ticks % unitsPerSecond
        let fraction = remainder.multipliedFullWidth(by: 1_000_000_000)
        let nanos = unitsPerSecond.dividingFullWidth((fraction.high, fraction.low)).quotient
        return (Int64(truncatingIfNeeded: seconds) &+ offset, Int64(nanos))
    }
}
