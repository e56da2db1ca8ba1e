internal import FlowcastCore
/// Reads the packets of a pcapng file in place.
///
/// Two sets of rules, chosen by what the file holds rather than by any error text:
/// - as long as every interface has the first one's link type and snapshot length, libpcap
///   1.10's `pcap_ng_next_packet` (blocks, options, refusals and their words, timestamp
///   arithmetic, every packet with the first interface's link type);
/// - from the first interface libpcap would refuse on (libpcap reads one link type per handle),
///   Flowcast's own, wider rules (`PcapngReader+Interfaces.swift`): each packet with its own
///   interface's link type, any timestamp resolution computed exactly, new sections with their
///   own byte order, so that every capture tshark reads, Flowcast reads.
struct PcapngReader<Bytes: CaptureBytes>: CaptureReader {
    var bytes: Bytes
    let path: String
    /// The next block.
    var offset: Int
    /// The current section's byte order is not this host's.
    var swapped: Bool
    /// The interfaces of the current section.
    var interfaces: [PcapngInterface]
    /// False once an interface differs from the first (see the type's comment).
    var followsLibpcap = true
    /// Whether custom blocks are handed out as records (`Packet.record`), as tshark
    /// lists them; they are numbered either way, so packet numbers stay tshark's frame numbers.
    var deliversRecords = false
    /// Custom blocks before the first interface description (read at opening).
    private var leadingRecords: [Int] = []
    /// libpcap's DLT_ value and snapshot length for the file (its first interface).
    let firstDLT: Int32
    let snapshot: Int
    let firstLinkType: LinkType
    /// Whether records of the first link type begin with a pseudo-header tshark checks.
    private let checksPseudoHeader: Bool
    /// libpcap's largest block.
    let maximumBlock: Int
    private(set) var packetsRead = 0
    private(set) var linkTypes: [LinkType]
    /// The current section's interface names, for the reader's owner to look packets' up in.
    let names = InterfaceNameTable()
    private var scratch: UnsafeMutableRawBufferPointer?

    static var sectionHeader: UInt32 { 0x0A0D_0D0A }
    /// A custom block that may be copied; tshark lists it as a record.
    static var copyableCustomBlock: UInt32 { 0x0000_0BAD }
    /// A custom block that may not be copied; tshark lists it as a record too. (0x80000BAD, with
    /// the top bit of a local-use block type, is no custom block: both skip it.)
    static var nonCopyableCustomBlock: UInt32 { 0x4000_0BAD }

    /// A custom block's data as tshark lists it (after the enterprise number, padding
    /// included), or tshark's refusal of a block too short to hold the number.
    static func customBlockData(_ block: UnsafeRawBufferPointer) throws(ReadFault) -> UnsafeRawBufferPointer {
        guard block.count >= 16 else { throw .corrupt("total block length \(block.count) of a CB is too small (< 16)") }
        return UnsafeRawBufferPointer(rebasing: block[12..<(block.count - 4)])
    }

    /// Positions the reader after the first Interface Description Block, where libpcap stands
    /// once it has opened the file; `dlt` and `snapshot` are libpcap's view of that interface.
    init(bytes: Bytes, path: String, dlt: Int32, snapshot: Int) throws(PcapngOpenFault) {
        var bytes = bytes
        let opened = try Self.openSection(&bytes)
        self.bytes = bytes
        self.path = path
        offset = opened.offset
        swapped = opened.swapped
        interfaces = opened.interface.map { [$0] } ?? []
        names.names = interfaces.map(\.name)
        leadingRecords = opened.leadingRecords
        firstDLT = dlt
        self.snapshot = snapshot
        firstLinkType = LinkType(dlt: dlt)
        checksPseudoHeader = firstLinkType.wiretapPseudoHeaderLength > 0
        linkTypes = interfaces.isEmpty ? [] : [firstLinkType]
        // A file with no interface before its end or its first packet block (libpcap refuses it,
        // tshark reads it up to that packet): the custom blocks read at opening are records, and
        // the walk under Flowcast's rules goes on from there (and refuses the packet).
        if interfaces.isEmpty { followsLibpcap = false }
        let forSnapshot = 8 + 20 + LibpcapLimits.maximumSnapshot(dlt: dlt) + 131_072 + 4
        maximumBlock = max(16 << 20, forSnapshot)
    }

