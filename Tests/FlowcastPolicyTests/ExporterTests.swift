@testable import FlowcastPolicy
import FlowcastTestSupport
import Foundation
import Testing

/// Golden files: Tests/FlowcastPolicyTests/Golden/policy.json is a fixed document; each exporter's
/// output on it is compared byte for byte. Regenerate with FLOWCAST_UPDATE_GOLDEN=1 and review the diff.
let goldenFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

@Test(arguments: [(ExportFormat.a1, "a1.json"), (.iproute, "iproute.sh"), (.nrcelldu, "nrcelldu.json")])
func exporterMatchesGolden(format: ExportFormat, file: String) throws {
    let document = try PolicyDocument(contentsOf: goldenFolder.appendingPathComponent("policy.json"))
    let output = try PolicyExporter.export(document, as: format)
    let url = goldenFolder.appendingPathComponent(file)
    if ProcessInfo.processInfo.environment["FLOWCAST_UPDATE_GOLDEN"] == "1" {
        try output.write(to: url, atomically: true, encoding: .utf8)
    }
    #expect(output == (try String(contentsOf: url, encoding: .utf8)))
}

@Test func ipRouteWeightsAreIntegersProportionalToTheSplit() throws {
    let document = try PolicyDocument(contentsOf: goldenFolder.appendingPathComponent("policy.json"))
    let text = try PolicyExporter.export(document, as: .iproute)
    for line in text.split(separator: "\n") where line.hasPrefix("ip route replace") {
        let weights = line.split(separator: " ").enumerated().compactMap { i, word in
            word == "weight" ? Int(line.split(separator: " ")[i + 1]) : nil
        }
        #expect(!weights.isEmpty)
        #expect(weights.allSatisfy { (1...256).contains($0) })
    }
}

@Test func nrArfcnFollowsTheGlobalRaster() {
    // TS 38.104 §5.4.2.1: 3500 MHz → 600000 + 500/0.015 = 633333; 1842.5 MHz → 368500.
    #expect(NRCellDUExporter.arfcn(mhz: 3500) == 633_333)
    #expect(NRCellDUExporter.arfcn(mhz: 1842.5) == 368_500)
}
