@testable import FlowcastPipeline
import FlowcastNATS
import FlowcastPolicy
import FlowcastTestSupport
import Foundation
import Testing

/// Policies over `flowcast.v1.policy` on a server whose `max_payload` is smaller than a policy.
@Suite("policy documents larger than max_payload", .serialized, .enabled(if: NATSServer.isAvailable, "needs nats-server (Debian: nats-server)"))
struct PolicyPartsTests {
    /// Every message on the policy stream, in order: headers by name, and the payload.
    static func policyMessages(_ connection: NATSConnection) throws -> [(headers: [String: String], payload: [UInt8])] {
        let consumer = try PullConsumer(connection: connection, stream: FlowcastSubjects.policyStream.name, durable: "reader",
                                        filterSubject: FlowcastSubjects.policy)
        var out: [(headers: [String: String], payload: [UInt8])] = []
        while true {
            let batch = try consumer.fetch(batch: 100, milliseconds: 500)
            if batch.messages.isEmpty { return out }
            for (i, m) in batch.messages.enumerated() { out.append((batch.headers(of: i), m.payload)) }
            try batch.acknowledge()
        }
    }

    @Test("a policy over max_payload goes in numbered parts that rebuild it; a small one is one plain message as before")
    func largePolicyInParts() throws {
        let server = try NATSServer(configuration: "max_payload: 8192\n")
        let connection = try NATSConnection(NATSConnectionOptions(url: server.url, name: "policy-parts-test"))
        #expect(connection.maxPayload == 8192)
        _ = try connection.ensureStream(FlowcastSubjects.policyStream)
        // A real policy document of the demo network (about 18 KB), and a small document.
        let reference = try Scenario.singleReplayPolicies()
        let large = try [UInt8](Data(contentsOf: reference.appendingPathComponent("policy-0001.json")))
        #expect(large.count > 8192)
        let small = Array("{\"formatVersion\":1}".utf8)
        try NetworkPlanner.publishPolicy(large, name: "policy-0001.json", durable: "planner", on: connection)
        try NetworkPlanner.publishPolicy(small, name: "policy-0002.json", durable: "planner", on: connection)
        // A restart publishing the same again: the stream drops every part as a duplicate.
        try NetworkPlanner.publishPolicy(large, name: "policy-0001.json", durable: "planner", on: connection)

        let messages = try Self.policyMessages(connection)
        let parts = messages.filter { $0.headers["Flowcast-Policy"] == "policy-0001.json" }
        let expectedParts = (large.count + 8192 - NetworkPlanner.partHeaderAllowance - 1) / (8192 - NetworkPlanner.partHeaderAllowance)
        #expect(parts.count == expectedParts)
        #expect(parts.map { $0.headers["Flowcast-Part"] } == (1...expectedParts).map { "\($0)/\(expectedParts)" })
        #expect(parts.allSatisfy { $0.payload.count <= 8192 - NetworkPlanner.partHeaderAllowance })
        let rebuilt = parts.flatMap(\.payload)
        #expect(rebuilt == large)
        #expect(parts.allSatisfy { $0.headers["Flowcast-Size"] == String(large.count) })
        #expect(parts.allSatisfy { $0.headers["Flowcast-Sha256"] == SHA256.hex(rebuilt) })
        // The small one: exactly as before, one message with the document and no part headers.
        let plain = messages.filter { $0.headers["Flowcast-Policy"] == nil }
        #expect(plain.count == 1)
        #expect(plain.first?.payload == small)
        #expect(messages.count == expectedParts + 1)
    }

    /// Message ids carry the document's SHA-256 (finding 5 of the second scale-out audit: a second
    /// document under the same planner and name was dropped as a duplicate of the first).
    @Test("another document under the same planner and name is stored; the same document again is a duplicate, and publishPolicy says so")
    func sameNameOtherDocument() throws {
        let server = try NATSServer(configuration: "max_payload: 8192\n")
        let connection = try NATSConnection(NATSConnectionOptions(url: server.url, name: "policy-parts-test"))
        _ = try connection.ensureStream(FlowcastSubjects.policyStream)
        let reference = try Scenario.singleReplayPolicies()
        let large = try [UInt8](Data(contentsOf: reference.appendingPathComponent("policy-0001.json")))
        let other = try [UInt8](Data(contentsOf: reference.appendingPathComponent("policy-0002.json")))
        #expect(large.count > 8192 && other.count > 8192 && large != other)
        let small = Array("{\"formatVersion\":1}".utf8), smallOther = Array("{\"formatVersion\":2}".utf8)
        for (document, duplicate) in [(large, false), (other, false), (large, true), (small, false), (smallOther, false), (small, true)] {
            let name = document.count > 8192 ? "policy-0001.json" : "policy-0002.json"
            #expect(try NetworkPlanner.publishPolicy(document, name: name, durable: "planner", on: connection) == duplicate)
        }
        let messages = try Self.policyMessages(connection)
        let parts = messages.filter { $0.headers["Flowcast-Policy"] == "policy-0001.json" }
        #expect(Set(parts.compactMap { $0.headers["Flowcast-Sha256"] }) == [SHA256.hex(large), SHA256.hex(other)])
        #expect(parts.flatMap(\.payload) == large + other)
        #expect(messages.filter { $0.headers["Flowcast-Policy"] == nil }.map(\.payload) == [small, smallOther])
    }
}
