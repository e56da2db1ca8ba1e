// Fuzz target: the GTPv2-C parser. Input: the UDP payload of port 2123.
import FlowcastDecode
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    Fuzz.run(data, size) { bytes in
        guard let messages = GTPv2Message.parse(bytes) else { return }
        for message in messages {
            for fteid in message.fteids { _ = fteid.address; _ = fteid.isUserPlane }
            for cell in message.cells { _ = cell.description }
        }
    }
}
