public import FlowcastCore
public import Foundation

/// `summary.json` of a replay or live run: totals, unmatched traffic, decode issues, flow-table
/// and capture statistics. Owner: FlowcastPipeline (replay and live write it, the report reads it).
///
/// Written pretty printed with sorted keys (`FoundationOrderedJSON`); deterministic (no wall-clock
/// times). A replay's `capture` describes a file, a live run's an interface; fields only one of
/// them writes are optional and left out when nil. `null` is written where a value may be absent
/// (first packet time, capture error, live filter).
public struct RunSummary: Codable, Sendable, Equatable {
    public static let formatVersion = 1

    public var capture: Capture
    public var decode: Decode
    public var cells: Cells
    public var unmatched: Traffic
    public var flows: Flows
    public var windows: Windows
    public var totals: Traffic
    /// Live runs only: topology reloads, and output segments written.
    public var topologyReloads: Int?
    public var segments: Int?
    /// Runs with `--ipfix`: what each collector was sent and lost (docs/ipfix.md).
    public var ipfix: [IPFIXCollectorStatistics]?
    /// What an earlier run had left in the output folder and this one removed (replay).
    public var previousRun: PreviousRun?
    /// Replays without `--topology`: what was inferred from the capture, its bounds, and why no
    /// plan was made.
    public var inferredTopology: InferredTopology?
    /// Runs with `--publish`: what the stream took, added to summary.json once publishing has
    /// finished (the tap printed these counters only; an audit found a cron job's summary.json
    /// silent on messages dropped). nil without `--publish`.
    public var publish: Publish?

    /// The counters a tap prints as it ends (docs/scaleout.md, "Taps").
    public struct Publish: Codable, Sendable, Equatable {
        /// The server (credentials removed) and the site published as.
        public var url: String, site: String
        /// Messages acknowledged, the re-sent (from a spool) among them.
        public var published: Int, resent: Int
        /// Messages of this run written to the spool (each once), lost to a full spool, and left
        /// there or unacknowledged at the end (the next run with this --out re-sends them).
        public var spooled: Int, dropped: Int, leftInSpool: Int
        /// Acknowledged as duplicates the first time they were sent: the stream held the same bytes
        /// under the same id already.
        public var alreadyInStream: Int
        /// Window lines the run produced, published or not.
        public var windowLinesProduced: Int

        public init(url: String, site: String, published: Int, resent: Int, spooled: Int, dropped: Int, leftInSpool: Int,
                    alreadyInStream: Int, windowLinesProduced: Int) {
            self.url = url; self.site = site; self.published = published; self.resent = resent; self.spooled = spooled
            self.dropped = dropped; self.leftInSpool = leftInSpool; self.alreadyInStream = alreadyInStream
            self.windowLinesProduced = windowLinesProduced
        }
    }

    public struct InferredTopology: Codable, Sendable, Equatable {
        public var cells: Int, radioEndpoints: Int, coreEndpoints: Int, identityCells: Int, links: Int
        public var maximumCells: Int, maximumLinks: Int, maximumEndpointPairs: Int
        /// Cells and links left out by the bounds, and the packets and bytes they would have had.
        public var cellsOverLimit: Int, linksOverLimit: Int
        public var packetsOverLimit: UInt64, bytesOverLimit: UInt64
        public var planning: String
        public init(cells: Int, radioEndpoints: Int, coreEndpoints: Int, identityCells: Int, links: Int,
                    maximumCells: Int, maximumLinks: Int, maximumEndpointPairs: Int, cellsOverLimit: Int,
                    linksOverLimit: Int, packetsOverLimit: UInt64, bytesOverLimit: UInt64, planning: String) {
            self.cells = cells; self.radioEndpoints = radioEndpoints; self.coreEndpoints = coreEndpoints
            self.identityCells = identityCells; self.links = links; self.maximumCells = maximumCells
            self.maximumLinks = maximumLinks; self.maximumEndpointPairs = maximumEndpointPairs
            self.cellsOverLimit = cellsOverLimit; self.linksOverLimit = linksOverLimit
            self.packetsOverLimit = packetsOverLimit; self.bytesOverLimit = bytesOverLimit; self.planning = planning
        }
    }