    var readsInPlace: Bool { bytes.readsInPlace }

    func close() {
        bytes.close()
        scratch?.deallocate()
    }

    /// As libpcap's `pcap_ng_check_header`: the section header, then blocks up to the first
    /// interface description. Returns the offset after it, and where the custom blocks
    /// before it start (records tshark lists first). A file that ends before any interface
    /// description (libpcap: "the capture file has no Interface Description Blocks") is read as
    /// tshark reads it: no interface, the offset of its end, its custom blocks as records; one
    /// with a packet block first, no interface and that block's offset.
    static func openSection(_ bytes: inout Bytes) throws(PcapngOpenFault)
        -> (offset: Int, swapped: Bool, interface: PcapngInterface?, leadingRecords: [Int]) {
        let head = bytes.bytes(at: 0, count: 12)
        guard head.count == 12 else { throw .truncated("section header block cut at \(head.count) bytes") }
        let swapped = head.loadUnaligned(fromByteOffset: 8, as: UInt32.self) != 0x1A2B_3C4D
        let total = Int(u32(head, 4, swapped))
        guard total >= 28, total <= 1 << 20 else {
            throw .corrupt("Section Header Block in pcapng dump file has invalid length 28 < _\(total)_ < 1048576 (BT_SHB_INSANE_MAX)")
        }
        let section = bytes.bytes(at: 0, count: total)
        guard section.count == total else {
            throw .truncated("truncated pcapng dump file; tried to read \(total - 12) bytes, only got \(section.count - 12)")
        }
        let major = u16(section, 12, swapped), minor = u16(section, 14, swapped)
        guard major == 1, minor == 0 || minor == 2 else {
            throw .unsupportedVersion("unsupported pcapng savefile version \(major).\(minor)")
        }
        var at = total
        var leading: [Int] = []
        while true {
            let found: (type: UInt32, block: UnsafeRawBufferPointer)?
            do throws(ReadFault) { found = try libpcapBlock(&bytes, at: at, maximum: 16 << 20, swapped: swapped) } catch {
                switch error {
                case let .truncated(reason): throw .truncated(reason)
                case let .corrupt(reason): throw .corrupt(reason)
                }
            }
            guard let (type, block) = found else { return (at, swapped, nil, leading) }
            switch type {
            case 1:
                do throws(ReadFault) { return (at + block.count, swapped, try libpcapInterface(block, swapped: swapped), leading) } catch {
                    switch error {
                    case let .truncated(reason), let .corrupt(reason): throw .corrupt(reason)
                    }
                }
            case 2, 3, 6:
                // libpcap refuses the file here; tshark lists the custom blocks before the packet,
                // then refuses it as naming no interface, and so does the walk from it.
                return (at, swapped, nil, leading)
            case copyableCustomBlock, nonCopyableCustomBlock:
                do throws(ReadFault) { _ = try customBlockData(block) } catch {
                    switch error {
                    case let .truncated(reason), let .corrupt(reason): throw .corrupt(reason)
                    }
                }
                leading.append(at)
                at += block.count
            default:
                at += block.count
            }
        }
    }

