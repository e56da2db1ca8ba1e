internal import FlowcastCore
/// Some link types start with a pseudo-header whose fields are in the byte order of the host
/// that wrote the file. When the file's byte order differs from this host's, libpcap turns those
/// fields around before handing the packet over, and so do the readers (into a scratch copy: a
/// mapping is read-only). The fields are the ones libpcap 1.10's `swap_pseudo_headers` swaps;
/// a test compares the result with libpcap's.
enum PseudoHeaderByteOrder {
    /// Whether packets of `linkType` need this in a file of the other byte order.
    static func applies(to linkType: LinkType) -> Bool {
        switch linkType.rawValue {
        case 113, 117, 189, 220, 239, 276: return true
        default: return false
        }
    }

    /// Swaps the pseudo-header of `packet` (captured bytes) in place.
    /// A copy of `data` in `scratch` (grown as needed, owned by the reader) with its pseudo-header
    /// swapped: the mapped file itself is never written.
    static func swappedCopy(_ data: UnsafeRawBufferPointer, linkType: LinkType, wireLength: UInt32,
                            scratch: inout UnsafeMutableRawBufferPointer?) -> UnsafeRawBufferPointer {
        if scratch == nil || scratch!.count < data.count {
            scratch?.deallocate()
            scratch = .allocate(byteCount: max(data.count, 65_536), alignment: 8)
        }
        let copy = UnsafeMutableRawBufferPointer(rebasing: scratch![..<data.count])
        copy.copyMemory(from: data)
        swap(copy, linkType: linkType, wireLength: wireLength)
        return UnsafeRawBufferPointer(copy)
    }

    static func swap(_ packet: UnsafeMutableRawBufferPointer, linkType: LinkType, wireLength: UInt32) {
        let captured = packet.count, wire = Int(wireLength)
        switch linkType.rawValue {
        case 117: pflog(packet, captured: captured, wire: wire)
        case 113: socketCAN(packet, headerLength: 16, protocolAt: 14, wire: wire)
        case 276: socketCAN(packet, headerLength: 20, protocolAt: 0, wire: wire)
        case 189: usb(packet, wideHeader: false)
        case 220: usb(packet, wideHeader: true)
        case 239: nflog(packet, wire: wire)
        default: break
        }
    }

    private static func swap32(_ p: UnsafeMutableRawBufferPointer, _ at: Int) {
        p.storeBytes(of: p.loadUnaligned(fromByteOffset: at, as: UInt32.self).byteSwapped, toByteOffset: at, as: UInt32.self)
    }

    private static func swap16(_ p: UnsafeMutableRawBufferPointer, _ at: Int) {
        p.storeBytes(of: p.loadUnaligned(fromByteOffset: at, as: UInt16.self).byteSwapped, toByteOffset: at, as: UInt16.self)
    }

    private static func swap64(_ p: UnsafeMutableRawBufferPointer, _ at: Int) {
        p.storeBytes(of: p.loadUnaligned(fromByteOffset: at, as: UInt64.self).byteSwapped, toByteOffset: at, as: UInt64.self)
    }

    /// OpenBSD pflog: uid, pid, rule uid and rule pid, as far as the header's own length and the
    /// captured and wire lengths reach.
    private static func pflog(_ p: UnsafeMutableRawBufferPointer, captured: Int, wire: Int) {
        guard captured >= 1 else { return }
        let headerLength = Int(p[0])
        for field in [44, 48, 52, 56] {
            guard captured >= field + 4, wire >= field + 4, headerLength >= field + 4 else { return }
            swap32(p, field)
        }
    }

    /// Linux cooked capture carrying SocketCAN: the CAN ID of CAN and CAN FD frames.
    private static func socketCAN(_ p: UnsafeMutableRawBufferPointer, headerLength: Int, protocolAt: Int, wire: Int) {
        guard p.count >= headerLength, wire >= headerLength else { return }
        let proto = UInt16(p[protocolAt]) << 8 | UInt16(p[protocolAt + 1])
        guard proto == 0x000C || proto == 0x000D, p.count >= headerLength + 4, wire >= headerLength + 4 else { return }
        swap32(p, headerLength)
    }

