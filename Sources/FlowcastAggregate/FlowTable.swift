internal import CFlowcastShims
internal import Dispatch
#if canImport(Glibc)
internal import Glibc
#endif
public import FlowcastDecode

/// Bidirectional flows with idle and active timeouts and a hard bound on live flows.
///
/// Open addressing with linear probing over a power-of-two slot array (each slot packs 32 bits
/// of hash and a record index), backward-shift deletion (no tombstones), and records in a slab
/// with a free list, so steady-state updates allocate nothing and touch two cache lines: the
/// slot and the record. Expiry is a sequential sweep every quarter of the shortest timeout of
/// capture time (a packet of a flow already past its timeout still ends it exactly at the gap);
/// the sweep reads a dense array of each record's deadline, 8 bytes a flow, and touches only the
/// records due, not the whole slab. At the bound, the longest-idle eighth of the table is evicted, counted and
/// exported; nothing leaves silently.
///
/// Memory: `bytesPerFlow` — one 168-byte record, its 8-byte deadline and at most two 8-byte
/// slots per live flow (the slot array stays at most half full).
public final class FlowTable: @unchecked Sendable {
    /// Configuration; timeouts in nanoseconds, 0 meaning never.
    public struct Configuration: Sendable {
        public var idleTimeout: Int64
        public var activeTimeout: Int64
        public var maximumFlows: Int
        public init(idleTimeout: Int64 = 60_000_000_000, activeTimeout: Int64 = 300_000_000_000, maximumFlows: Int = 1 << 20) {
            self.idleTimeout = idleTimeout
            self.activeTimeout = activeTimeout
            self.maximumFlows = min(max(1, maximumFlows), Self.largestMaximumFlows)
        }

        /// The largest `maximumFlows` (`--max-flows`) accepted: 2²⁸ (268,435,456) flows. A slot
        /// keeps a record index in 32 bits, and at `bytesPerFlow` (192 bytes) the bound is a 52 GB
        /// table, beyond the hosts Flowcast runs on (docs/limits.md).
        public static let largestMaximumFlows = 1 << 28
    }

