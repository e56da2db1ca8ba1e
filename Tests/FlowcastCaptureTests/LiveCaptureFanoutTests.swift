import FlowcastCapture
import Foundation
import Testing

/// The sockets of a fanout group on one interface (needs root for packet sockets).
@Suite("live capture: a fanout group", .enabled(if: getuid() == 0, "needs root (packet sockets)"))
struct LiveCaptureFanoutTests {
    /// libpcap reports as every socket's `ps_ifdrop` the interface's own drops since it opened, so
    /// a group adds them once: the first socket counts them, the others report none. (Drops of
    /// the interface itself could not be provoked on a veth pair or `lo` here: this checks the
    /// attribution, docs/live.md the reason.)
    @Test("only the first socket of a group counts the interface's drops")
    func interfaceDropsCountedOnce() throws {
        var options = LiveCapture.Options()
        options.bufferMegabytes = 1
        let group = try LiveCapture.fanout(interface: "lo", options: options, threads: 3)
        #expect(group.map(\.countsInterfaceDrops) == [true, false, false])
        #expect(Set(group.compactMap(\.fanoutGroup)).count == 1)
        for capture in group.dropFirst() { #expect(capture.refreshStatistics().interfaceDrops == 0) }
        let alone = try LiveCapture(interface: "lo", options: options)
        #expect(alone.countsInterfaceDrops)
    }
}
