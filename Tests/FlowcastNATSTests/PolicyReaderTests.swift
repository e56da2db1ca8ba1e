@testable import FlowcastPipeline
import FlowcastNATS
import FlowcastPolicy
import FlowcastTestSupport
import Foundation
import Testing

/// One message of `flowcast.v1.policy` as a test builds it.
struct PolicyTestMessage {
    var headers: [String: String]
    var payload: [UInt8]
    var id: String
    var sequence: UInt64
}

/// `bytes` cut as `NetworkPlanner.publishPolicy` cuts a document: slices of `room` bytes, each with
/// the four headers; message ids as the planner's, stream sequences from `firstSequence`.
func policyParts(_ bytes: [UInt8], name: String, room: Int, firstSequence: UInt64 = 1,
                 digest: String? = nil, size: Int? = nil) -> [PolicyTestMessage] {
    let n = (bytes.count + room - 1) / room
    return (0..<n).map { i in
        PolicyTestMessage(headers: ["Flowcast-Policy": name, "Flowcast-Part": "\(i + 1)/\(n)",
                                    "Flowcast-Size": String(size ?? bytes.count), "Flowcast-Sha256": digest ?? SHA256.hex(bytes)],
                          payload: Array(bytes[(i * room)..<min(bytes.count, (i + 1) * room)]),
                          id: "planner|\(name)|\(i + 1)/\(n)", sequence: firstSequence + UInt64(i))
    }
}