    mutating func forEachPacket(_ body: (Packet) throws -> Void) throws {
        defer { bytes.pause() }
        for at in leadingRecords {
            let length = Int(Self.u32(bytes.bytes(at: at, count: 8), 4, swapped))
            packetsRead += 1
            // Checked at opening: whole, and long enough.
            if deliversRecords, let data = try? Self.customBlockData(bytes.bytes(at: at, count: length)) {
                try body(.record(number: packetsRead, data: data))
            }
        }
        leadingRecords = []
        while followsLibpcap {
            bytes.reached(offset)
            let found: (type: UInt32, block: UnsafeRawBufferPointer)?
            do throws(ReadFault) {
                found = try Self.libpcapBlock(&bytes, at: offset, maximum: maximumBlock, swapped: swapped)
            } catch {
                // A section in the other byte order reads as a block of absurd length.
                if sectionOfOtherByteOrder(at: offset) { continue }
                throw fault(error)
            }
            guard let (type, block) = found else {
                // A file cut inside its last page reads as zeros there, without a fault.
                if let size = bytes.shrunkSize() { throw shrank(to: size) }
                return
            }
            // The trailer check above read the block's last bytes: a vanished page faulted there.
            guard bytes.holds(through: offset + block.count) else { throw shrank(to: bytes.shrunkSize() ?? 0) }
            let remaining = block.count - 12
            var interface = 0, captured = 0, wire: UInt32 = 0, ticks: UInt64 = 0, dataAt = 0
            switch type {
            case 6, 2:
                guard remaining >= 20 else { throw tooShort(type) }
                interface = type == 6 ? Int(Self.u32(block, 8, swapped)) : Int(Self.u16(block, 8, swapped))
                ticks = UInt64(Self.u32(block, 12, swapped)) << 32 | UInt64(Self.u32(block, 16, swapped))
                captured = Int(Self.u32(block, 20, swapped))
                wire = Self.u32(block, 24, swapped)
                dataAt = 28
            case 3:
                guard remaining >= 4 else { throw tooShort(type) }
                wire = Self.u32(block, 8, swapped)
                captured = min(Int(wire), snapshot)
                dataAt = 12
                if let refusal = Self.simpleBlockTrailer(block, captured: interfaces.first?.snaplen == 0 ? Int(wire) : captured,
                                                         swapped: swapped) {
                    throw fault(refusal)
                }
            case 1:
                guard remaining >= 8 else { throw tooShort(type) }
                let linkType = Self.u16(block, 8, swapped), snaplen = Self.u32(block, 12, swapped)
                guard Int32(linkType) == firstDLT,
                      LibpcapLimits.adjustedSnapshot(dlt: firstDLT, snaplen) == snapshot else {
                    // libpcap refuses here; Flowcast reads on with its own rules, this block first.
                    followsLibpcap = false
                    linkTypes = interfaceLinkTypes()
                    continue
                }
                do throws(ReadFault) { interfaces.append(try Self.libpcapInterface(block, swapped: swapped)) } catch {
                    throw fault(error)
                }
                names.names.append(interfaces.last!.name)
                offset += block.count
                continue
            case Self.sectionHeader:
                if sectionOfOtherByteOrder(at: offset) { continue }
                guard remaining >= 16 else { throw tooShort(type) }
                let major = Self.u16(block, 12, swapped)
                guard major == 1 else { throw fault(.corrupt("unknown pcapng savefile major version number \(major)")) }
                interfaces.removeAll(keepingCapacity: true)
                names.names.removeAll()
                offset += block.count
                continue
            case Self.copyableCustomBlock, Self.nonCopyableCustomBlock:
                let data: UnsafeRawBufferPointer
                do throws(ReadFault) { data = try Self.customBlockData(block) } catch { throw fault(error) }
                packetsRead += 1
                if deliversRecords { try body(.record(number: packetsRead, data: data)) }
                offset += block.count
                continue
            default:
                offset += block.count
                continue
            }
            guard interface < interfaces.count else {
                throw fault(.corrupt("a packet arrived on interface \(interface), but there's no Interface Description Block for that interface"))
            }
            // A packet longer than its interface's snapshot length is read whole, as tshark reads
            // it (libpcap refuses the file there; as pcap records are: README); only one past
            // the link type's largest, which tshark refuses too, is refused. It ended the run with
            // nothing after it read (an audit).
            let maximum = LibpcapLimits.maximumSnapshot(dlt: firstDLT)
            guard captured <= maximum else {
                throw fault(.corrupt("invalid packet capture length \(captured), bigger than maximum of \(maximum)"))
            }
            guard captured <= remaining - (dataAt - 8) else { throw tooShort(type) }
            let (seconds, fraction) = interfaces[interface].libpcapTime(ticks: ticks)
            var data = UnsafeRawBufferPointer(rebasing: block[dataAt..<(dataAt + captured)])
            if checksPseudoHeader, let reason = WiretapPseudoHeader.refusal(data, linkType: firstLinkType) { throw fault(.corrupt(reason)) }
            bytes.prefetch(offset + block.count)  // the next block, while this packet is decoded
            packetsRead += 1
            if swapped, PseudoHeaderByteOrder.applies(to: firstLinkType) { data = swapPseudoHeader(data, wireLength: wire) }
            if firstLinkType == USBMappedLength.linkType { wire = USBMappedLength.corrected(data, wireLength: wire) }
            var packet = Packet(number: packetsRead, seconds: seconds, fraction: fraction, wireLength: clampedWireLength(wire),
                                bytes: data, linkType: firstLinkType, interfaceIndex: interface)
            packet.hasTimestamp = type != 3
            try body(packet)
            offset += block.count
        }
        var state = IndependentWalk(offset: offset, swapped: swapped, interfaces: interfaces, number: packetsRead,
                                    deliversRecords: deliversRecords, names: names)
        defer {
            offset = state.offset; swapped = state.swapped; interfaces = state.interfaces
            packetsRead = state.number
        }
        var delivered = packetsRead
        defer { state.number = delivered }
        try Self.walkIndependently(&bytes, path: path, &state, deliver: true) { packet in
            delivered = packet.number
            try body(packet)
        }
    }

