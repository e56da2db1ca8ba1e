import FlowcastAggregate
import FlowcastCore
import FlowcastDecode
import Testing

/// The TEID → cell learner's bound (docs/limits.md): a capture naming more TEIDs than the tables
/// hold has the excess refused and counted, and what was learned stays as it was.
@Suite("Learner limits")
struct LearnerLimitTests {
    static let cell = CellIdentity(kind: .ecgi, mcc: "001", mnc: "01", cellID: 1)

    /// A Create Session Request: one control F-TEID, `users` user-plane F-TEIDs, one cell.
    static func createSession(control: UInt32, users: [UInt32]) -> GTPv2Message {
        var m = GTPv2Message(messageType: 32, teid: 0, sequence: 1)
        m.fteids = [FullyQualifiedTEID(interfaceType: 10, teid: control, ipv4: 1, ipv6: nil, instance: 0, inBearerContext: false)]
            + users.map { FullyQualifiedTEID(interfaceType: 1, teid: $0, ipv4: 2, ipv6: nil, instance: 0, inBearerContext: true) }
        m.cells = [cell]
        return m
    }

    @Test("the default bound is 2^20 TEIDs")
    func defaultBound() {
        #expect(TunnelCellLearner.defaultMaximumTEIDs == 1_048_576)
        #expect(TunnelCellLearner().maximumTEIDs == 1_048_576)
    }

    @Test("Create Sessions beyond the bound are refused and counted; learned mappings stay")
    func sessionsBeyondTheBound() {
        var learner = TunnelCellLearner(maximumTEIDs: 1_000)
        // 3,000 sessions of two user-plane TEIDs each: the tables fill at 1,000 entries.
        for i in 0..<3_000 { learner.learn(Self.createSession(control: UInt32(100_000 + i), users: [UInt32(2 * i + 1), UInt32(2 * i + 2)])) }
        #expect(learner.cellByTunnel.count == 1_000)
        #expect(learner.uplinkTunnels.count <= 1_000)
        #expect(learner.refused > 0)
        // Every TEID signalled is learned or refused, never dropped unseen.
        #expect(learner.cellByTunnel[TunnelEnd(IPAddress(ipv4: 2), teid: 1)] == Self.cell && learner.cellByTunnel[TunnelEnd(IPAddress(ipv4: 2), teid: 1_000)] == Self.cell)
        #expect(learner.cellByTunnel[TunnelEnd(IPAddress(ipv4: 2), teid: 1_001)] == nil)
        let refusedBefore = learner.refused
        // A known session's handover still moves its tunnels (nothing new to hold).
        let other = CellIdentity(kind: .ecgi, mcc: "001", mnc: "01", cellID: 2)
        var modify = GTPv2Message(messageType: 34, teid: 100_000, sequence: 2)
        modify.cells = [other]
        learner.learn(modify)
        #expect(learner.cellByTunnel[TunnelEnd(IPAddress(ipv4: 2), teid: 1)] == other && learner.cellByTunnel[TunnelEnd(IPAddress(ipv4: 2), teid: 2)] == other)
        #expect(learner.refused == refusedBefore)
    }

    @Test("one session naming more TEIDs than a session holds has the excess refused")
    func teidsPerSessionBeyondTheBound() {
        var learner = TunnelCellLearner(maximumTEIDs: 1_000)
        let users = (1...UInt32(TunnelCellLearner.maximumPerSession + 10)).map { $0 }
        learner.learn(Self.createSession(control: 7, users: users))
        #expect(learner.cellByTunnel.count == TunnelCellLearner.maximumPerSession)
        #expect(learner.refused == 10)
    }
}
