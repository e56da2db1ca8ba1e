// Fuzz target: the packet decoder. Input: one byte naming the link type, then the packet.
// `FLOWCAST_FUZZ_MAKE_SEEDS=DIR` splits the captures named in `FLOWCAST_FUZZ_CAPTURES`
// (colon-separated) into one seed per packet in DIR, in this input format.
import FlowcastCapture
import FlowcastDecode
import FuzzSupport
import Glibc

/// Link types the decoder dispatches on: input byte `i` below the table's count picks `linkTypes[i]`;
/// a larger byte is itself the link type (so unknown link types are reached too).
let linkTypes: [UInt32] = [1, 0, 108, 9, 50, 101, 12, 14, 228, 229, 113, 276, 239]

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>>>) -> Int32 {
    guard let directory = Fuzz.seedExportDirectory, let list = getenv("FLOWCAST_FUZZ_CAPTURES") else { return 0 }
    let gtpv2Directory = getenv("FLOWCAST_FUZZ_GTPV2_SEEDS").map { String(cString: $0) }
    let limit = getenv("FLOWCAST_FUZZ_MAX_PACKETS").flatMap { Int(String(cString: $0)) } ?? Int.max
    for path in String(cString: list).split(separator: ":").map(String.init) {
        let name = path.split(separator: "/").last.map(String.init) ?? "capture"
        guard let capture = try? OfflineCapture(path: path) else { continue }
        var gtpv2Seeds = 0
        try? capture.forEachPacket { packet in
            let selector = linkTypes.firstIndex(of: packet.linkType.rawValue).map(UInt8.init)
                ?? UInt8(truncatingIfNeeded: packet.linkType.rawValue)
            if packet.number <= limit {
                let seed = [selector] + packet.copyBytes()
                seed.withUnsafeBytes { Fuzz.save($0, to: "\(directory)/\(name)-\(packet.number)") }
            }
            let summary = PacketDecoder().decode(packet.bytes, linkType: packet.linkType.rawValue,
                                                 wireLength: packet.wireLength, timestampNanoseconds: 0)
            if let gtpv2Directory, gtpv2Seeds < 64, let at = summary.gtpv2Offset {
                gtpv2Seeds += 1
                Fuzz.save(UnsafeRawBufferPointer(rebasing: packet.bytes[at...]), to: "\(gtpv2Directory)/\(name)-\(packet.number)")
            }
        }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    Fuzz.run(data, size) { bytes in
        guard let selector = bytes.first else { return }
        let linkType = Int(selector) < linkTypes.count ? linkTypes[Int(selector)] : UInt32(selector)
        let packet = UnsafeRawBufferPointer(rebasing: bytes.dropFirst())
        let summary = PacketDecoder().decode(packet, linkType: linkType, wireLength: packet.count, timestampNanoseconds: 0)
        // What replay does next with a summary: print it, and parse GTPv2-C signalling it found.
        var line: [UInt8] = []
        summary.appendTSV(number: 1, to: &line)
        summary.appendJSON(number: 1, to: &line)
        if let at = summary.gtpv2Offset {
            _ = GTPv2Message.parse(UnsafeRawBufferPointer(rebasing: packet[at...]))
        }
    }
}
