import FlowcastCapture
import FlowcastCore
import FlowcastTestSupport
import Foundation
import Testing

/// Each packet's interface name is the pcapng interface description's `if_name`, as tshark gives
/// it (`frame.interface_name`, captures/real/interface-names.tsv from tools/tshark-interface-names.py),
/// over every bundled pcapng file: several interfaces, sections of either byte order, simple
/// packet blocks, and files libpcap refuses that Flowcast reads on its own rules.
@Suite("Capture interface names against tshark")
struct InterfaceNameTests {
    @Test("every pcapng frame's interface name is tshark's, mapped or buffered")
    func namesAreTsharks() throws {
        let text = try String(contentsOf: Fixtures.captures.appendingPathComponent("real/interface-names.tsv"), encoding: .utf8)
        var expected: [String: [Int: String]] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t", maxSplits: 2).map(String.init)
            expected[f[0], default: [:]][Int(f[1])!] = f[2]
        }
        #expect(expected.count >= 5)
        // Every bundled pcapng file: those the list does not name have no name on any frame.
        var captures: [String] = []
        for folder in ["real", "synthetic"] {
            let files = try FileManager.default.contentsOfDirectory(atPath: Fixtures.captures.appendingPathComponent(folder).path)
            captures += files.filter { $0.hasSuffix(".pcapng") }.map { folder + "/" + $0 }
        }
        #expect(captures.count >= 20)
        var compared = 0
        for capture in captures.sorted() {
            let names = expected[capture] ?? [:]
            for mapped in [true, false] {
                // A file Flowcast refuses outright (tshark's refusals too) has no frames to compare.
                guard let file = try? OfflineCapture(path: Fixtures.captures.appendingPathComponent(capture).path, mapFile: mapped, records: true)
                else { continue }
                var got: [Int: String] = [:]
                do {
                    try file.forEachPacket { packet in
                        if let name = file.interfaceName(at: packet.interfaceIndex), packet.linkType != .noLinkLayer {
                            got[packet.number] = Self.asTsharkPrints(name)
                        }
                    }
                } catch {
                    // A file cut or corrupt part-way: the frames read before the fault count.
                }
                let read = names.filter { got[$0.key] != nil || $0.key <= file.packetsRead }
                #expect(got == read, "\(capture) (mapped \(mapped)): \(got.sorted { $0.key < $1.key }.prefix(5)) against tshark \(read.sorted { $0.key < $1.key }.prefix(5))")
                compared += got.count
            }
        }
        #expect(compared >= 250)
    }

    /// A name as tshark's `-T fields` output writes it: carriage returns, line feeds and tabs as
    /// `\r`, `\n` and `\t` (a name of pcapng-testgen-custom-blocks.pcapng holds "\r\n").
    static func asTsharkPrints(_ name: String) -> String {
        name.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
            .replacingOccurrences(of: "\t", with: "\\t")
    }

    @Test("a pcap file's packets have no interface name")
    func pcapHasNone() throws {
        let file = try OfflineCapture(path: Fixtures.captures.appendingPathComponent("real/nsec-big-endian.pcap").path)
        try file.forEachPacket { packet in #expect(file.interfaceName(at: packet.interfaceIndex) == nil) }
    }
}