    public let configuration: Configuration
    // Checked once per packet by construction (one thread owns the table); dynamic exclusivity
    // checks on these would cost a runtime call per access on the hot path.
    @exclusivity(unchecked) private var records: UnsafeMutablePointer<FlowRecord>
    @exclusivity(unchecked) private var capacity: Int
    /// The slab's address-space reservation (for the table's whole bound), or nil when the slab
    /// is an ordinary allocation that grows by copying.
    private var reservation: LargeAllocation.Reservation?
    /// Per record, the capture time at which it is due to expire: the earlier of last + idle
    /// timeout and first + active timeout (saturating; .max for none and for free records).
    /// A dense array beside the slab, so a sweep streams 8 bytes a flow rather than the 168-byte
    /// records: on a capture of 300k flows a few packets each the whole-slab sweep was 11 % of
    /// replay's CPU.
    @exclusivity(unchecked) private var deadlines: UnsafeMutablePointer<Int64>
    private var deadlineReservation: LargeAllocation.Reservation?
    /// Set once a packet time of magnitude 2⁶¹ or more was seen (a hostile or corrupt capture):
    /// the deadlines rest on differences of times not wrapping, so from then on a sweep checks
    /// every record, as the timeouts' wrapping tests would.
    @exclusivity(unchecked) var sweepsEveryRecord = false
    /// Records ever used (the slab's high-water mark); free ones are on `free`.
    @exclusivity(unchecked) private var used = 0
    @exclusivity(unchecked) private var slots: UnsafeMutablePointer<UInt64>
    @exclusivity(unchecked) private var slotCount: Int
    @exclusivity(unchecked) private var mask: Int
    @exclusivity(unchecked) private var freeList: [Int32] = []
    private let seed: UInt64
    @exclusivity(unchecked) public private(set) var liveFlows = 0
    @exclusivity(unchecked) public private(set) var peakFlows = 0
    @exclusivity(unchecked) public private(set) var createdFlows = 0
    public private(set) var evictedFlows = 0
    public private(set) var expiredFlows = 0
    @exclusivity(unchecked) private var lastSweep: Int64 = .min
    private let sweepInterval: Int64

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        // Reserve address space for every record the bound allows: pages are backed only as
        // records are first used, and the slab never moves or re-zeroes as the table grows.
        let r = LargeAllocation.reserve(FlowRecord.self, count: configuration.maximumFlows)
        let d = r == nil ? nil : LargeAllocation.reserve(Int64.self, count: configuration.maximumFlows)
        if let r, let d {
            reservation = r
            deadlineReservation = d
            capacity = configuration.maximumFlows
            records = r.base.bindMemory(to: FlowRecord.self, capacity: capacity)
            deadlines = d.base.bindMemory(to: Int64.self, capacity: capacity)
        } else {
            r?.release()
            capacity = min(4096, configuration.maximumFlows)
            records = LargeAllocation.allocate(FlowRecord.self, count: capacity)
            deadlines = LargeAllocation.allocate(Int64.self, count: capacity)
        }
        slotCount = 1024
        slots = LargeAllocation.allocate(UInt64.self, count: slotCount)
        slots.initialize(repeating: 0, count: slotCount)
        mask = 1023
        seed = UInt64.random(in: 1...UInt64.max)
        let timeouts = [configuration.idleTimeout, configuration.activeTimeout].filter { $0 > 0 }
        sweepInterval = max(1_000_000, min(1_000_000_000, (timeouts.min() ?? 1_000_000_000) / 4))
    }

    deinit {
        records.deinitialize(count: used)
        if let reservation { reservation.release() } else { free(records) }
        if let deadlineReservation { deadlineReservation.release() } else { free(deadlines) }
        free(slots)
    }

    /// Bytes of memory one live flow costs: its record, its deadline and, at most, two slots.
    public static var bytesPerFlow: Int { MemoryLayout<FlowRecord>.stride + MemoryLayout<Int64>.stride + 2 * MemoryLayout<UInt64>.stride }

    /// Finds or creates the flow of a packet and updates its counters; `expired` receives flows
    /// that time out or are evicted on the way. Returns the record index and the packet's
    /// direction (0 = A→B), or nil for packets without an IP header.
    @inline(__always)
    public func update(_ s: borrowing PacketSummary, packetNumber: Int,
                       expired: (borrowing FlowRecord, FlowEndReason) -> Void) -> (index: Int, direction: Int, isNew: Bool, retransmission: Bool)? {
        let d = PacketDigest(s)
        guard d.has(PacketDigest.hasKey) else { return nil }
        return update(d, hash: d.key.hash(seed: seed), packetNumber: packetNumber, expired: expired)
    }

    /// The seed of this table's hash (for callers that compute keys ahead, see `prefetch`).
    public var hashSeed: UInt64 { seed }

    /// Starts loading the slot a key hashes to (call a few packets ahead of `update`).
    @inline(__always) public func prefetchSlot(hash: UInt64) {
        flowcast_prefetch(slots + (Self.home(hash, mask)))
    }

    /// Starts loading the record in a key's home slot (call after `prefetchSlot` had time to land).
    @inline(__always) public func prefetchRecord(hash: UInt64) {
        let entry = slots[Self.home(hash, mask)]
        if entry != 0 { flowcast_prefetch(records + (Int(entry & 0xFFFF_FFFF) - 1)) }
    }

    /// `update` from a digest and its key's hash (with this table's `hashSeed`); the digest must
    /// have a key (`PacketDigest.hasKey`).
    @inline(__always)
    public func update(_ d: PacketDigest, hash: UInt64, packetNumber: Int,
                       expired: (borrowing FlowRecord, FlowEndReason) -> Void) -> (index: Int, direction: Int, isNew: Bool, retransmission: Bool) {
        let now = d.timestampNanoseconds
        let key = d.key, fromLow = d.has(PacketDigest.fromLow)
        // `lastSweep` starts at .min, where `now &- lastSweep` wraps negative for every capture
        // time after 1970: until 5 December 2026 the first test was never true, so no sweep ever
        // ran and a flow ended on its timeout only when a packet of its own came after it.
        if now.magnitude >= 1 << 61 { sweepsEveryRecord = true }
        if lastSweep == .min || now < lastSweep || now &- lastSweep >= sweepInterval {
            sweep(now: now, expired: expired)
            lastSweep = now
        }
        var index = find(key, hash: hash)
        if index >= 0 {
            // A flow past its timeout ends here even if no sweep has reached it yet, so a
            // timeout splits flows at exactly the configured gap.
            // Fields read through the pointer: copying the 168-byte record costs a memcpy.
            let last = records[index].lastNanoseconds, first = records[index].firstNanoseconds
            let idle = configuration.idleTimeout, active = configuration.activeTimeout
            let reason: FlowEndReason? = idle > 0 && now &- last >= idle ? .idle
                : active > 0 && now &- first >= active ? .active : nil
            if let reason {
                expired(records[index], reason)
                remove(index)
                expiredFlows += 1
                index = -1
            }
        }
        var isNew = false
        if index < 0 {
            if liveFlows >= configuration.maximumFlows { evictIdlest(expired) }
            index = allocate()
            (records + index).initialize(to: FlowRecord(key: key, aIsLow: fromLow, now: now, firstPacket: packetNumber))
            insertSlot(hash: hash, index: index)
            liveFlows += 1
            createdFlows += 1
            if liveFlows > peakFlows { peakFlows = liveFlows }
            isNew = true
        }
        let r = records + index
        let direction = r.pointee.aIsLow == fromLow ? 0 : 1
        // Earliest and latest, not first and last in file order: a capture's packets can be out
        // of time order (pcapng interfaces merged), and a flow's last time read before its first.
        if now > r.pointee.lastNanoseconds { r.pointee.lastNanoseconds = now }
        if now < r.pointee.firstNanoseconds { r.pointee.firstNanoseconds = now }
        deadlines[index] = deadline(first: r.pointee.firstNanoseconds, last: r.pointee.lastNanoseconds)
        let wire = UInt64(d.wireLength), ip = UInt64(d.ipLength)
        let hasTEID = d.has(PacketDigest.hasTEID)
        if direction == 0 {
            r.pointee.packets.0 &+= 1; r.pointee.bytes.0 &+= wire; r.pointee.ipBytes.0 &+= ip
            if r.pointee.flags & 2 == 0 && hasTEID { r.pointee.teidValue.0 = d.teid; r.pointee.flags |= 2 }
        } else {
            r.pointee.packets.1 &+= 1; r.pointee.bytes.1 &+= wire; r.pointee.ipBytes.1 &+= ip
            if r.pointee.flags & 4 == 0 && hasTEID { r.pointee.teidValue.1 = d.teid; r.pointee.flags |= 4 }
        }
        if d.has(PacketDigest.hasICMP) {
            if direction == 0 { if r.pointee.icmpValue.0 == 0xFFFF { r.pointee.icmpValue.0 = d.tcpWindow } }
            else if r.pointee.icmpValue.1 == 0xFFFF { r.pointee.icmpValue.1 = d.tcpWindow }
        }
        var retransmission = false
        if d.has(PacketDigest.hasTCP) { retransmission = Self.trackTCP(r, direction: direction, flags: d.tcpFlags, d) }
        return (index, direction, isNew, retransmission)
    }

    /// Sequence tracking for the retransmission estimate, Wireshark's rule (packet-tcp.c,
    /// `tcp_analyze_sequence_number`, tshark 4.0 defaults) without its acknowledgement-based
    /// tests. A segment with data (or SYN/FIN) whose sequence number lies before the next expected
    /// one is:
    /// - a keep-alive, not counted: one byte (no SYN/FIN/RST) starting one before the next expected;
    /// - not counted either when it carries more than one byte from one before the next expected
    ///   (the data after a zero-window probe);
    /// - out of order, not counted: it came less than the threshold after the segment that last
    ///   advanced the next expected sequence number in its direction, and does not end exactly at
    ///   the next expected one (the last segment sent again). The threshold is the flow's initial
    ///   round-trip time (the latest SYN without ACK to the first ACK without SYN, either
    ///   direction) when the handshake was seen, else 3 ms;
    /// - otherwise a retransmission (counted).
    /// Wireshark's fast retransmissions (≥ 2 duplicate ACKs, < 20 ms) and spurious ones (data the
    /// other side already acknowledged) that arrive within the threshold are counted as
    /// retransmissions by tshark and out of order here: both need the acknowledgement number,
    /// which the digest does not carry. Times are whole microseconds modulo 2³², and the initial
    /// round-trip time is kept to 1/16 (rounded down).
    @inline(__always)
    static func trackTCP(_ r: UnsafeMutablePointer<FlowRecord>, direction: Int, flags: UInt8, _ d: PacketDigest) -> Bool {
        let length = d.payloadLength &+ (flags & 0x03 != 0 ? 1 : 0)
        let seq = d.tcpSequence
        let validBit: UInt8 = direction == 0 ? 8 : 16
        // Wireshark's tcp.analysis.zero_window: a window of 0 on a segment with none of SYN, FIN
        // and RST (a tarpit's SYN-ACK or a FIN with window 0 is no zero window; they counted).
        let zero = d.tcpWindow == 0 && flags & 0x07 == 0
        if direction == 0 {
            r.pointee.tcpFlags.0 |= flags
            if zero { r.pointee.zeroWindows.0 &+= 1 }
        } else {
            r.pointee.tcpFlags.1 |= flags
            if zero { r.pointee.zeroWindows.1 &+= 1 }
        }
        let synOrAck = flags & 0x12
        if synOrAck == 0 && length == 0 { return false }
        let micros = UInt32(truncatingIfNeeded: d.timestampNanoseconds / 1000)
        let state = r.pointee.tcpState
        // The first ACK without SYN after a SYN without ACK sets the initial round-trip time
        // (before the segment's own analysis, as Wireshark); 0 µs leaves it unknown, as there.
        if synOrAck == 0x10 && state & 3 == 1 {
            let rtt = micros &- (state & 4 != 0 ? r.pointee.advanceMicros.1 : r.pointee.advanceMicros.0)
            if rtt != 0 {
                r.pointee.initialRTT = Self.encodeInitialRTT(rtt)
                r.pointee.tcpState = state | 2
            }
        }
        guard length > 0 else { return false }
        let known = r.pointee.flags & validBit != 0
        let expected = direction == 0 ? r.pointee.nextSequence.0 : r.pointee.nextSequence.1
        let last = direction == 0 ? r.pointee.advanceMicros.0 : r.pointee.advanceMicros.1
        var retransmission = false
        let behind = seq &- expected
        // 0xFFFF_FFFF: one before the next expected (a keep-alive with one byte, or the data
        // after a zero-window probe with more).
        if known && Int32(bitPattern: behind) < 0 && (behind != 0xFFFF_FFFF || d.payloadLength == 0 || (d.payloadLength == 1 && flags & 0x07 != 0)) {
            let threshold: UInt32 = r.pointee.tcpState & 2 != 0 ? Self.initialRTTMicros(r.pointee.initialRTT) : 3000
            retransmission = micros &- last >= threshold || seq &+ length == expected
        }
        let end = seq &+ length
        if !known || Int32(bitPattern: end &- expected) > 0 {
            if direction == 0 { r.pointee.nextSequence.0 = end; r.pointee.advanceMicros.0 = micros }
            else { r.pointee.nextSequence.1 = end; r.pointee.advanceMicros.1 = micros }
            r.pointee.flags |= validBit
        }
        if retransmission {
            if direction == 0 { r.pointee.retransmissions.0 &+= 1 } else { r.pointee.retransmissions.1 &+= 1 }
        }
        // A SYN without ACK arms the initial round-trip time from its own time (the latest SYN,
        // as Wireshark's `ts_mru_syn`), kept in its direction's `advanceMicros`.
        if synOrAck == 0x02 {
            if direction == 0 { r.pointee.advanceMicros.0 = micros } else { r.pointee.advanceMicros.1 = micros }
            r.pointee.tcpState = (r.pointee.tcpState & ~4) | 1 | (direction == 0 ? 0 : 4)
        }
        return retransmission
    }

    /// A round-trip time in µs as `FlowRecord.initialRTT`'s one byte: `(16 + m) << e` µs with
    /// `e` the high and `m` the low 4 bits, rounded down (under 16 µs reads 16, over 1.02 s 1.02 s).
    @inline(__always) static func encodeInitialRTT(_ micros: UInt32) -> UInt8 {
        guard micros >= 16 else { return 0 }
        let e = (32 - micros.leadingZeroBitCount) - 5
        guard e <= 15 else { return 0xFF }
        return UInt8(truncatingIfNeeded: e << 4) | UInt8(truncatingIfNeeded: (micros >> UInt32(e)) & 15)
    }

    /// The µs `encodeInitialRTT` stands for.
    @inline(__always) static func initialRTTMicros(_ code: UInt8) -> UInt32 {
        (16 | UInt32(code & 15)) << UInt32(code >> 4)
    }

    /// A live record.
    public subscript(index: Int) -> FlowRecord { records[index] }

    public func setCell(_ index: Int, _ cell: Int32) { records[index].cell = cell }

    /// Records which direction of a flow is the uplink (`FlowRecord.abIsUplink`).
    public func setUplink(_ index: Int, abIsUplink: Bool) { records[index].flags |= abIsUplink ? 0x60 : 0x20 }

    /// Returns true (and records the window) when the flow has not yet been counted in `window`.
    @inline(__always)
    public func markActive(_ index: Int, window: Int64) -> Bool {
        let w = Int32(truncatingIfNeeded: window)
        if records[index].lastActiveWindow == w { return false }
        records[index].lastActiveWindow = w
        return true
    }

    /// When a flow of these first and last times is due to expire (`deadlines`): a flow is past
    /// a timeout as of `now` exactly when this is at or before `now`, for times under 2⁶¹ in
    /// magnitude (their differences cannot wrap).
    @inline(__always) private func deadline(first: Int64, last: Int64) -> Int64 {
        let idle = configuration.idleTimeout, active = configuration.activeTimeout
        var due = Int64.max
        if idle > 0 { let (t, over) = last.addingReportingOverflow(idle); if !over { due = t } }
        if active > 0 { let (t, over) = first.addingReportingOverflow(active); if !over && t < due { due = t } }
        return due
    }

    /// Expires flows idle or active beyond their timeouts as of `now`, in slab order.
    public func sweep(now: Int64, expired: (borrowing FlowRecord, FlowEndReason) -> Void) {
        let idle = configuration.idleTimeout, active = configuration.activeTimeout
        guard idle > 0 || active > 0, liveFlows > 0 else { return }
        let everyRecord = sweepsEveryRecord
        // The deadline only picks the records to look at; the test below is the timeouts' own.
        for i in 0..<used where (everyRecord || deadlines[i] <= now) && records[i].isLive {
            let last = records[i].lastNanoseconds, first = records[i].firstNanoseconds
            let reason: FlowEndReason? = idle > 0 && now &- last >= idle ? .idle
                : active > 0 && now &- first >= active ? .active : nil
            if let reason {
                expired(records[i], reason)
                remove(i)
                expiredFlows += 1
            }
        }
    }

    /// Removes every live flow, in the order their first packets appeared.
    public func drain(_ body: (borrowing FlowRecord, FlowEndReason) -> Void) {
        for i in liveByFirstPacket() {
            body(records[i], .end)
            remove(i)
        }
    }

    /// Ends every live flow, in order of first packet, and empties the table, formatting the
    /// records on `parts` threads: chunk by chunk, each part formats a contiguous share of the
    /// chunk into its own buffer, and `emit` receives the buffers in order with their record
    /// counts — the same bytes a one-by-one `drain` would produce, in a fraction of the wall time
    /// at the end of a replay, when the other core has nothing left to do.
    public func drainFormatted(parts: Int, format: @escaping @Sendable (borrowing FlowRecord, inout [UInt8]) -> Void,
                               emit: ([UInt8], Int) -> Void) {
        let live = liveByFirstPacket()
        let parts = max(1, parts)
        var outputs = [[UInt8]](repeating: [], count: parts)
        let chunk = 8192
        var start = 0
        while start < live.count {
            let end = min(live.count, start + chunk), first = start
            // Part p formats the p-th contiguous share of this chunk.
            let shares = (0..<parts).map { p in (first + (end - first) * p / parts)..<(first + (end - first) * (p + 1) / parts) }
            live.withUnsafeBufferPointer { indices in
                outputs.withUnsafeMutableBufferPointer { out in
                    let shared = DrainShare(records: records, indices: indices, outputs: out)
                    DispatchQueue.concurrentPerform(iterations: parts) { p in
                        var buffer: [UInt8] = []
                        swap(&buffer, &shared.outputs[p])
                        buffer.removeAll(keepingCapacity: true)
                        for j in shares[p] { format(shared.records[shared.indices[j]], &buffer) }
                        swap(&buffer, &shared.outputs[p])
                    }
                }
            }
            for p in 0..<parts { emit(outputs[p], shares[p].count) }
            start = end
        }
        // Empty the table wholesale (no per-flow removal).
        for i in live { records[i].flags &= 0x7F }
        freeList.removeAll()
        records.deinitialize(count: used)
        used = 0
        liveFlows = 0
        slots.update(repeating: 0, count: slotCount)
    }

    /// Indices of the live records, in the order their flows' first packets appeared.
    private func liveByFirstPacket() -> [Int] {
        var live: [Int] = []
        live.reserveCapacity(liveFlows)
        for i in 0..<used where records[i].isLive { live.append(i) }
        live.sort { records[$0].firstPacket < records[$1].firstPacket }
        return live
    }

    // MARK: storage

    /// A key's home slot comes from the upper 32 bits of its hash, which each slot also keeps
    /// (beside the record index): removal and growth find homes without touching records.
    @inline(__always) static func home(_ hashOrEntry: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: hashOrEntry >> 32) & mask
    }

    @inline(__always)
    private func find(_ key: FlowKey, hash: UInt64) -> Int {
        let tag = (hash & 0xFFFF_FFFF_0000_0000)
        var slot = Self.home(hash, mask)
        while true {
            let entry = slots[slot]
            if entry == 0 { return -1 }
            if entry & 0xFFFF_FFFF_0000_0000 == tag {
                let candidate = Int(entry & 0xFFFF_FFFF) - 1
                if records[candidate].key == key { return candidate }
            }
            slot = (slot + 1) & mask
        }
    }

    private func insertSlot(hash: UInt64, index: Int) {
        if (liveFlows + 1) * 2 > slotCount { growSlots() }
        var slot = Self.home(hash, mask)
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = (hash & 0xFFFF_FFFF_0000_0000) | UInt64(index + 1)
    }

    private func allocate() -> Int {
        if let reused = freeList.popLast() { return Int(reused) }
        if used == capacity {
            // Grow by half (not double): the slab is most of the memory.
            let bigger = min(max(capacity + capacity / 2, 1024), max(configuration.maximumFlows, capacity + 1))
            let fresh = LargeAllocation.allocate(FlowRecord.self, count: bigger)
            fresh.moveInitialize(from: records, count: used)
            free(records)
            records = fresh
            let freshDeadlines = LargeAllocation.allocate(Int64.self, count: bigger)
            freshDeadlines.update(from: deadlines, count: used)
            free(deadlines)
            deadlines = freshDeadlines
            capacity = bigger
        }
        used += 1
        return used - 1
    }

    private func remove(_ index: Int) {
        let hash = records[index].key.hash(seed: seed)
        var slot = Self.home(hash, mask)
        while Int(slots[slot] & 0xFFFF_FFFF) - 1 != index { slot = (slot + 1) & mask }
        // Backward-shift deletion keeps probe chains unbroken without tombstones.
        var hole = slot
        var next = (hole + 1) & mask
        while slots[next] != 0 {
            let entry = slots[next]
            let home = Self.home(entry, mask)  // the slot keeps the hash bits that chose it
            if (hole - home) & mask < (next - home) & mask {
                slots[hole] = entry
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole] = 0
        records[index].flags &= 0x7F
        deadlines[index] = .max
        freeList.append(Int32(index))
        liveFlows -= 1
    }

    private func growSlots() {
        let count = slotCount * 2
        let fresh = LargeAllocation.allocate(UInt64.self, count: count)
        fresh.initialize(repeating: 0, count: count)
        let newMask = count - 1
        for i in 0..<slotCount where slots[i] != 0 {
            let entry = slots[i]
            var slot = Self.home(entry, newMask)
            while fresh[slot] != 0 { slot = (slot + 1) & newMask }
            fresh[slot] = entry
        }
        free(slots)
        slots = fresh
        slotCount = count
        mask = newMask
    }

    /// At the bound: evicts the longest-idle eighth of the live flows (at least one), found by
    /// a deterministic sample of last-seen times, so eviction costs O(1) amortised per flow.
    private func evictIdlest(_ expired: (borrowing FlowRecord, FlowEndReason) -> Void) {
        let target = max(1, liveFlows / 8)
        var sample: [Int64] = []
        let step = max(1, used / 512)
        var i = 0
        while i < used { if records[i].isLive { sample.append(records[i].lastNanoseconds) }; i += step }
        sample.sort()
        let threshold = sample.isEmpty ? Int64.max : sample[min(sample.count - 1, sample.count / 8)]
        var evicted = 0
        for i in 0..<used where evicted < target && records[i].isLive && records[i].lastNanoseconds <= threshold {
            expired(records[i], .evicted)
            remove(i)
            evicted += 1
            evictedFlows += 1
        }
        if evicted == 0, let victim = (0..<used).first(where: { records[$0].isLive }) {
            expired(records[victim], .evicted)
            remove(victim)
            evictedFlows += 1
        }
    }
}

/// What the threads of `drainFormatted` share: read-only records and indices, and one output
/// buffer per part, each touched by exactly one thread.
private struct DrainShare: @unchecked Sendable {
    let records: UnsafeMutablePointer<FlowRecord>
    let indices: UnsafeBufferPointer<Int>
    let outputs: UnsafeMutableBufferPointer<[UInt8]>
}
