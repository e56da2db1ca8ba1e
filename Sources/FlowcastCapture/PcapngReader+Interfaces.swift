internal import FlowcastCore
/// Flowcast's own pcapng rules, for files whose interfaces differ in link type or snapshot
/// length (libpcap 1.10 refuses them at the first such interface): section headers with their
/// own byte order, interface descriptions with `if_tsresol` / `if_tsoffset`, enhanced, simple
/// and obsolete packet blocks; everything else is skipped by its declared length.
extension PcapngReader {
    /// Where a walk under these rules stands.
    struct IndependentWalk {
        var offset: Int
        var swapped: Bool
        var interfaces: [PcapngInterface]
        /// Packets counted so far (delivered or not).
        var number: Int
        /// The link types of the current section's interfaces when the last one was described.
        var describedLinkTypes: [LinkType] = []
        /// Whether custom blocks are handed out as records (`PcapngReader.deliversRecords`).
        var deliversRecords = false
        /// Where the current section's interface names go as the walk delivers packets.
        var names: InterfaceNameTable? = nil
    }

    /// The link types every interface of the file declares, as a walk of the whole file finds
    /// them (the last section's, up to the first fault).
    mutating func interfaceLinkTypes() -> [LinkType] {
        var state = IndependentWalk(offset: 0, swapped: false, interfaces: [], number: 0)
        do { try Self.walkIndependently(&bytes, path: path, &state, deliver: false) { _ in } } catch {}
        return state.describedLinkTypes
    }

