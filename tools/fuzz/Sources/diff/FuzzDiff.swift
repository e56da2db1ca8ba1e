// Fuzz target: `flowcast diff` on two policy files. Input: OLD, a NUL byte, NEW (JSON holds no
// raw NUL); with no NUL the document is compared with itself. Both go through
// `PolicyComparison.compare` as the CLI calls it, then through every renderer.
import FlowcastPolicy
import FlowcastReview
import Foundation
import FuzzSupport

nonisolated(unsafe) let oldFile = ScratchFile()
nonisolated(unsafe) let newFile = ScratchFile()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    Fuzz.run(data, size) { bytes in
        let split = bytes.firstIndex(of: 0)
        oldFile.write(UnsafeRawBufferPointer(rebasing: bytes[..<(split ?? bytes.endIndex)]))
        newFile.write(UnsafeRawBufferPointer(rebasing: bytes[(split.map { $0 + 1 } ?? 0)...]))
        guard let comparison = try? PolicyComparison.compare(old: URL(fileURLWithPath: oldFile.path),
                                                             new: URL(fileURLWithPath: newFile.path)) else { return }
        _ = comparison.text()
        _ = comparison.text(colour: true)
        _ = comparison.markdown()
        _ = try? comparison.json()
    }
}
