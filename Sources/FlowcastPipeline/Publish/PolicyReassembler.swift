internal import FlowcastCore
internal import FlowcastPolicy

/// The message id of a policy message on `flowcast.v1.policy`: `<durable>|<policy-NNNN.json>|<sha256>`,
/// a part's with `|<i>/<n>` after it (docs/scaleout.md, "Subjects and message formats"). The
/// digest is the whole document's SHA-256 (lower-case hex): the stream's duplicate window drops a
/// re-publication of the same document (a restarted planner's) but not another document under
/// the same planner and name (a planner run again with the same `--durable` within the window;
/// until 6 December 2026 the id had no digest and the stream dropped the new document).
public struct PolicyMessageID: Sendable, Equatable {
    /// The planner's `--durable`; nil for an id without `|` (not a Flowcast planner's).
    public var planner: String?
    /// The file name the id gives (not checked here: `PolicyReassembler.isPolicyFileName`).
    public var name: String
    /// The document's SHA-256, absent in ids of planners before the digest was added.
    public var digest: String?
    /// A part's `i/n`, as it stands in the id.
    public var part: String?

    public init(planner: String?, name: String, digest: String? = nil, part: String? = nil) {
        self.planner = planner; self.name = name; self.digest = digest; self.part = part
    }

    /// The id as the planner publishes it.
    public var text: String {
        ([planner, name, digest, part].compactMap { $0 }).joined(separator: "|")
    }

    /// Reads an id from its end: an optional `i/n`, then an optional 64-hex-digit digest, then the
    /// name; the planner is what comes before the name (so a `--durable` holding `|` stays whole).
    /// Ids of earlier planners (`<durable>|policy-NNNN.json`, parts `…|i/n`) read as before.
    static func isPartField(_ field: String) -> Bool {
        let sides = field.split(separator: "/", omittingEmptySubsequences: false)
        return sides.count == 2 && sides.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }

    public static func parse(_ id: String) -> PolicyMessageID {
        var fields = id.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard fields.count > 1 else { return PolicyMessageID(planner: nil, name: id) }
        var part: String? = nil, digest: String? = nil
        // Any `digits/digits` is the part field, in range or not: `…|0/3` is a bad part (the
        // reassembler refuses its Flowcast-Part and counts it bad); read as a name, it made
        // `c|policy-0003.json|SHA` a planner of its own, skipped as another planner's.
        if fields.count > 2, Self.isPartField(fields[fields.count - 1]) { part = fields.removeLast() }
        if fields.count > 2, PolicyReassembler<String>.isDigest(fields[fields.count - 1]) { digest = fields.removeLast() }
        let name = fields.removeLast()
        return PolicyMessageID(planner: fields.joined(separator: "|"), name: name, digest: digest, part: part)
    }
}

/// Rebuilds whole policy documents from the messages of `flowcast.v1.policy` (docs/scaleout.md,
/// "Subjects and message formats"): the inverse of `NetworkPlanner.publishPolicy`.
///
/// A message without `Flowcast-Part` is a whole document, named by its `Flowcast-Policy` header
/// or else by the file name in its message id (`PolicyMessageID`). Parts are grouped by (`Flowcast-Policy`,
/// `Flowcast-Sha256`), must come `1/n` to `n/n` in order, and the concatenation must have the
/// declared `Flowcast-Size` and SHA-256. Anything else is a `Problem` naming the policy, and its
/// group is dropped; the reassembler carries on with the next message.
///
/// Memory is bounded whatever the headers say: a group is refused when it declares more than
/// `Limits.maximumDocumentBytes`, buffers grow only as bytes arrive (never sized from a header),
/// at most `Limits.maximumOpenGroups` groups are open (the oldest is dropped to open another) and
/// they hold at most `Limits.maximumBufferedBytes` together.
///
/// Each message carries a `Token` (the reader's acknowledgement handle, e.g. its reply subject);
/// every outcome hands back the tokens whose fate is now settled, and a group's tokens are held
/// until the group is whole or dropped, so a reader acknowledges a part only once its document is
/// written or counted bad.
public struct PolicyReassembler<Token> {
    public struct Limits: Sendable {
        /// A larger declared size is refused (the policy file limit, 256 MiB).
        public var maximumDocumentBytes: Int = PolicyLimits.maximumFileBytes
        /// Groups being assembled at once; a further one drops the oldest.
        public var maximumOpenGroups: Int = 4
        /// Bytes held by every open group together; beyond, the oldest other groups are dropped.
        public var maximumBufferedBytes: Int = 2 * PolicyLimits.maximumFileBytes
        public init() {}
    }