    /// What was read: a capture file (replay) or an interface (live).
    public enum Capture: Codable, Sendable, Equatable {
        case file(FileCapture)
        case interface(InterfaceCapture)

        public init(from decoder: any Decoder) throws {
            // The two shapes are told apart by the key each always has, never by guessing.
            let keys = try decoder.container(keyedBy: FileCapture.CodingKeys.self)
            self = keys.contains(.file) ? .file(try FileCapture(from: decoder)) : .interface(try InterfaceCapture(from: decoder))
        }

        public func encode(to encoder: any Encoder) throws {
            switch self {
            case .file(let c): try c.encode(to: encoder)
            case .interface(let c): try c.encode(to: encoder)
            }
        }
    }

    public struct FileCapture: Codable, Sendable, Equatable {
        /// The capture's file name (no folder).
        public var file: String
        public var format: String
        public var linkTypes: [String]
        public var packets: Int
        public var wireBytes: Int
        public var capturedBytes: Int
        /// Seconds since the epoch; both null when the capture held no packet.
        public var firstTime: Double?
        public var lastTime: Double?
        /// The capture fault that ended the read early, or null.
        public var error: String?
        /// Only with `--filter`: the BPF expression, and the packets it skipped (`packets` and the
        /// byte counts are those that passed it). Left out without a filter.
        public var filter: String?
        public var filteredPackets: Int?

        enum CodingKeys: String, CodingKey {
            case file, format, linkTypes, packets, wireBytes, capturedBytes, firstTime, lastTime, error
            case filter, filteredPackets
        }

        public init(file: String, format: String, linkTypes: [String], packets: Int, wireBytes: Int, capturedBytes: Int,
                    firstTime: Double?, lastTime: Double?, error: String?, filter: String? = nil, filteredPackets: Int? = nil) {
            self.file = file; self.format = format; self.linkTypes = linkTypes; self.packets = packets
            self.wireBytes = wireBytes; self.capturedBytes = capturedBytes
            self.firstTime = firstTime; self.lastTime = lastTime; self.error = error
            self.filter = filter; self.filteredPackets = filteredPackets
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(file, forKey: .file); try c.encode(format, forKey: .format); try c.encode(linkTypes, forKey: .linkTypes)
            try c.encode(packets, forKey: .packets); try c.encode(wireBytes, forKey: .wireBytes)
            try c.encode(capturedBytes, forKey: .capturedBytes)
            try c.encodeOrNull(firstTime, forKey: .firstTime); try c.encodeOrNull(lastTime, forKey: .lastTime)
            try c.encodeOrNull(error, forKey: .error)
            try c.encodeIfPresent(filter, forKey: .filter)
            try c.encodeIfPresent(filteredPackets, forKey: .filteredPackets)
        }
    }

    public struct InterfaceCapture: Codable, Sendable, Equatable {
        public var interface: String
        public var linkType: String
        /// The BPF filter, or null.
        public var filter: String?
        public var nanosecondTimestamps: Bool
        public var packets: Int
        public var wireBytes: Int
        public var capturedBytes: Int
        /// Seconds since the epoch; both null when no packet was captured.
        public var firstTime: Double?
        public var lastTime: Double?
        public var error: String?
        public var libpcap: LibpcapStatistics
        /// Packets received into the kernel's ring but not read when the stop came (a stop reads
        /// no more): `libpcap.received` − `libpcap.kernelDrops` − `packets`. Absent from summaries
        /// written before it was recorded.
        public var notRead: UInt64?
        /// A run on several interfaces (`interface` then names them all, comma-separated): each
        /// one's libpcap counters; `libpcap` is their sum.
        public var interfaces: [PerInterface]?

        public struct PerInterface: Codable, Sendable, Equatable {
            public var interface: String
            public var libpcap: LibpcapStatistics
            public init(interface: String, libpcap: LibpcapStatistics) { self.interface = interface; self.libpcap = libpcap }
        }

