// Fuzz target: the policy document reader. Input: a policy document (JSON), read as `replay`
// and `plan` read one (schema, then decoding) and as `diff` and `report` read one (version first).
import FlowcastPolicy
import FlowcastReview
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    Fuzz.run(data, size) { bytes in
        let json = Data(bytes)
        _ = PolicyDocument.schemaViolations(json)
        if let document = try? PolicyDocument(jsonData: json, path: "fuzz.json") {
            _ = try? document.jsonData()
        }
        if let document = try? PolicyDocument(reviewing: json, path: "fuzz.json") {
            _ = PolicyDiffer.violations(of: document)
            _ = PolicyDiffer.peakLink(document)
            _ = PolicyDiffer.peakCell(document)
        }
    }
}
