// Shared by the pcap and pcapng targets (the same readers, two seed corpora): a whole capture
// file read twice through the public API, in place from the memory mapping
// (`OfflineCapture(path:)`) and through libpcap alone (`mapFile: false`). Every packet's bytes
// are touched so that a view past the mapping or past libpcap's buffer shows up under
// AddressSanitizer.
import FlowcastCapture
import FuzzSupport

nonisolated(unsafe) let scratch = ScratchFile()
nonisolated(unsafe) var fuzzSink = 0

public enum FuzzCapture {
    /// One libFuzzer input: the file's bytes.
    public static func run(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        Fuzz.run(data, size) { bytes in
            scratch.write(bytes)
            for mapFile in [true, false] {
                guard let capture = try? OfflineCapture(path: scratch.path, mapFile: mapFile) else { continue }
                var sum: UInt8 = 0
                try? capture.forEachPacket { packet in
                    for byte in packet.bytes { sum &+= byte }
                    sum &+= UInt8(truncatingIfNeeded: packet.wireLength &+ Int(packet.timestampNanoseconds))
                }
                if sum == 0x5A { fuzzSink &+= 1 }
            }
        }
    }
}