        public struct LibpcapStatistics: Codable, Sendable, Equatable {
            public var received: UInt64
            public var kernelDrops: UInt64
            public var interfaceDrops: UInt64
            public init(received: UInt64, kernelDrops: UInt64, interfaceDrops: UInt64) {
                self.received = received; self.kernelDrops = kernelDrops; self.interfaceDrops = interfaceDrops
            }
        }

        enum CodingKeys: String, CodingKey {
            case interface, linkType, filter, nanosecondTimestamps, packets, wireBytes, capturedBytes
            case firstTime, lastTime, error, libpcap, notRead, interfaces
        }

        public init(interface: String, linkType: String, filter: String?, nanosecondTimestamps: Bool, packets: Int,
                    wireBytes: Int, capturedBytes: Int, firstTime: Double?, lastTime: Double?, error: String?,
                    libpcap: LibpcapStatistics, notRead: UInt64? = nil) {
            self.interface = interface; self.linkType = linkType; self.filter = filter
            self.nanosecondTimestamps = nanosecondTimestamps; self.packets = packets; self.wireBytes = wireBytes
            self.capturedBytes = capturedBytes; self.firstTime = firstTime; self.lastTime = lastTime; self.error = error
            self.libpcap = libpcap; self.notRead = notRead
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(interface, forKey: .interface); try c.encode(linkType, forKey: .linkType)
            try c.encodeOrNull(filter, forKey: .filter); try c.encode(nanosecondTimestamps, forKey: .nanosecondTimestamps)
            try c.encode(packets, forKey: .packets); try c.encode(wireBytes, forKey: .wireBytes)
            try c.encode(capturedBytes, forKey: .capturedBytes)
            try c.encodeOrNull(firstTime, forKey: .firstTime); try c.encodeOrNull(lastTime, forKey: .lastTime)
            try c.encodeOrNull(error, forKey: .error); try c.encode(libpcap, forKey: .libpcap)
            try c.encodeIfPresent(notRead, forKey: .notRead)
            try c.encodeIfPresent(interfaces, forKey: .interfaces)
        }
    }

    public struct Decode: Codable, Sendable, Equatable {
        /// Decode issues by name: how many packets, and the first packet's number.
        public var issues: [String: Issue]
        public var packetsWithIssues: Int
        public var nonIPPackets: UInt64

        public struct Issue: Codable, Sendable, Equatable {
            public var count: Int
            public var firstPacket: Int
            public init(count: Int, firstPacket: Int) { self.count = count; self.firstPacket = firstPacket }
        }

        /// Packets with no usable time, and packets dated far ahead of those around them
        /// (`DatedAhead`): each took the time of the packet before it. Absent when none.
        public var packetsWithoutTime: Issue?
        public var packetsDatedAhead: Issue?
        /// Records holding more bytes than their wire length (a corrupt record header). Absent when none.
        public var recordsLongerThanWire: Issue?

        public init(issues: [String: Issue], packetsWithIssues: Int, nonIPPackets: UInt64,
                    packetsWithoutTime: Issue? = nil, packetsDatedAhead: Issue? = nil, recordsLongerThanWire: Issue? = nil) {
            self.issues = issues; self.packetsWithIssues = packetsWithIssues; self.nonIPPackets = nonIPPackets
            self.packetsWithoutTime = packetsWithoutTime; self.packetsDatedAhead = packetsDatedAhead
            self.recordsLongerThanWire = recordsLongerThanWire
        }
    }