/// The reassembler alone: every way parts can go wrong, and what each outcome settles.
@Suite("PolicyReader: reassembling policies from parts")
struct PolicyReaderReassemblyTests {
    /// 10,000 bytes that are not all alike (a digest of a repeated byte would hide slicing errors).
    static let document: [UInt8] = {
        var rng = SplitMix(seed: 42)
        return (0..<10_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }()

    /// Feeds `messages`, tokens their stream sequences; every outcome in order.
    static func feed(_ r: inout PolicyReassembler<UInt64>, _ messages: [PolicyTestMessage]) -> [PolicyReassembler<UInt64>.Outcome] {
        messages.map { r.add(payload: $0.payload, headers: $0.headers, messageID: $0.id, sequence: $0.sequence, token: $0.sequence) }
    }

    static func isHeld(_ o: PolicyReassembler<UInt64>.Outcome) -> Bool {
        o.document == nil && o.problems.isEmpty && o.duplicate == nil && o.skipped == nil && o.tokens.isEmpty
    }

    @Test("parts in order: held until the last, which gives the document and every part's token")
    func inOrder() {
        var r = PolicyReassembler<UInt64>()
        let parts = policyParts(Self.document, name: "policy-0007.json", room: 3000)
        #expect(parts.count == 4)
        let outcomes = Self.feed(&r, parts)
        #expect(outcomes.dropLast().allSatisfy(Self.isHeld))
        #expect(r.openGroups == 0 && r.bufferedBytes == 0)
        let last = outcomes.last!
        #expect(last.document?.name == "policy-0007.json")
        #expect(last.document?.bytes == Self.document)
        #expect(last.tokens == [1, 2, 3, 4])
        #expect(last.problems.isEmpty)
    }

    @Test("a whole document: named by its message id after the last '|', or by Flowcast-Policy")
    func wholeDocuments() {
        var r = PolicyReassembler<UInt64>()
        let a = r.add(payload: [1, 2], headers: [:], messageID: "flowcast-planner|policy-0002.json", token: 9)
        #expect(a.document?.name == "policy-0002.json" && a.document?.bytes == [1, 2] && a.tokens == [9])
        let b = r.add(payload: [3], headers: ["Flowcast-Policy": "policy-0003.json"], messageID: "", token: 10)
        #expect(b.document?.name == "policy-0003.json")
        for id in ["", "planner", "planner|../policy-0001.json", "planner|policy-0001.json/x", "planner|policy-.json",
                   "planner|policy-0001.jsonx", "planner|/etc/passwd", "planner|policy-0001.json|"] {
            let bad = r.add(payload: [1], headers: [:], messageID: id, token: 11)
            #expect(bad.document == nil && bad.problems.count == 1 && bad.tokens == [11], "\(id)")
        }
    }

    /// Ids carry the document's SHA-256 since 6 December 2026 (finding 5 of the second scale-out
    /// audit): the name and planner are read around it, and earlier planners' ids read as before.
    @Test("message ids with the document's digest: the planner and the file name read around it, earlier ids as before")
    func messageIDsWithDigest() {
        let digest = SHA256.hex([1, 2, 3])
        let cases: [(String, PolicyMessageID)] = [
            ("rp|policy-0001.json|\(digest)", PolicyMessageID(planner: "rp", name: "policy-0001.json", digest: digest)),
            ("rp|policy-0001.json|\(digest)|2/5", PolicyMessageID(planner: "rp", name: "policy-0001.json", digest: digest, part: "2/5")),
            ("rp|policy-0001.json", PolicyMessageID(planner: "rp", name: "policy-0001.json")),
            ("rp|policy-0001.json|2/5", PolicyMessageID(planner: "rp", name: "policy-0001.json", part: "2/5")),
            ("a|b|policy-0001.json|\(digest)", PolicyMessageID(planner: "a|b", name: "policy-0001.json", digest: digest)),
            ("policy-0001.json", PolicyMessageID(planner: nil, name: "policy-0001.json")),
            // A part out of range is still the part field (the fifth scale-out audit's `…|0/3` was read
            // as a planner "c|policy-0003.json|SHA" and skipped, not reported bad).
            ("c|policy-0003.json|\(digest)|0/3", PolicyMessageID(planner: "c", name: "policy-0003.json", digest: digest, part: "0/3")),
        ]
        for (id, want) in cases {
            #expect(PolicyMessageID.parse(id) == want, "\(id)")
            #expect(want.text == id)
            #expect(PolicyReader.planner(ofMessageID: id) == want.planner, "\(id)")
        }
        var r = PolicyReassembler<UInt64>()
        let whole = r.add(payload: [1, 2, 3], headers: [:], messageID: "rp|policy-0004.json|\(digest)", token: 1)
        #expect(whole.document?.name == "policy-0004.json" && whole.problems.isEmpty)
        for id in ["rp|policy-0004.json|\(digest)|", "rp|\(digest)", "rp|policy-0004.json|\(digest.uppercased())"] {
            let bad = r.add(payload: [1], headers: [:], messageID: id, token: 2)
            #expect(bad.document == nil && bad.problems.count == 1, "\(id)")
        }
        let foreign = r.add(payload: Array("hello".utf8), headers: [:], messageID: "", sequence: 7, token: 4)
        #expect(foreign.document == nil && foreign.problems.map(\.description) == ["a message (stream sequence 7): no message id and no "
            + "Flowcast-Policy header: not a Flowcast planner's policy; ignored (flowcast.v1.policy carries only the planners' policies)"])
        let zeroth = r.add(payload: [1], headers: ["Flowcast-Part": "0/3", "Flowcast-Policy": "policy-0003.json", "Flowcast-Size": "3",
                                                   "Flowcast-Sha256": digest], messageID: "c|policy-0003.json|\(digest)|0/3", token: 3)
        #expect(zeroth.document == nil && zeroth.problems.count == 1, "\(zeroth.problems)")
    }

    @Test("a part that comes again is ignored and counted; the same message delivered again is not a duplicate")
    func duplicatePart() {
        var r = PolicyReassembler<UInt64>()
        var parts = policyParts(Self.document, name: "policy-0001.json", room: 3000)
        // Part 2 published twice (another stream message, sequence 100), then the server
        // delivering part 1 again (its own sequence, a new token).
        var again = parts[1]
        again.sequence = 100
        var redelivered = parts[0]
        redelivered.sequence = 1
        parts.insert(again, at: 2)
        var outcomes = Self.feed(&r, Array(parts[0..<3]))
        #expect(outcomes[2].duplicate?.policy == "policy-0001.json" && outcomes[2].duplicate?.part == 2)
        #expect(outcomes[2].tokens == [100])
        let same = r.add(payload: redelivered.payload, headers: redelivered.headers, messageID: redelivered.id, sequence: 1, token: 55)
        #expect(Self.isHeld(same))
        outcomes = Self.feed(&r, Array(parts[3...]))
        #expect(outcomes.last?.document?.bytes == Self.document)
        #expect(outcomes.last?.tokens == [55, 2, 3, 4])  // the newer delivery's token for part 1
    }

    @Test("a missing part drops the policy (reported once; its later parts are skipped)")
    func missingPart() {
        var r = PolicyReassembler<UInt64>()
        let parts = policyParts(Self.document, name: "policy-0001.json", room: 2000)  // 5 parts
        let outcomes = Self.feed(&r, [parts[0], parts[1], parts[3], parts[4]])
        #expect(Self.isHeld(outcomes[0]) && Self.isHeld(outcomes[1]))
        #expect(outcomes[2].problems.map(\.policy) == ["policy-0001.json"])
        #expect(outcomes[2].problems.first?.reason.contains("part 3 missing") == true)
        #expect(outcomes[2].tokens == [1, 2, 4])
        #expect(outcomes[3].skipped?.part == 5 && outcomes[3].problems.isEmpty && outcomes[3].tokens == [5])
        #expect(r.openGroups == 0 && r.bufferedBytes == 0)
        // The first part missing: reported at the first part that came.
        var s = PolicyReassembler<UInt64>()
        let late = Self.feed(&s, Array(parts[1...]))
        #expect(late[0].problems.first?.reason.contains("without part 1") == true)
        #expect(late.dropFirst().allSatisfy { $0.skipped != nil && $0.problems.isEmpty })
        // Published again in full (a planner restarted past the duplicate window): rebuilt.
        #expect(Self.feed(&s, parts).last?.document?.bytes == Self.document)
    }

    @Test("parts out of order drop the policy")
    func reorderedParts() {
        var r = PolicyReassembler<UInt64>()
        let parts = policyParts(Self.document, name: "policy-0001.json", room: 3000)
        let outcomes = Self.feed(&r, [parts[0], parts[2], parts[1], parts[3]])
        #expect(outcomes[1].problems.first?.reason.contains("part 3/4 after part 1/4") == true)
        #expect(outcomes[1].tokens == [1, 3])
        #expect(outcomes[2].skipped != nil && outcomes[3].skipped != nil)
        #expect(outcomes.allSatisfy { $0.document == nil })
        #expect(outcomes.map(\.problems.count).reduce(0, +) == 1)
    }

    @Test("a digest that does not match the parts drops the policy at its last part")
    func digestMismatch() {
        var r = PolicyReassembler<UInt64>()
        let wrong = SHA256.hex(Array("another document".utf8))
        let outcomes = Self.feed(&r, policyParts(Self.document, name: "policy-0001.json", room: 3000, digest: wrong))
        #expect(outcomes.dropLast().allSatisfy(Self.isHeld))
        #expect(outcomes.last?.document == nil)
        #expect(outcomes.last?.problems.first?.reason.contains("Flowcast-Sha256 says \(wrong)") == true)
        #expect(outcomes.last?.tokens == [1, 2, 3, 4])
        // One byte changed in a part, the headers right: the same.
        var s = PolicyReassembler<UInt64>()
        var parts = policyParts(Self.document, name: "policy-0001.json", room: 3000)
        parts[2].payload[17] ^= 1
        #expect(Self.feed(&s, parts).last?.problems.first?.reason.contains("SHA-256") == true)
    }

    @Test("a size that does not match the parts drops the policy")
    func sizeMismatch() {
        var r = PolicyReassembler<UInt64>()
        let short = Self.feed(&r, policyParts(Self.document, name: "policy-0001.json", room: 3000, size: Self.document.count + 1))
        #expect(short.last?.problems.first?.reason.contains("10000 bytes in 4 parts, Flowcast-Size says 10001") == true)
        // Declared smaller than the parts: refused as soon as the bytes pass it, not at the end.
        var s = PolicyReassembler<UInt64>()
        let long = Self.feed(&s, policyParts(Self.document, name: "policy-0001.json", room: 3000, size: 5000))
        #expect(long[1].problems.first?.reason.contains("more than the declared 5000") == true)
        #expect(long[1].tokens == [1, 2])
        #expect(long[2].skipped != nil && long[3].skipped != nil)
        #expect(s.openGroups == 0)
    }

    @Test("bad headers: each refused with the policy's name and what is wrong, nothing kept",
          arguments: [
              ("Flowcast-Part", "1/0"), ("Flowcast-Part", "0/4"), ("Flowcast-Part", "5/4"), ("Flowcast-Part", "a/4"),
              ("Flowcast-Part", "1/x"), ("Flowcast-Part", "-1/4"), ("Flowcast-Part", " 1/4"), ("Flowcast-Part", "1/4/4"),
              ("Flowcast-Part", "1"), ("Flowcast-Part", ""), ("Flowcast-Size", "ten"), ("Flowcast-Size", "-5"),
              ("Flowcast-Size", "3"), ("Flowcast-Size", ""), ("Flowcast-Sha256", "ABC"), ("Flowcast-Sha256", String(repeating: "A", count: 64)),
              ("Flowcast-Policy", "../policy-0001.json"), ("Flowcast-Policy", "policy-0001.json/../../x"), ("Flowcast-Policy", ""),
          ])
    func badHeaders(_ header: String, _ value: String) {
        var r = PolicyReassembler<UInt64>()
        var first = policyParts(Self.document, name: "policy-0001.json", room: 3000)[0]
        first.headers[header] = value
        let o = r.add(payload: first.payload, headers: first.headers, messageID: first.id, sequence: 1, token: 1)
        #expect(o.document == nil)
        #expect(o.problems.count == 1)
        #expect(o.tokens == [1])
        #expect(r.openGroups == 0 && r.bufferedBytes == 0)
        if header != "Flowcast-Policy" { #expect(o.problems.first?.policy == "policy-0001.json") }
    }

    @Test("a header missing is refused like a bad one", arguments: ["Flowcast-Policy", "Flowcast-Size", "Flowcast-Sha256"])
    func missingHeader(_ header: String) {
        var r = PolicyReassembler<UInt64>()
        var first = policyParts(Self.document, name: "policy-0001.json", room: 3000)[0]
        first.headers[header] = nil
        let o = r.add(payload: first.payload, headers: first.headers, messageID: first.id, sequence: 1, token: 1)
        #expect(o.document == nil && o.problems.count == 1 && r.openGroups == 0)
    }

    @Test("a declared size over the limit is refused before anything is kept; below it, memory follows the bytes, not the header")
    func oversizedDeclaredSize() {
        var r = PolicyReassembler<UInt64>()
        let digest = SHA256.hex(Self.document)
        for size in [String(PolicyLimits.maximumFileBytes + 1), "300000000000", "999999999999999999999999"] {
            let o = r.add(payload: [1, 2, 3], headers: ["Flowcast-Policy": "policy-0001.json", "Flowcast-Part": "1/2",
                                                       "Flowcast-Size": size, "Flowcast-Sha256": digest],
                          messageID: "", sequence: 1, token: 1)
            #expect(o.problems.count == 1 && o.tokens == [1], "\(size)")
            #expect(r.openGroups == 0 && r.bufferedBytes == 0)
        }
        // 256 MiB declared, 3 bytes come: 3 bytes held.
        let o = r.add(payload: [1, 2, 3], headers: ["Flowcast-Policy": "policy-0001.json", "Flowcast-Part": "1/2",
                                                   "Flowcast-Size": String(PolicyLimits.maximumFileBytes), "Flowcast-Sha256": digest],
                      messageID: "", sequence: 1, token: 1)
        #expect(Self.isHeld(o))
        #expect(r.openGroups == 1 && r.bufferedBytes == 3)
        let (incomplete, tokens) = r.drainIncomplete()
        #expect(incomplete.map(\.reason) == ["incomplete: 1 of 2 parts"] && tokens == [1])
        #expect(r.openGroups == 0 && r.bufferedBytes == 0)
    }

    @Test("two policies' parts interleaved: both rebuilt")
    func interleavedGroups() {
        var r = PolicyReassembler<UInt64>()
        let other = Array(Self.document.reversed().prefix(7000))
        let a = policyParts(Self.document, name: "policy-0001.json", room: 3000, firstSequence: 1)   // 4 parts
        let b = policyParts(other, name: "policy-0002.json", room: 3000, firstSequence: 100)          // 3 parts
        let outcomes = Self.feed(&r, [a[0], b[0], a[1], b[1], a[2], b[2], a[3]])
        #expect(outcomes[5].document?.name == "policy-0002.json" && outcomes[5].document?.bytes == other)
        #expect(outcomes[5].tokens == [100, 101, 102])
        #expect(outcomes[6].document?.name == "policy-0001.json" && outcomes[6].document?.bytes == Self.document)
        #expect(outcomes.map(\.problems.count).reduce(0, +) == 0)
        // The same name with another digest (a policy planned again) is another group.
        var s = PolicyReassembler<UInt64>()
        let c = policyParts(other, name: "policy-0001.json", room: 3000, firstSequence: 200)
        let mixed = Self.feed(&s, [a[0], c[0], a[1], c[1], c[2], a[2], a[3]])
        #expect(mixed[4].document?.bytes == other && mixed[6].document?.bytes == Self.document)
    }

    @Test("open groups are bounded: one more drops the oldest, reported; so does the buffered-bytes bound")
    func boundedGroups() {
        var limits = PolicyReassembler<UInt64>.Limits()
        limits.maximumOpenGroups = 2
        var r = PolicyReassembler<UInt64>(limits: limits)
        let firsts = (1...3).map { policyParts(Self.document, name: String(format: "policy-%04d.json", $0), room: 3000,
                                               firstSequence: UInt64($0) * 10)[0] }
        let outcomes = Self.feed(&r, firsts)
        #expect(Self.isHeld(outcomes[0]) && Self.isHeld(outcomes[1]))
        #expect(outcomes[2].problems.map(\.policy) == ["policy-0001.json"] && outcomes[2].tokens == [10])
        #expect(r.openGroups == 2 && r.bufferedBytes == 6000)

        var small = PolicyReassembler<UInt64>.Limits()
        small.maximumBufferedBytes = 8000
        var s = PolicyReassembler<UInt64>(limits: small)
        let a = policyParts(Self.document, name: "policy-0001.json", room: 3000, firstSequence: 1)
        let b = policyParts(Self.document, name: "policy-0002.json", room: 3000, firstSequence: 100)
        let fed = Self.feed(&s, [a[0], a[1], b[0]])
        #expect(fed[2].problems.map(\.policy) == ["policy-0001.json"] && fed[2].tokens == [1, 2])
        #expect(s.bufferedBytes == 3000)
        #expect(Self.feed(&s, Array(b[1...])).last?.document?.bytes == Self.document)
    }
}