    /// A policy that could not be rebuilt, or a message that is not one.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        /// The policy's file name as the message gave it ("?" when it gave none).
        public var policy: String
        public var reason: String
        public var description: String { "\(policy): \(reason)" }
    }

    /// What one message settled. Usually one thing: a whole document, a duplicate part, a problem,
    /// or nothing yet (a part held). A part may also drop older groups to make room, so a document
    /// can come with problems.
    public struct Outcome {
        /// A whole document (the message itself, or the last part of its group).
        public var document: (name: String, bytes: [UInt8])?
        /// Groups dropped, or a message that is no policy.
        public var problems: [Problem] = []
        /// A second copy (another stream message) of a part already held: ignored.
        public var duplicate: (policy: String, part: Int)?
        /// A later part of a group dropped before (its problem was reported then): ignored.
        public var skipped: (policy: String, part: Int)?
        /// The tokens settled now: the document's messages, the dropped groups', the duplicate's,
        /// to acknowledge once the document is written.
        public var tokens: [Token] = []

        static var held: Outcome { Outcome() }
        static func bad(_ problems: [Problem], tokens: [Token]) -> Outcome { Outcome(problems: problems, tokens: tokens) }
    }

    /// One group being assembled: the parts so far, in order.
    struct Group {
        let name: String
        let digest: String
        let parts: Int
        let size: Int
        var bytes: [UInt8] = []
        var hasher = SHA256()
        /// Stream sequence and token of each part held (index `i - 1`); a redelivery of the same
        /// sequence replaces the token.
        var sequences: [UInt64] = []
        var tokens: [Token] = []
        /// When the group was opened (`PolicyReassembler.clock`): the oldest is dropped first.
        let opened: UInt64
    }

    struct Key: Hashable {
        var name: String
        var digest: String
    }

    public let limits: Limits
    private var groups: [Key: Group] = [:]
    /// The groups dropped last (at most `droppedKept`), so that their later parts are skipped
    /// rather than reported again; a part 1 opens such a group anew (a re-publication).
    private var dropped: [Key] = []
    static var droppedKept: Int { 16 }
    private var clock: UInt64 = 0
    /// Bytes held by every open group.
    public private(set) var bufferedBytes = 0

    public init(limits: Limits = Limits()) { self.limits = limits }

    /// Groups still being assembled.
    public var openGroups: Int { groups.count }

    /// The open groups as problems ("incomplete: 2 of 5 parts") with the tokens they hold, and
    /// forgets them: what a reader reports and gives back (negative acknowledgement) at its end.
    public mutating func drainIncomplete() -> (problems: [Problem], tokens: [Token]) {
        let open = groups.values.sorted { $0.opened < $1.opened }
        groups = [:]
        bufferedBytes = 0
        return (open.map { Problem(policy: $0.name, reason: "incomplete: \($0.tokens.count) of \($0.parts) parts") },
                open.flatMap(\.tokens))
    }

    /// Takes one message of the policy subject: its payload, its headers (name to value), its
    /// message id, its stream sequence (0 when unknown: then every repeated part is a duplicate)
    /// and the caller's token for it.
    public mutating func add(payload: [UInt8], headers: [String: String], messageID: String, sequence: UInt64 = 0,
                             token: Token) -> Outcome {
        guard let partHeader = headers["Flowcast-Part"] else {
            let named = headers["Flowcast-Policy"] ?? PolicyMessageID.parse(messageID).name
            // Neither an id nor a header names it: no planner's message at all (an audit's
            // `publish('flowcast.v1.policy', b'hello')` read "a whole document whose name is not
            // policy-NNNN.json (message id '')", under an empty policy name).
            if named.isEmpty {
                let sequenceText = sequence > 0 ? " (stream sequence \(sequence))" : ""
                return .bad([Problem(policy: "a message\(sequenceText)", reason: "no message id and no Flowcast-Policy header: not a Flowcast planner's "
                                     + "policy; ignored (flowcast.v1.policy carries only the planners' policies)")], tokens: [token])
            }
            guard Self.isPolicyFileName(named) else {
                return .bad([Problem(policy: Self.printable(named), reason: "a whole document whose name is not policy-NNNN.json (message id '\(Self.printable(messageID))')")],
                            tokens: [token])
            }
            return Outcome(document: (named, payload), tokens: [token])
        }
        // A part: every header must be there and well formed before anything is kept.
        let name = headers["Flowcast-Policy"] ?? ""
        guard Self.isPolicyFileName(name) else {
            return .bad([Problem(policy: Self.printable(name.isEmpty ? "?" : name),
                                 reason: "part \(Self.printable(partHeader)) whose Flowcast-Policy is not policy-NNNN.json")], tokens: [token])
        }
        func refuse(_ reason: String) -> Outcome {
            .bad([Problem(policy: name, reason: reason)], tokens: [token])
        }
        guard let (index, count) = Self.parsePart(partHeader) else {
            return refuse("Flowcast-Part '\(Self.printable(partHeader))' is not i/n with 1 <= i <= n")
        }
        guard let sizeText = headers["Flowcast-Size"], let size = Self.parseCount(sizeText) else {
            return refuse("part \(index)/\(count): Flowcast-Size '\(Self.printable(headers["Flowcast-Size"] ?? ""))' is not a byte count")
        }
        guard size <= limits.maximumDocumentBytes else {
            return refuse("part \(index)/\(count): Flowcast-Size \(size) is over the \(limits.maximumDocumentBytes)-byte limit")
        }
        guard count <= size else {
            return refuse("part \(index)/\(count): \(count) parts for \(size) bytes")
        }
        guard let digest = headers["Flowcast-Sha256"], Self.isDigest(digest) else {
            return refuse("part \(index)/\(count): Flowcast-Sha256 '\(Self.printable(headers["Flowcast-Sha256"] ?? ""))' is not 64 lower-case hex digits")
        }

        let key = Key(name: name, digest: digest)
        var problems: [Problem] = []
        var settled: [Token] = []
        guard var group = groups[key] else {
            guard index == 1 else {
                if dropped.contains(key) { return Outcome(skipped: (name, index), tokens: [token]) }
                forget(key)
                return refuse("part \(index)/\(count) without part 1 (missing, or the parts came out of order); dropped")
            }
            // Room for one more group: the oldest goes.
            while groups.count >= limits.maximumOpenGroups, let oldest = oldestGroup(except: key) {
                let dropped = remove(oldest)
                forget(oldest)
                problems.append(Problem(policy: dropped.name, reason: "dropped incomplete (\(dropped.tokens.count) of \(dropped.parts) parts): more than \(limits.maximumOpenGroups) policies in parts at once"))
                settled += dropped.tokens
            }
            clock += 1
            var opened = Group(name: name, digest: digest, parts: count, size: size, opened: clock)
            if let outcome = append(payload, sequence: sequence, token: token, to: &opened, key: key, problems: &problems, settled: &settled) {
                return outcome
            }
            return problems.isEmpty ? .held : .bad(problems, tokens: settled)
        }
        guard group.parts == count, group.size == size else {
            remove(key)
            forget(key)
            settled = group.tokens + [token]
            return .bad([Problem(policy: name, reason: "part \(index)/\(count) of \(size) bytes disagrees with part 1/\(group.parts) of \(group.size) bytes; dropped")],
                        tokens: settled)
        }
        let held = group.tokens.count
        if index <= held {
            if sequence != 0 && group.sequences[index - 1] == sequence {
                // The server delivering the same message again (its ack wait ran out): keep the
                // newer delivery's token, nothing is repeated.
                group.tokens[index - 1] = token
                groups[key] = group
                return .held
            }
            return Outcome(duplicate: (name, index), tokens: [token])
        }
        guard index == held + 1 else {
            remove(key)
            forget(key)
            return .bad([Problem(policy: name, reason: "part \(index)/\(count) after part \(held)/\(count) (part \(held + 1) missing, or the parts came out of order); dropped")],
                        tokens: group.tokens + [token])
        }
        remove(key)  // taken out while it grows (one copy of its bytes), put back by `append`
        if let outcome = append(payload, sequence: sequence, token: token, to: &group, key: key, problems: &problems, settled: &settled) {
            return outcome
        }
        return problems.isEmpty ? .held : .bad(problems, tokens: settled)
    }

    /// Adds the next part to `group` (not in `groups`): the whole document when it was the last,
    /// a problem when the bytes do not fit, else nil with the group stored again.
    private mutating func append(_ payload: [UInt8], sequence: UInt64, token: Token, to group: inout Group, key: Key,
                                 problems: inout [Problem], settled: inout [Token]) -> Outcome? {
        let index = group.tokens.count + 1
        guard group.bytes.count + payload.count <= group.size else {
            forget(key)
            return .bad(problems + [Problem(policy: group.name, reason: "part \(index)/\(group.parts) brings \(group.bytes.count + payload.count) bytes, more than the declared \(group.size); dropped")],
                        tokens: settled + group.tokens + [token])
        }
        // Other groups make room for these bytes, oldest first.
        while bufferedBytes + group.bytes.count + payload.count > limits.maximumBufferedBytes, let oldest = oldestGroup(except: key) {
            let dropped = remove(oldest)
            forget(oldest)
            problems.append(Problem(policy: dropped.name, reason: "dropped incomplete (\(dropped.tokens.count) of \(dropped.parts) parts): policies in parts hold more than \(limits.maximumBufferedBytes) bytes"))
            settled += dropped.tokens
        }
        group.bytes.append(contentsOf: payload)
        group.hasher.update(payload)
        group.sequences.append(sequence)
        group.tokens.append(token)
        guard index == group.parts else {
            bufferedBytes += group.bytes.count
            groups[key] = group
            return nil
        }
        var reason: String? = nil
        if group.bytes.count != group.size {
            reason = "\(group.bytes.count) bytes in \(group.parts) parts, Flowcast-Size says \(group.size); dropped"
        } else {
            let digest = group.hasher.hexDigest()
            if digest != group.digest { reason = "SHA-256 of the \(group.parts) parts is \(digest), Flowcast-Sha256 says \(group.digest); dropped" }
        }
        if let reason {
            forget(key)
            return .bad(problems + [Problem(policy: group.name, reason: reason)], tokens: settled + group.tokens)
        }
        return Outcome(document: (group.name, group.bytes), problems: problems, tokens: settled + group.tokens)
    }

    private func oldestGroup(except key: Key) -> Key? {
        groups.filter { $0.key != key }.min { $0.value.opened < $1.value.opened }?.key
    }

    @discardableResult
    private mutating func remove(_ key: Key) -> Group {
        let group = groups.removeValue(forKey: key)!
        bufferedBytes -= group.bytes.count
        return group
    }

    /// Remembers a dropped group, so its later parts are skipped.
    private mutating func forget(_ key: Key) {
        dropped.removeAll { $0 == key }
        dropped.append(key)
        if dropped.count > Self.droppedKept { dropped.removeFirst() }
    }

    /// `policy-` then 1 to 12 digits then `.json`: a file name in the output folder, never a path.
    public static func isPolicyFileName(_ name: String) -> Bool {
        let u = Array(name.utf8)
        let prefix = Array("policy-".utf8), suffix = Array(".json".utf8)
        guard u.count > prefix.count + suffix.count, u.count <= prefix.count + 12 + suffix.count,
              u.starts(with: prefix), u.suffix(suffix.count).elementsEqual(suffix) else { return false }
        return u[prefix.count..<(u.count - suffix.count)].allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// `i/n`, both decimal, 1 <= i <= n.
    static func parsePart(_ text: String) -> (Int, Int)? {
        let pieces = text.split(separator: "/", omittingEmptySubsequences: false)
        guard pieces.count == 2, let i = parseCount(pieces[0]), let n = parseCount(pieces[1]), i >= 1, i <= n else { return nil }
        return (i, n)
    }

    /// A decimal count of at most 12 digits (no sign, no spaces).
    static func parseCount(_ text: some StringProtocol) -> Int? {
        let u = text.utf8
        guard !u.isEmpty, u.count <= 12, u.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return u.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    static func isDigest(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) }
    }

    /// A header value for a message: at most 80 characters, control and bidirectional
    /// formatting characters as `?`.
    static func printable(_ text: String) -> String {
        let cleaned = String(text.unicodeScalars.prefix(80).map { $0.isControlCharacter || $0.isBidiControl || $0.isInvisible ? "?" : Character($0) })
        return text.unicodeScalars.count > 80 ? cleaned + "…" : cleaned
    }
}
