internal import CFlowcastShims

/// The packets of a pcapng file read in place from a read-only memory mapping: the same idea,
/// and the same hand-over to libpcap, as `MappedPcapRecords` for classic pcap.
///
/// This reader walks only the plain case: one section in host byte order, whose first interface
/// (the one libpcap opened with) has a pass-through link type, a timestamp resolution of
/// microseconds or nanoseconds and no time offset; and Enhanced Packet Blocks of that interface
/// whose captured length fits the block and libpcap's snapshot length. Statistics, name
/// resolution and other blocks are skipped, as libpcap skips them. At anything else it stops:
/// a second interface or section, a simple or obsolete packet block, or a block whose lengths
/// disagree or exceed 16 MiB. libpcap then reads on from that block with its own checks and
/// messages. A test compares both readers on every bundled pcapng capture and on damaged ones.
struct MappedPcapngBlocks {
    let mapping: FileMapping
    /// Offset of the first block after the first interface description (where libpcap stands
    /// once it has opened the file).
    let dataStart: Int
    let snapshot: Int
    let unitsPerSecond: UInt64
    let nanosecondsPerUnit: Int64
    let linkType: LinkType

    /// libpcap's initial limit on a block's size; larger blocks are left to libpcap.
    static let maximumBlock = 16 << 20

    init?(path: String, format: CaptureFormat, libpcapLinkType: LinkType, snapshot: Int) {
        guard format == .pcapng, snapshot > 0, UInt32(1).littleEndian == 1,
              MappedPcapRecords.passThroughLinkTypes.contains(libpcapLinkType.rawValue),
              let mapping = FileMapping(path: path, minimumSize: 28) else { return nil }
        let base = mapping.base, size = mapping.size
        func u16(_ at: Int) -> UInt16 { base.loadUnaligned(fromByteOffset: at, as: UInt16.self) }
        func u32(_ at: Int) -> UInt32 { base.loadUnaligned(fromByteOffset: at, as: UInt32.self) }
        /// The block's total length when its header and trailer agree and it fits the file.
        func blockLength(_ at: Int) -> Int? {
            guard size - at >= 12 else { return nil }
            let length = Int(u32(at + 4))
            guard length >= 12, length % 4 == 0, length <= size - at, length <= Self.maximumBlock,
                  Int(u32(at + length - 4)) == length else { return nil }
            return length
        }
        var interface: (linkType: UInt16, units: UInt64, offset: Bool)? = nil
        var at = 0
        // The section header, in little-endian order, then blocks up to the first interface.
        if u32(0) == 0x0A0D_0D0A, u32(8) == 0x1A2B_3C4D, let length = blockLength(0) {
            at = length
            while interface == nil, let length = blockLength(at) {
                let type = u32(at)
                if type == 1 {
                    guard length >= 20 else { break }
                    var units: UInt64 = 1_000_000
                    var hasOffset = false
                    var option = at + 16
                    let end = at + length - 4
                    var valid = true
                    while option + 4 <= end {
                        let code = u16(option), optionLength = Int(u16(option + 2))
                        if code == 0 { break }
                        guard option + 4 + optionLength <= end else { valid = false; break }
                        if code == 9, optionLength >= 1 {
                            switch base.load(fromByteOffset: option + 4, as: UInt8.self) {
                            case 6: units = 1_000_000
                            case 9: units = 1_000_000_000
                            default: valid = false
                            }
                        } else if code == 14 {
                            hasOffset = true
                        }
                        option += 4 + (optionLength + 3) & ~3
                    }
                    guard valid else { break }
                    interface = (u16(at + 8), units, hasOffset)
                } else if type == 2 || type == 3 || type == 6 || type == 0x0A0D_0D0A {
                    break  // packets before any interface, or a new section: libpcap's to judge
                }
                at += length
            }
        }
        guard let interface, !interface.offset,
              LinkType(dlt: Int32(interface.linkType)) == libpcapLinkType || LinkType(rawValue: UInt32(interface.linkType)) == libpcapLinkType
        else {
            mapping.unmap()
            return nil
        }
        self.mapping = mapping
        dataStart = at
        self.snapshot = snapshot
        unitsPerSecond = interface.units
        nanosecondsPerUnit = Int64(1_000_000_000 / interface.units)
        linkType = libpcapLinkType
    }

    /// Walks blocks from `dataStart`, calling `body` with each packet. Returns the offset of the
    /// first block it did not handle: `size` at a clean end of file, otherwise where libpcap
    /// must take over. `number` counts delivered packets.
    @inline(__always)
    func forEach(number: inout Int, _ body: (Packet) throws -> Void) rethrows -> Int {
        var at = dataStart
        let base = mapping.base, end = mapping.size
        var pager = PagerCursor(mapping)
        defer { pager.stop() }
        while end - at >= 12 {
            pager.reached(at)
            let h = base + at
            let type = h.loadUnaligned(as: UInt32.self)
            let length = Int(h.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            guard length >= 12, length % 4 == 0, length <= end - at, length <= Self.maximumBlock,
                  Int(h.loadUnaligned(fromByteOffset: length - 4, as: UInt32.self)) == length else { return at }
            switch type {
            case 6:
                guard length >= 32, h.loadUnaligned(fromByteOffset: 8, as: UInt32.self) == 0 else { return at }
                let caplen = Int(h.loadUnaligned(fromByteOffset: 20, as: UInt32.self))
                guard caplen <= length - 32, caplen <= snapshot else { return at }
                flowcast_prefetch_record(h + length)  // the next block, while this packet is decoded
                let ticks = UInt64(h.loadUnaligned(fromByteOffset: 12, as: UInt32.self)) << 32
                    | UInt64(h.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
                number += 1
                // As libpcap 1.10 with nanosecond precision: unsigned seconds, scaled fraction.
                let seconds = Int64(truncatingIfNeeded: ticks / unitsPerSecond)
                let fraction = Int64(ticks % unitsPerSecond) * nanosecondsPerUnit
                try body(Packet(number: number, seconds: seconds, fraction: fraction,
                                wireLength: clampedWireLength(h.loadUnaligned(fromByteOffset: 24, as: UInt32.self)),
                                bytes: UnsafeRawBufferPointer(start: h + 28, count: caplen), linkType: linkType))
            case 0x0A0D_0D0A, 1, 2, 3:
                return at  // a new section or interface, simple and obsolete packets: libpcap's
            default:
                break  // statistics, name resolution, secrets, custom blocks: skipped, as libpcap does
            }
            at += length
        }
        return at
    }
}