/// `flowcast policies` against a real nats-server whose `max_payload` is smaller than a policy.
@Suite("PolicyReader: flowcast policies over NATS JetStream", .serialized,
       .enabled(if: NATSServer.isAvailable, "needs nats-server (Debian: nats-server)"))
struct PolicyReaderTests {
    static func summary(_ folder: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: folder.appendingPathComponent("policies-summary.json"))
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    static func policyFiles(_ folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("policy-") }.sorted()
    }

    /// A nats-server with an 8 KB max_payload, a connection with the policy stream made, and the
    /// single replay's first policy (larger than one message).
    static func serverWithPolicyStream() throws -> (server: NATSServer, connection: NATSConnection, large: [UInt8]) {
        let server = try NATSServer(configuration: "max_payload: 8192\n")
        let connection = try NATSConnection(NATSConnectionOptions(url: server.url, name: "policy-reader-test"))
        _ = try connection.ensureStream(FlowcastSubjects.policyStream)
        let large = try [UInt8](Data(contentsOf: try Scenario.singleReplayPolicies().appendingPathComponent("policy-0001.json")))
        return (server, connection, large)
    }

    @Test("the planner's policies, published in parts (max_payload 8192), written byte for byte; the same durable again writes nothing")
    func plannerPoliciesByteIdentical() throws {
        let server = try NATSServer(configuration: "max_payload: 8192\n")
        // One tap with the whole demo capture, and the planner for that one site.
        let tap = try Fixtures.runFlowcast(Scenario.replayArguments(Scenario.demo, out: try Scenario.temporaryFolder("tap"),
                                                                    extra: ["--publish", server.url, "--site", "a"]))
        #expect(tap.status == 0, "\(tap.stderr)")
        let planner = try Scenario.temporaryFolder("planner")
        let planned = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: planner, sites: ["a"], extra: ["--exit-when-done", "--quiet"]))
        #expect(planned.status == 0, "\(planned.stderr)")
        let policies = planner.appendingPathComponent("policies")
        let names = try Self.policyFiles(policies)
        #expect(names.count >= 9)
        // At least one of them went in parts.
        let sizes = try names.map { try Data(contentsOf: policies.appendingPathComponent($0)).count }
        #expect(sizes.contains { $0 > 8192 - NetworkPlanner.partHeaderAllowance })

        let out = try Scenario.temporaryFolder("policies")
        let run = try Fixtures.runFlowcast(["policies", "--nats", server.url, "--out", out.path, "--durable", "exporter", "--once"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try Self.policyFiles(out) == names)
        for name in names {
            #expect(try Data(contentsOf: out.appendingPathComponent(name)) == (try Data(contentsOf: policies.appendingPathComponent(name))),
                    "\(name) differs from the planner's")
        }
        var summary = try Self.summary(out)
        #expect(summary["written"] as? Int == names.count)
        #expect(summary["bad"] as? Int == 0 && summary["incomplete"] as? Int == 0 && summary["duplicates"] as? Int == 0)
        #expect(run.stderr.contains("\(names.count) written"))

        // The same durable again: nothing left to read, nothing written.
        let modified = try names.map { try FileManager.default.attributesOfItem(atPath: out.appendingPathComponent($0).path)[.modificationDate] as? Date }
        let again = try Fixtures.runFlowcast(["policies", "--nats", server.url, "--out", out.path, "--durable", "exporter", "--once"])
        #expect(again.status == 0, "\(again.stderr)")
        summary = try Self.summary(out)
        #expect(summary["messages"] as? Int == 0 && summary["written"] as? Int == 0)
        #expect(try names.map { try FileManager.default.attributesOfItem(atPath: out.appendingPathComponent($0).path)[.modificationDate] as? Date } == modified)
        #expect(try Self.policyFiles(out) == names)

        // An ephemeral reader reads the whole stream again: every file already there, unchanged.
        let ephemeral = try Fixtures.runFlowcast(["policies", "--nats", server.url, "--out", out.path, "--once", "--quiet"])
        #expect(ephemeral.status == 0, "\(ephemeral.stderr)")
        summary = try Self.summary(out)
        #expect(summary["unchanged"] as? Int == names.count && summary["written"] as? Int == 0)
    }

    @Test("a part with a wrong digest: counted bad, named, nothing written, exit 1; the good policy beside it is written")
    func corruptPart() throws {
        let (server, connection, large) = try Self.serverWithPolicyStream()
        #expect(large.count > 8192)
        let room = 8192 - NetworkPlanner.partHeaderAllowance
        // policy-0009.json: the document's parts under the digest of another document.
        for part in policyParts(large, name: "policy-0009.json", room: room, digest: SHA256.hex(Array("not this".utf8))) {
            try connection.publish(subject: FlowcastSubjects.policy, messageID: part.id,
                                   headers: part.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, payload: part.payload)
        }
        try NetworkPlanner.publishPolicy(large, name: "policy-0001.json", durable: "planner", on: connection)

        let out = try Scenario.temporaryFolder("policies")
        let run = try Fixtures.runFlowcast(["policies", "--nats", server.url, "--out", out.path, "--durable", "exporter", "--once"])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("policy-0009.json: SHA-256"), "\(run.stderr)")
        #expect(try Self.policyFiles(out) == ["policy-0001.json"])
        #expect(try Data(contentsOf: out.appendingPathComponent("policy-0001.json")) == Data(large))
        let summary = try Self.summary(out)
        #expect(summary["bad"] as? Int == 1 && summary["written"] as? Int == 1)
        #expect((summary["problems"] as? [String])?.first?.hasPrefix("policy-0009.json: SHA-256") == true)
        // Acknowledged all the same: the next run has nothing to read.
        let again = try Fixtures.runFlowcast(["policies", "--nats", server.url, "--out", out.path, "--durable", "exporter", "--once"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Self.summary(out)["messages"] as? Int == 0)
    }

    @Test("a policy whose last part is not in the stream yet: incomplete, exit 1, not acknowledged; the next run of the durable completes it")
    func incompleteThenCompleted() throws {
        let (server, connection, large) = try Self.serverWithPolicyStream()
        let parts = policyParts(large, name: "policy-0001.json", room: 8192 - NetworkPlanner.partHeaderAllowance)
        #expect(parts.count >= 3)
        func publish(_ part: PolicyTestMessage) throws {
            try connection.publish(subject: FlowcastSubjects.policy, messageID: part.id,
                                   headers: part.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, payload: part.payload)
        }
        for part in parts.dropLast() { try publish(part) }
        // Not a policy document: refused by the schema, counted bad.
        try connection.publish(subject: FlowcastSubjects.policy, messageID: "planner|policy-0002.json", payload: Array("{}".utf8))

        let out = try Scenario.temporaryFolder("policies")
        let first = try Fixtures.runFlowcast(["policies", "--nats", server.url, "--out", out.path, "--durable", "exporter", "--once"])
        #expect(first.status == 1)
        #expect(first.stderr.contains("policy-0001.json: incomplete: \(parts.count - 1) of \(parts.count) parts"), "\(first.stderr)")
        #expect(first.stderr.contains("policy-0002.json: not a policy document"), "\(first.stderr)")
        var summary = try Self.summary(out)
        #expect(summary["incomplete"] as? Int == 1 && summary["bad"] as? Int == 1 && summary["written"] as? Int == 0)
        #expect(try Self.policyFiles(out).isEmpty)

        try publish(parts.last!)
        let second = try Fixtures.runFlowcast(["policies", "--nats", server.url, "--out", out.path, "--durable", "exporter", "--once"])
        #expect(second.status == 0, "\(second.stderr)")
        summary = try Self.summary(out)
        #expect(summary["written"] as? Int == 1 && summary["messages"] as? Int == parts.count)
        #expect(try Data(contentsOf: out.appendingPathComponent("policy-0001.json")) == Data(large))
    }

    @Test("two planners' policy-0001.json: a folder holds one planner's, the other's skipped and counted; --planner chooses")
    func twoPlanners() throws {
        let (server, connection, large) = try Self.serverWithPolicyStream()
        let reference = try Scenario.singleReplayPolicies()
        let second = try [UInt8](Data(contentsOf: reference.appendingPathComponent("policy-0002.json")))
        try NetworkPlanner.publishPolicy(large, name: "policy-0001.json", durable: "planner-1", on: connection)
        try NetworkPlanner.publishPolicy(second, name: "policy-0001.json", durable: "planner-2", on: connection)
        try NetworkPlanner.publishPolicy(second, name: "policy-0002.json", durable: "planner-1", on: connection)

        let first = try Scenario.temporaryFolder("policies")
        let run = try Fixtures.runFlowcast(["policies", "--nats", server.url, "--out", first.path, "--once"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try Self.policyFiles(first) == ["policy-0001.json", "policy-0002.json"])
        #expect(try Data(contentsOf: first.appendingPathComponent("policy-0001.json")) == Data(large))
        // Each skip says how the run's planner was chosen: here, the first one read.
        #expect(run.stderr.contains("flowcast policies: skipped the policies of planner planner-2: this run reads planner planner-1's, "
                                    + "the first planner it read (one folder holds one planner's policies); read them with --planner planner-2 and another --out\n"),
                "\(run.stderr)")
        var summary = try Self.summary(first)
        #expect(summary["planner"] as? String == "planner-1")
        #expect((summary["otherPlanners"] as? Int ?? 0) > 0)  // messages: the policies go in parts
        #expect(summary["written"] as? Int == 2)

        let other = try Scenario.temporaryFolder("policies")
        let chosen = try Fixtures.runFlowcast(["policies", "--nats", server.url, "--out", other.path, "--once", "--planner", "planner-2"])
        #expect(chosen.status == 0, "\(chosen.stderr)")
        #expect(chosen.stderr.contains("flowcast policies: skipped the policies of planner planner-1: this run reads only planner planner-2's "
                                       + "(--planner planner-2); read them with --planner planner-1 and another --out\n"), "\(chosen.stderr)")
        #expect(try Self.policyFiles(other) == ["policy-0001.json"])
        #expect(try Data(contentsOf: other.appendingPathComponent("policy-0001.json")) == Data(second))
        summary = try Self.summary(other)
        #expect((summary["otherPlanners"] as? Int ?? 0) > 0)

        // The first folder is planner-1's: another planner there is refused before anything is read.
        let refused = try Fixtures.runFlowcast(["policies", "--nats", server.url, "--out", first.path, "--once", "--planner", "planner-2"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("holds the policies of planner planner-1"), "\(refused.stderr)")
        #expect(try Data(contentsOf: first.appendingPathComponent("policy-0001.json")) == Data(large))
        // Without --planner, the folder's own planner again: nothing of planner-2's written over it.
        let again = try Fixtures.runFlowcast(["policies", "--nats", server.url, "--out", first.path, "--once"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("flowcast policies: skipped the policies of planner planner-2: \(first.path) holds planner planner-1's "
                                      + "(its policies-summary.json says so); read them with --planner planner-2 and another --out\n"), "\(again.stderr)")
        #expect(try Data(contentsOf: first.appendingPathComponent("policy-0001.json")) == Data(large))
        // A summary cut short says nothing of whose the folder is: refused, not read as none (the
        // first planner read was adopted and planner-1's policy-0001.json replaced by planner-2's).
        let summaryFile = first.appendingPathComponent("policies-summary.json")
        try Data("{\"planner\": ".utf8).write(to: summaryFile)
        let cut = try Fixtures.runFlowcast(["policies", "--nats", server.url, "--out", first.path, "--once", "--planner", "planner-2"])
        #expect(cut.status == 2)
        #expect(cut.stderr.hasPrefix("flowcast policies: \(summaryFile.path): cannot tell which planner's policies the folder holds ("),
                "\(cut.stderr)")
        #expect(cut.stderr.split(separator: "\n").count == 1)
        #expect(try Data(contentsOf: first.appendingPathComponent("policy-0001.json")) == Data(large))
    }

    /// The fifth scale-out audit's low findings: --quiet printed a line per other planner (the help
    /// says only problems and the final counts), and a --out under a file read "The operation
    /// could not be completed. (NSCocoaErrorDomain error 512.)".
    @Test("--quiet leaves other planners to the final count; a --out under a file says so in words")
    func quietAndAnOutputUnderAFile() throws {
        let (server, connection, large) = try Self.serverWithPolicyStream()
        try NetworkPlanner.publishPolicy(large, name: "policy-0001.json", durable: "planner-1", on: connection)
        try NetworkPlanner.publishPolicy(large, name: "policy-0001.json", durable: "planner-2", on: connection)
        let folder = try Scenario.temporaryFolder("policies")
        let quiet = try Fixtures.runFlowcast(["policies", "--nats", server.url, "--out", folder.path, "--once", "--quiet"])
        #expect(quiet.status == 0, "\(quiet.stderr)")
        let lines = quiet.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("flowcast policies: 1 written, 0 unchanged") && lines[0].contains("of other planners skipped"),
                "\(quiet.stderr)")
        let file = folder.appendingPathComponent("afile")
        try Data("x".utf8).write(to: file)
        let under = try Fixtures.runFlowcast(["policies", "--nats", server.url, "--out", file.path + "/sub", "--once"])
        #expect(under.status == 2)
        #expect(under.stderr == "flowcast policies: \(file.path)/sub: cannot create the folder: \(file.path) is a file, not a folder\n", "\(under.stderr)")
    }

    /// The fifth scale-out audit: a planner started over with the same --durable (its consumer
    /// deleted, a new --out, another --plan-every) publishes documents of other windows under the
    /// names a reader's folder holds; the reader replaced them, so the folder mixed two runs
    /// (policy-0001–0005 of one beside 0006–0010 of another). A document of another window is
    /// not written over the folder's: counted bad (and `otherRuns`), named with both windows, exit 1.
    @Test("a document of another window under a name the folder holds: not written over it, said with both windows, exit 1")
    func anotherRunUnderTheSameName() throws {
        let (server, connection, large) = try Self.serverWithPolicyStream()
        let reference = try Scenario.singleReplayPolicies()
        let second = try [UInt8](Data(contentsOf: reference.appendingPathComponent("policy-0002.json")))
        try NetworkPlanner.publishPolicy(large, name: "policy-0001.json", durable: "p", on: connection)
        let folder = try Scenario.temporaryFolder("policies")
        let first = try Fixtures.runFlowcast(["policies", "--nats", server.url, "--out", folder.path, "--once", "--durable", "r"])
        #expect(first.status == 0, "\(first.stderr)")
        try NetworkPlanner.publishPolicy(second, name: "policy-0001.json", durable: "p", on: connection)
        let run = try Fixtures.runFlowcast(["policies", "--nats", server.url, "--out", folder.path, "--once", "--durable", "r"])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("policy-0001.json: planned for 2025-11-29T08:02:00Z to 2025-11-29T08:03:00Z, but the folder's policy-0001.json "
                                    + "is of 2025-11-29T08:01:00Z to 2025-11-29T08:02:00Z: another planning run of the same planner"), "\(run.stderr)")
        #expect(try Data(contentsOf: folder.appendingPathComponent("policy-0001.json")) == Data(large))
        let summary = try Self.summary(folder)
        #expect(summary["otherRuns"] as? Int == 1 && summary["bad"] as? Int == 1 && summary["written"] as? Int == 0, "\(summary)")
    }

    /// Finding 5 of the second scale-out audit: a planner run again with the same --durable within
    /// the stream's 15-minute duplicate window published its policies under the earlier run's
    /// message ids (`rp|policy-0001.json`); the stream dropped them, the planner counted them
    /// published, and `flowcast policies` wrote the earlier run's.
    @Test("a planner run again with the same --durable: its other policies are stored and read; the same documents again are not stored, and it warns")
    func replannedWithTheSameDurable() throws {
        let server = try NATSServer()
        let connection = try NATSConnection(NATSConnectionOptions(url: server.url, name: "replan-test"))
        let tap = try Fixtures.runFlowcast(Scenario.replayArguments(Scenario.demo, out: try Scenario.temporaryFolder("tap"),
                                                                    extra: ["--publish", server.url, "--site", "a"]))
        #expect(tap.status == 0, "\(tap.stderr)")
        func plan(_ extra: [String]) throws -> (out: URL, run: FlowcastRun) {
            let out = try Scenario.temporaryFolder("planner")
            let run = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: out, sites: ["a"],
                                                                         extra: ["--exit-when-done", "--quiet", "--durable", "rp"] + extra))
            // "Starting over" with a new folder: the consumer goes too, so the next run reads from the start.
            try connection.deleteConsumer(stream: FlowcastSubjects.windowStream.name, name: "rp")
            return (out, run)
        }
        let first = try plan([])
        #expect(first.run.status == 0, "\(first.run.stderr)")
        let names = try Self.policyFiles(first.out.appendingPathComponent("policies"))
        #expect(names.count >= 9)
        let second = try plan(["--headroom", "1.5"])
        #expect(second.run.status == 0, "\(second.run.stderr)")
        #expect(!second.run.stderr.contains("warning"), "\(second.run.stderr)")
        var summary = try Scenario.summary(second.out)
        #expect(summary["policiesPublished"] as? Int == names.count && summary["policiesAlreadyInStream"] == nil, "\(summary)")
        let secondPolicies = second.out.appendingPathComponent("policies")
        func differs(_ name: String) throws -> Bool {
            try Data(contentsOf: first.out.appendingPathComponent("policies/\(name)")) != Data(contentsOf: secondPolicies.appendingPathComponent(name))
        }
        #expect(try names.contains(where: differs))

        // The reader writes each name's last document: the second run's.
        let read = try Scenario.temporaryFolder("policies")
        let run = try Fixtures.runFlowcast(["policies", "--nats", server.url, "--out", read.path, "--planner", "rp", "--once", "--durable", "exporter"])
        #expect(run.status == 0, "\(run.stderr)")
        for name in names {
            #expect(try Data(contentsOf: read.appendingPathComponent(name)) == Data(contentsOf: secondPolicies.appendingPathComponent(name)),
                    "\(name) is not the second run's")
        }

        // The first run's documents again (the same options: the same bytes) are the stream's
        // duplicates: not stored, said, and not counted published.
        let third = try plan([])
        #expect(third.run.status == 0, "\(third.run.stderr)")
        let warnings = third.run.stderr.split(separator: "\n").filter { $0.hasPrefix("flowcast planner: warning: ") }
        #expect(warnings.count == 2, "\(third.run.stderr)")
        #expect(warnings.first?.hasPrefix("flowcast planner: warning: policy-0001.json was not stored on flowcast.v1.policy: "
                                          + "the stream already held that document from planner rp") == true, "\(third.run.stderr)")
        #expect(warnings.last.map(String.init) == "flowcast planner: warning: \(names.count) policies (policy-0001.json to \(names.last!)) were not stored "
                + "on flowcast.v1.policy this run: the stream already held them from another run with --durable rp", "\(third.run.stderr)")
        summary = try Scenario.summary(third.out)
        #expect(summary["policiesPublished"] as? Int == 0, "\(summary)")
        #expect(summary["policiesAlreadyInStream"] as? [String] == names, "\(summary)")
        // A restart of that planner publishes nothing more and warns no more.
        let again = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: third.out, sites: ["a"],
                                                                       extra: ["--exit-when-done", "--quiet", "--durable", "rp"]))
        #expect(again.status == 0 && !again.stderr.contains("warning"), "\(again.stderr)")
    }

    @Test("an unreachable server: one line naming the URL, exit 2")
    func unreachable() throws {
        let port = try NATSServer.freePort()
        let out = try Scenario.temporaryFolder("policies")
        let run = try Fixtures.runFlowcast(["policies", "--nats", "nats://127.0.0.1:\(port)", "--out", out.path, "--once"])
        #expect(run.status == 2)
        #expect(run.stderr == "flowcast policies: cannot use NATS at nats://127.0.0.1:\(port): No server available for connection\n")
    }

    @Test("followed until SIGTERM: policies published while it runs are written, then it exits 0")
    func followUntilSignal() throws {
        let (server, connection, large) = try Self.serverWithPolicyStream()
        let out = try Scenario.temporaryFolder("policies")
        let reader = try RunningFlowcast(["policies", "--nats", server.url, "--out", out.path])
        try NetworkPlanner.publishPolicy(large, name: "policy-0001.json", durable: "planner", on: connection)
        let file = out.appendingPathComponent("policy-0001.json")
        for _ in 0..<3000 where !FileManager.default.fileExists(atPath: file.path) { usleep(20_000) }
        try #require(FileManager.default.fileExists(atPath: file.path), "the reader never wrote the policy")
        reader.signal(SIGTERM)
        let result = reader.wait(timeout: 20)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Data(contentsOf: file) == Data(large))
        #expect(try Self.summary(out)["written"] as? Int == 1)
    }

    /// The fifth scale-out audit: two readers on one --durable shared its messages, and a policy in
    /// parts split between them was lost for good. A second reader is refused while the first pulls.
    @Test("a second reader on a --durable another reader is pulling from: refused in one line, exit 2; alone, it reads")
    func secondReaderOnOneDurable() throws {
        let (server, connection, large) = try Self.serverWithPolicyStream()
        try NetworkPlanner.publishPolicy(large, name: "policy-0001.json", durable: "planner", on: connection)
        let first = try Scenario.temporaryFolder("policies")
        let reader = try RunningFlowcast(["policies", "--nats", server.url, "--out", first.path, "--durable", "shared"])
        let file = first.appendingPathComponent("policy-0001.json")
        for _ in 0..<3000 where !FileManager.default.fileExists(atPath: file.path) { usleep(20_000) }
        try #require(FileManager.default.fileExists(atPath: file.path), "the first reader never wrote the policy")
        let second = try Scenario.temporaryFolder("policies")
        let refused = try Fixtures.runFlowcast(["policies", "--nats", server.url, "--out", second.path, "--durable", "shared", "--once"])
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.hasPrefix("flowcast policies: consumer shared is being read by another reader ("), "\(refused.stderr)")
        #expect(refused.stderr.contains("give each reader its own --durable"), "\(refused.stderr)")
        reader.signal(SIGTERM)
        #expect(reader.wait(timeout: 20).status == 0)
        // The first reader gone, the durable is free again: it carries on (nothing new to write).
        let alone = try Fixtures.runFlowcast(["policies", "--nats", server.url, "--out", first.path, "--durable", "shared", "--once"])
        #expect(alone.status == 0, "\(alone.stderr)")
    }
}