    public struct Cells: Codable, Sendable, Equatable {
        public var names: [String]
        public var matchedPackets: UInt64
        public var matchedBytes: UInt64
        public var learnedFromSignallingPackets: UInt64
        public var signallingMessages: UInt64
        /// Optional only to read summaries written before live wrote them (replay always has).
        public var staticRuleConflicts: UInt64?
        public var learnedTEIDs: Int?
        public var signallingConflicts: Int?
        /// TEIDs (and node addresses) signalling named but the learner's bounded tables could not
        /// take (docs/limits.md); absent from summaries written before the bound.
        public var teidsRefused: Int?
        /// Cells signalling named beyond the bound on cells (docs/limits.md): their traffic is
        /// counted as unmatched. Absent from summaries written before the bound.
        public var cellsRefused: Int?
        /// GTPv2-C messages with a problem (a field past its message, too short, a PLMN digit over
        /// 9), learned from all the same: how many, the first one's packet and what was wrong.
        /// Absent when none.
        public var malformedSignalling: MalformedSignalling?

        public struct MalformedSignalling: Codable, Sendable, Equatable {
            public var count: UInt64
            public var firstPacket: Int
            public var firstProblem: String
            public init(count: UInt64, firstPacket: Int, firstProblem: String) {
                self.count = count; self.firstPacket = firstPacket; self.firstProblem = firstProblem
            }
        }

        public init(names: [String], matchedPackets: UInt64, matchedBytes: UInt64, learnedFromSignallingPackets: UInt64,
                    signallingMessages: UInt64, staticRuleConflicts: UInt64? = nil, learnedTEIDs: Int? = nil,
                    signallingConflicts: Int? = nil, teidsRefused: Int? = nil, cellsRefused: Int? = nil,
                    malformedSignalling: MalformedSignalling? = nil) {
            self.names = names; self.matchedPackets = matchedPackets; self.matchedBytes = matchedBytes
            self.learnedFromSignallingPackets = learnedFromSignallingPackets; self.signallingMessages = signallingMessages
            self.staticRuleConflicts = staticRuleConflicts; self.learnedTEIDs = learnedTEIDs
            self.signallingConflicts = signallingConflicts
            self.teidsRefused = teidsRefused; self.cellsRefused = cellsRefused
            self.malformedSignalling = malformedSignalling
        }
    }

    public struct Traffic: Codable, Sendable, Equatable {
        public var packets: UInt64
        public var bytes: UInt64
        public init(packets: UInt64, bytes: UInt64) { self.packets = packets; self.bytes = bytes }
    }

    public struct Flows: Codable, Sendable, Equatable {
        public var created: Int
        public var written: Int
        public var evicted: Int
        /// Replay only: the flow table's counters and configuration.
        public var expired: Int?
        public var peakLive: Int?
        public var maximumLive: Int?
        public var idleTimeoutSeconds: Double?
        public var activeTimeoutSeconds: Double?
        public var bytesPerFlow: Int?

        public init(created: Int, written: Int, evicted: Int, expired: Int? = nil, peakLive: Int? = nil,
                    maximumLive: Int? = nil, idleTimeoutSeconds: Double? = nil, activeTimeoutSeconds: Double? = nil,
                    bytesPerFlow: Int? = nil) {
            self.created = created; self.written = written; self.evicted = evicted; self.expired = expired
            self.peakLive = peakLive; self.maximumLive = maximumLive; self.idleTimeoutSeconds = idleTimeoutSeconds
            self.activeTimeoutSeconds = activeTimeoutSeconds; self.bytesPerFlow = bytesPerFlow
        }
    }

    public struct Windows: Codable, Sendable, Equatable {
        public var seconds: Double
        public var count: UInt64
        public var lines: Int
        public var latePackets: UInt64
        /// Replay only: 1 in N packets captured.
        public var sampling: UInt64?
        /// Live only: the per-window statistics file of the last segment.
        public var statisticsPerWindow: String?
        /// Empty windows not written because a gap in capture time was longer than the bound
        /// (docs/limits.md); absent from summaries written before it was counted.
        public var skippedEmptyWindows: UInt64?
        /// Windows not written because the run reached its bound on windows (replay exits
        /// non-zero); absent when the run has no such bound or from older summaries.
        public var droppedWindows: UInt64?
        /// Live only: windows written with packets dropped before capture while they were open
        /// (their lines carry `droppedBeforeCapture`); absent from replays and older summaries.
        public var withDrops: Int?