    /// The block at `at` as libpcap's `read_block` takes it, trailer checked; nil at the end of
    /// the file.
    /// tshark reads a simple packet block's data as long as its original length cut by the
    /// interface's snapshot length (`captured`), padded to 4 bytes, and its trailer right after;
    /// a block of another length fails its trailer check there (libpcap reads the data and skips
    /// to the block's end). tshark's words.
    static func simpleBlockTrailer(_ block: UnsafeRawBufferPointer, captured: Int, swapped: Bool) -> ReadFault? {
        let at = 12 + (captured + 3) / 4 * 4
        guard at + 4 != block.count else { return nil }
        let second = at >= 0 && at + 4 <= block.count ? u32(block, at, swapped) : 0
        return .corrupt("total block lengths (first \(block.count) and second \(second)) don't match")
    }

    /// Whether a section header in the other byte order starts at `at`. libpcap 1.10 refuses a
    /// file whose sections differ in byte order; tshark reads each in its own, and so do the
    /// readers: the walk goes on under Flowcast's own rules (`walkIndependently`) from here.
    mutating func sectionOfOtherByteOrder(at: Int) -> Bool {
        let head = bytes.bytes(at: at, count: 12)
        guard head.count == 12, head.loadUnaligned(as: UInt32.self) == Self.sectionHeader,
              head.loadUnaligned(fromByteOffset: 8, as: UInt32.self) == (swapped ? 0x1A2B_3C4D : 0x4D3C_2B1A) else { return false }
        followsLibpcap = false
        linkTypes = interfaceLinkTypes()
        return true
    }

    @inline(__always)
    static func libpcapBlock(_ bytes: inout Bytes, at: Int, maximum: Int,
                             swapped: Bool) throws(ReadFault) -> (type: UInt32, block: UnsafeRawBufferPointer)? {
        let head = bytes.bytes(at: at, count: 8)
        guard head.count == 8 else {
            if head.isEmpty { return nil }
            throw .truncated("truncated pcapng dump file; tried to read 8 bytes, only got \(head.count)")
        }
        let type = u32(head, 0, swapped), total = u32(head, 4, swapped)
        guard total >= 12 else { throw .corrupt("block in pcapng dump file has a length of \(total) < 12") }
        guard total % 4 == 0 else {
            throw .corrupt("block in pcapng dump file has a length of \(total) that is not a multiple of 4")
        }
        guard total <= maximum else { throw .corrupt("pcapng block size \(total) > maximum \(maximum)") }
        let block = bytes.bytes(at: at, count: Int(total))
        guard block.count == Int(total) else {
            throw .truncated("truncated pcapng dump file; tried to read \(total - 8) bytes, only got \(block.count - 8)")
        }
        guard u32(block, Int(total) - 4, swapped) == total else {
            throw .corrupt("block total length in header and trailer don't match")
        }
        return (type, block)
    }