    /// Walks blocks from `state.offset` to the end of the file, handing each packet to `body`
    /// when `deliver` is set.
    static func walkIndependently(_ bytes: inout Bytes, path: String, _ state: inout IndependentWalk, deliver: Bool,
                                  _ body: (Packet) throws -> Void) throws {
        func fault(_ fault: ReadFault) -> CaptureError {
            if let size = bytes.shrunkSize() { return ReadFault.truncated(Bytes.shrankReason(to: size)).error(path: path, packet: state.number + 1) }
            return fault.error(path: path, packet: state.number + 1)
        }
        while true {
            let offset = state.offset
            if deliver { bytes.reached(offset) }
            let head = bytes.bytes(at: offset, count: 12)
            guard head.count == 12 else {
                if head.isEmpty {
                    if deliver, bytes.shrunkSize() != nil { throw fault(.truncated("")) }
                    return
                }
                throw fault(.truncated("block header cut at \(head.count) bytes, offset \(offset)"))
            }
            if head.loadUnaligned(as: UInt32.self) == sectionHeader {  // palindromic: either byte order
                switch head.loadUnaligned(fromByteOffset: 8, as: UInt32.self) {
                case 0x1A2B_3C4D: state.swapped = false
                case 0x4D3C_2B1A: state.swapped = true
                default: throw fault(.corrupt("bad byte-order magic at offset \(offset)"))
                }
                state.interfaces = []
                state.names?.names = []
            }
            let swapped = state.swapped
            let type = u32(head, 0, swapped), length = Int(u32(head, 4, swapped))
            guard length >= 12, length % 4 == 0 else { throw fault(.corrupt("block at offset \(offset) declares length \(length)")) }
            let block = bytes.bytes(at: offset, count: length)
            guard block.count == length else {
                throw fault(.truncated("block at offset \(offset) declares \(length) bytes, only \(block.count) remain"))
            }
            guard bytes.holds(through: offset + length) else { throw fault(.truncated("")) }
            let bodyLength = length - 12
            switch type {
            case 1:
                guard bodyLength >= 8 else { throw fault(.corrupt("interface block too short at offset \(offset)")) }
                do throws(ReadFault) { state.interfaces.append(try interface(block, swapped: swapped)) } catch { throw fault(error) }
                state.names?.names.append(state.interfaces.last!.name)
                if !deliver { state.describedLinkTypes = state.interfaces.map(\.linkType) }
            case 6, 2:
                guard bodyLength >= 20 else { throw fault(.corrupt("packet block too short at offset \(offset)")) }
                let index = type == 6 ? Int(u32(block, 8, swapped)) : Int(u16(block, 8, swapped))
                guard index < state.interfaces.count else {
                    throw fault(.corrupt("packet names interface \(index), only \(state.interfaces.count) described"))
                }
                let captured = Int(u32(block, 20, swapped))
                guard captured <= bodyLength - 20 else { throw fault(.corrupt("captured length \(captured) exceeds its block")) }
                if let reason = WiretapPseudoHeader.refusal(UnsafeRawBufferPointer(rebasing: block[28..<(28 + captured)]),
                                                            linkType: state.interfaces[index].linkType) {
                    throw fault(.corrupt(reason))
                }
                state.number += 1
                if deliver {
                    let interface = state.interfaces[index]
                    let ticks = UInt64(u32(block, 12, swapped)) << 32 | UInt64(u32(block, 16, swapped))
                    let (seconds, fraction) = interface.exactTime(ticks: ticks)
                    try body(Packet(number: state.number, seconds: seconds, fraction: fraction,
                                    wireLength: clampedWireLength(u32(block, 24, swapped)),
                                    bytes: UnsafeRawBufferPointer(rebasing: block[28..<(28 + captured)]),
                                    linkType: interface.linkType, interfaceIndex: index))
                }
            case 3:  // Simple Packet Block: interface 0, no timestamp
                guard bodyLength >= 4, let interface = state.interfaces.first else {
                    throw fault(.corrupt("simple packet block without an interface"))
                }
                state.number += 1
                let wire = Int(u32(block, 8, swapped))
                var captured = min(wire, bodyLength - 4)
                if interface.snaplen > 0 { captured = min(captured, Int(interface.snaplen)) }
                if let refusal = simpleBlockTrailer(block, captured: interface.snaplen > 0 ? min(wire, Int(interface.snaplen)) : wire,
                                                    swapped: swapped) {
                    throw fault(refusal)
                }
                if let reason = WiretapPseudoHeader.refusal(UnsafeRawBufferPointer(rebasing: block[12..<(12 + captured)]),
                                                            linkType: interface.linkType) {
                    throw fault(.corrupt(reason))
                }
                if deliver {
                    var packet = Packet(number: state.number, timestampNanoseconds: 0, wireLength: clampedWireLength(UInt32(wire)),
                                        bytes: UnsafeRawBufferPointer(rebasing: block[12..<(12 + captured)]),
                                        linkType: interface.linkType)
                    packet.hasTimestamp = false
                    try body(packet)
                }
            case copyableCustomBlock, nonCopyableCustomBlock:
                let data: UnsafeRawBufferPointer
                do throws(ReadFault) { data = try customBlockData(block) } catch { throw fault(error) }
                state.number += 1
                if deliver && state.deliversRecords { try body(.record(number: state.number, data: data)) }
            default:
                break  // section headers (handled above), name resolution, statistics, custom blocks
            }
            state.offset = offset + length
        }
    }

    /// An Interface Description Block under these rules: options read as far as they go.
    static func interface(_ block: UnsafeRawBufferPointer, swapped: Bool) throws(ReadFault) -> PcapngInterface {
        var interface = PcapngInterface(linkType: LinkType(dlt: Int32(u16(block, 8, swapped))), snaplen: u32(block, 12, swapped))
        var at = 16
        let end = block.count - 4
        while at + 4 <= end {
            let code = u16(block, at, swapped), length = Int(u16(block, at + 2, swapped))
            if code == 0 { break }
            guard at + 4 + length <= end else { throw .corrupt("interface option \(code) overruns its block") }
            if code == 9, length >= 1 {
                do throws(PcapngTimestampResolution.Refusal) {
                    interface.resolution = try PcapngTimestampResolution.parse(block[at + 4])
                } catch {
                    switch error {
                    case let .binaryTooFine(e): throw .corrupt("if_tsresol 2^-\(e)")
                    case let .decimalTooFine(e): throw .corrupt("if_tsresol 10^-\(e)")
                    }
                }
            } else if code == 14, length >= 8 {
                let raw = block.loadUnaligned(fromByteOffset: at + 4, as: Int64.self)
                interface.offsetSeconds = swapped ? raw.byteSwapped : raw
            } else if code == 2 {
                interface.name = PcapngInterface.name(block, at: at + 4, length: length)
            }
            at += 4 + (length + 3) & ~3
        }
        return interface
    }
}