        public init(seconds: Double, count: UInt64, lines: Int, latePackets: UInt64, sampling: UInt64? = nil,
                    statisticsPerWindow: String? = nil, skippedEmptyWindows: UInt64? = nil, droppedWindows: UInt64? = nil) {
            self.seconds = seconds; self.count = count; self.lines = lines; self.latePackets = latePackets
            self.sampling = sampling; self.statisticsPerWindow = statisticsPerWindow
            self.skippedEmptyWindows = skippedEmptyWindows; self.droppedWindows = droppedWindows
        }
    }

    public init(capture: Capture, decode: Decode, cells: Cells, unmatched: Traffic, flows: Flows, windows: Windows,
                totals: Traffic, topologyReloads: Int? = nil, segments: Int? = nil, ipfix: [IPFIXCollectorStatistics]? = nil) {
        self.capture = capture; self.decode = decode; self.cells = cells; self.unmatched = unmatched
        self.flows = flows; self.windows = windows; self.totals = totals
        self.topologyReloads = topologyReloads; self.segments = segments
        self.ipfix = ipfix
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion, capture, decode, cells, unmatched, flows, windows, totals, topologyReloads, segments, ipfix
        case previousRun
        case inferredTopology
        case publish
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // summary.json has always carried its version: it is required here.
        let version = try c.decode(Int.self, forKey: .formatVersion)
        guard version == Self.formatVersion else { throw UnsupportedFormatVersion(found: version, supported: Self.formatVersion) }
        capture = try c.decode(Capture.self, forKey: .capture)
        decode = try c.decode(Decode.self, forKey: .decode)
        cells = try c.decode(Cells.self, forKey: .cells)
        unmatched = try c.decode(Traffic.self, forKey: .unmatched)
        flows = try c.decode(Flows.self, forKey: .flows)
        windows = try c.decode(Windows.self, forKey: .windows)
        totals = try c.decode(Traffic.self, forKey: .totals)
        topologyReloads = try c.decodeIfPresent(Int.self, forKey: .topologyReloads)
        segments = try c.decodeIfPresent(Int.self, forKey: .segments)
        ipfix = try c.decodeIfPresent([IPFIXCollectorStatistics].self, forKey: .ipfix)
        previousRun = try c.decodeIfPresent(PreviousRun.self, forKey: .previousRun)
        inferredTopology = try c.decodeIfPresent(InferredTopology.self, forKey: .inferredTopology)
        publish = try c.decodeIfPresent(Publish.self, forKey: .publish)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.formatVersion, forKey: .formatVersion)
        try c.encode(capture, forKey: .capture); try c.encode(decode, forKey: .decode); try c.encode(cells, forKey: .cells)
        try c.encode(unmatched, forKey: .unmatched); try c.encode(flows, forKey: .flows); try c.encode(windows, forKey: .windows)
        try c.encode(totals, forKey: .totals)
        try c.encodeIfPresent(topologyReloads, forKey: .topologyReloads); try c.encodeIfPresent(segments, forKey: .segments)
        try c.encodeIfPresent(ipfix, forKey: .ipfix)
        try c.encodeIfPresent(previousRun, forKey: .previousRun)
        try c.encodeIfPresent(inferredTopology, forKey: .inferredTopology)
        try c.encodeIfPresent(publish, forKey: .publish)
    }

    /// The file's bytes: pretty printed, keys sorted as `JSONSerialization` sorts them (decode issue
    /// names mix case), a final newline. Throws rather than write an empty file when encoding fails.
    public func json() throws -> [UInt8] {
        try FoundationOrderedJSON.encode(self) + [10]
    }

    /// Reads summary.json; errors name the file.
    public static func read(_ data: Data, path: String) throws(FormatReadError) -> RunSummary {
        try FormatReading.decode(RunSummary.self, from: data, path: path)
    }
}

extension KeyedEncodingContainer {
    /// Writes `null` for nil (where the format keeps the key), the value otherwise.
    mutating func encodeOrNull<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
}
