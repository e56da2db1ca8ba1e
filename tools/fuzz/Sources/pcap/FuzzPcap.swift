// Fuzz target: the pcap reader, on pcap seeds. Input: a whole capture file, read in place
// and through libpcap alone (`FuzzCapture`, shared with the pcapng target).
import FuzzCapture

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzCapture.run(data, size)
}