    /// Linux USB (48-byte header, or 64 bytes when memory-mapped): the multi-byte fields, and
    /// the isochronous descriptors of the wide header.
    private static func usb(_ p: UnsafeMutableRawBufferPointer, wideHeader: Bool) {
        let count = p.count
        guard count >= 8 else { return }
        swap64(p, 0)  // id
        guard count >= 14 else { return }
        swap16(p, 12)  // bus id
        for (at, width) in [(16, 8), (24, 4), (28, 4), (32, 4), (36, 4)] {  // ts_sec, ts_usec, status, urb_len, data_len
            guard count >= at + width else { return }
            width == 8 ? swap64(p, at) : swap32(p, at)
        }
        let isochronous = p[9] == 0
        if isochronous {
            guard count >= 44 else { return }
            swap32(p, 40)  // error count
            guard count >= 48 else { return }
            swap32(p, 44)  // number of descriptors
        }
        guard wideHeader else { return }
        for at in [48, 52, 56, 60] {  // interval, start frame, transfer flags, descriptors present
            guard count >= at + 4 else { return }
            swap32(p, at)
        }
        guard isochronous else { return }
        let descriptors = p.loadUnaligned(fromByteOffset: 60, as: UInt32.self)
        var at = 64
        for _ in 0..<descriptors {
            for field in 0..<3 {  // status, offset, length; then padding
                guard count >= at + 4 * field + 4 else { return }
                swap32(p, at + 4 * field)
            }
            at += 16
        }
    }

    /// NFLOG: the type and length of each TLV after the 4-byte header.
    private static func nflog(_ p: UnsafeMutableRawBufferPointer, wire: Int) {
        guard p.count >= 4, wire >= 4, p[1] == 0 else { return }
        var at = 4
        var captured = p.count - 4, length = wire - 4
        while captured >= 4 {
            swap16(p, at); swap16(p, at + 2)
            var size = Int(p.loadUnaligned(fromByteOffset: at, as: UInt16.self))
            if size % 4 != 0 { size += 4 - size % 4 }
            guard size >= 4, captured >= size, length >= size else { return }
            at += size; captured -= size; length -= size
        }
    }
}

/// libpcap 1.10's correction of the wire length of memory-mapped Linux USB captures
/// (`fix_linux_usb_mmapped_length`): older libpcaps computed it for completion events of
/// incoming isochronous transfers from the URB length rather than the descriptors.
enum USBMappedLength {
    static let linkType = LinkType(rawValue: 220)

    /// The wire length libpcap reports for `packet` (header fields in this host's byte order).
    static func corrected(_ packet: UnsafeRawBufferPointer, wireLength: UInt32) -> UInt32 {
        let caplen = UInt32(packet.count)
        guard packet.count >= 64 else { return wireLength }
        let dataFlag = packet[15], transferType = packet[9], eventType = packet[8], endpoint = packet[10]
        let urbLength = packet.loadUnaligned(fromByteOffset: 32, as: UInt32.self)
        let descriptors = packet.loadUnaligned(fromByteOffset: 60, as: UInt32.self)
        // 32-bit arithmetic, wrapping, as in C.
        guard dataFlag == 0, transferType == 0, eventType == UInt8(ascii: "C"), endpoint & 0x80 != 0,
              wireLength == 64 &+ descriptors &* 16 &+ urbLength else { return wireLength }
        var dataEnd: UInt32 = 0
        var left = caplen - 64
        var at = 64
        var index: UInt32 = 0
        while index < descriptors, left >= 16 {
            let offset = packet.loadUnaligned(fromByteOffset: at + 4, as: UInt32.self)
            let length = packet.loadUnaligned(fromByteOffset: at + 8, as: UInt32.self)
            if length != 0 { dataEnd = max(dataEnd, offset &+ length) }
            index += 1; left -= 16; at += 16
        }
        var corrected = wireLength
        let beforeTruncation = 64 &+ descriptors &* 16 &+ dataEnd
        if beforeTruncation >= caplen { corrected = beforeTruncation }
        if caplen > corrected { corrected = caplen }
        return corrected
    }
}