    /// An Interface Description Block under libpcap's `add_interface` rules.
    static func libpcapInterface(_ block: UnsafeRawBufferPointer, swapped: Bool) throws(ReadFault) -> PcapngInterface {
        let tooShort = ReadFault.corrupt("block of type 1 in pcapng dump file is too short")
        var interface = PcapngInterface(linkType: LinkType(dlt: Int32(u16(block, 8, swapped))), snaplen: u32(block, 12, swapped))
        var at = 16
        let end = block.count - 4
        var sawResolution = false, sawOffset = false
        while at < end {
            guard end - at >= 4 else { throw tooShort }
            let code = u16(block, at, swapped), length = Int(u16(block, at + 2, swapped))
            guard end - at - 4 >= (length + 3) / 4 * 4 else { throw tooShort }
            let value = at + 4
            at = value + (length + 3) / 4 * 4
            switch code {
            case 0:
                guard length == 0 else {
                    throw .corrupt("Interface Description Block has opt_endofopt option with length \(length) != 0")
                }
                return interface
            case 9:
                guard length == 1 else {
                    throw .corrupt("Interface Description Block has if_tsresol option with length \(length) != 1")
                }
                guard !sawResolution else { throw .corrupt("Interface Description Block has more than one if_tsresol option") }
                sawResolution = true
                do throws(PcapngTimestampResolution.Refusal) {
                    interface.resolution = try PcapngTimestampResolution.parse(block[value])
                } catch {
                    switch error {
                    case let .binaryTooFine(e):
                        throw .corrupt("Interface Description Block if_tsresol option resolution 2^-\(e) is too high")
                    case let .decimalTooFine(e):
                        throw .corrupt("Interface Description Block if_tsresol option resolution 10^-\(e) is too high")
                    }
                }
            case 14:
                guard length == 8 else {
                    throw .corrupt("Interface Description Block has if_tsoffset option with length \(length) != 8")
                }
                guard !sawOffset else { throw .corrupt("Interface Description Block has more than one if_tsoffset option") }
                sawOffset = true
                let raw = block.loadUnaligned(fromByteOffset: value, as: Int64.self)
                interface.offsetSeconds = swapped ? raw.byteSwapped : raw
            case 2:
                interface.name = PcapngInterface.name(block, at: value, length: length)
            default:
                break
            }
        }
        return interface
    }

    /// A fault in a file that shrank while it was read is reported as that.
    private func fault(_ fault: ReadFault) -> CaptureError {
        if let size = bytes.shrunkSize() { return shrank(to: size) }
        return fault.error(path: path, packet: packetsRead + 1)
    }

    private func shrank(to size: Int) -> CaptureError {
        ReadFault.truncated(Bytes.shrankReason(to: size)).error(path: path, packet: packetsRead + 1)
    }

    private func tooShort(_ type: UInt32) -> CaptureError {
        fault(.corrupt("block of type \(type) in pcapng dump file is too short"))
    }

    /// A copy of `data` with its pseudo-header in this host's byte order (`PseudoHeaderByteOrder`).
    private mutating func swapPseudoHeader(_ data: UnsafeRawBufferPointer, wireLength: UInt32) -> UnsafeRawBufferPointer {
        PseudoHeaderByteOrder.swappedCopy(data, linkType: firstLinkType, wireLength: wireLength, scratch: &scratch)
    }

    @inline(__always)
    static func u16(_ b: UnsafeRawBufferPointer, _ at: Int, _ swapped: Bool) -> UInt16 {
        let v = b.loadUnaligned(fromByteOffset: at, as: UInt16.self)
        return swapped ? v.byteSwapped : v
    }

    @inline(__always)
    static func u32(_ b: UnsafeRawBufferPointer, _ at: Int, _ swapped: Bool) -> UInt32 {
        let v = b.loadUnaligned(fromByteOffset: at, as: UInt32.self)
        return swapped ? v.byteSwapped : v
    }
}

/// Why a pcapng file cannot be opened, as its own structure says (where libpcap refused the
/// file, libpcap's words are the reason shown).
enum PcapngOpenFault: Error {
    case truncated(String), unsupportedVersion(String), corrupt(String)
}
