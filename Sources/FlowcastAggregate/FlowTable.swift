public import FlowcastDecode

/// Bidirectional flows with idle and active timeouts and a hard bound on live flows.
///
/// Open addressing with linear probing over a power-of-two slot array (each slot packs 32 bits
/// of hash and a record index), backward-shift deletion (no tombstones), and records in a slab
/// with a free list, so steady-state updates allocate nothing. Two intrusive lists keep
/// least-recently-seen order (idle timeout, eviction) and creation order (active timeout), so
/// expiry pops list heads instead of scanning the table.
///
/// Memory: one `FlowRecord` (`MemoryLayout<FlowRecord>.stride` bytes) plus two 8-byte slots per
/// flow of capacity; `bytesPerFlow` reports the figure.
public struct FlowTable {
    /// Configuration; timeouts in nanoseconds, 0 meaning never.
    public struct Configuration: Sendable {
        public var idleTimeout: Int64
        public var activeTimeout: Int64
        public var maximumFlows: Int
        public init(idleTimeout: Int64 = 60_000_000_000, activeTimeout: Int64 = 300_000_000_000, maximumFlows: Int = 1 << 20) {
            self.idleTimeout = idleTimeout
            self.activeTimeout = activeTimeout
            self.maximumFlows = max(1, maximumFlows)
        }
    }

    public let configuration: Configuration
    public private(set) var records: [FlowRecord] = []
    private var slots: [UInt64]
    private var mask: Int
    private var free: [Int32] = []
    private let seed: UInt64
    private var lruHead: Int32 = -1, lruTail: Int32 = -1
    private var ageHead: Int32 = -1, ageTail: Int32 = -1
    public private(set) var liveFlows = 0
    public private(set) var peakFlows = 0
    public private(set) var createdFlows = 0
    public private(set) var evictedFlows = 0
    public private(set) var expiredFlows = 0
    /// Timestamp (ns) of the last expiry sweep, and how much capture time passes between sweeps.
    private var lastSweep: Int64 = .min
    private let sweepInterval: Int64

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        var capacity = 1024
        while capacity < configuration.maximumFlows * 2 && capacity < 1 << 30 { capacity <<= 1 }
        // Start small and grow: a capture with few flows should not pay for the bound.
        let initial = min(capacity, 1 << 12)
        slots = [UInt64](repeating: 0, count: initial)
        mask = initial - 1
        seed = UInt64.random(in: 1...UInt64.max)
        let timeouts = [configuration.idleTimeout, configuration.activeTimeout].filter { $0 > 0 }
        sweepInterval = max(1_000_000, min(1_000_000_000, (timeouts.min() ?? 1_000_000_000) / 4))
    }

    /// Bytes of memory one live flow costs (record plus its share of slots at the growth bound).
    public static var bytesPerFlow: Int { MemoryLayout<FlowRecord>.stride + 2 * MemoryLayout<UInt64>.stride }

    /// Finds or creates the flow of a packet and updates its counters; `expired` receives flows
    /// that time out or are evicted on the way. Returns the record index and the packet's
    /// direction (0 = A→B), or nil for packets without an IP header.
    @inline(__always)
    public mutating func update(_ s: PacketSummary, packetNumber: Int,
                                expired: (borrowing FlowRecord, FlowEndReason) -> Void) -> (index: Int, direction: Int, isNew: Bool, retransmission: Bool)? {
        guard let (key, fromLow) = FlowKey.of(s) else { return nil }
        let now = s.timestampNanoseconds
        if now &- lastSweep >= sweepInterval || now < lastSweep {
            sweep(now: now, expired: expired)
            lastSweep = now
        }
        let hash = key.hash(seed: seed)
        let tag = UInt64(truncatingIfNeeded: hash >> 32) << 32
        var slot = Int(truncatingIfNeeded: hash) & mask
        var index: Int32 = -1
        while true {
            let entry = slots[slot]
            if entry == 0 { break }
            if entry & 0xFFFF_FFFF_0000_0000 == tag {
                let candidate = Int32(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                if records[Int(candidate)].key == key { index = candidate; break }
            }
            slot = (slot + 1) & mask
        }
        if index >= 0 {
            // A flow past its timeout ends here even if no sweep has reached it yet, so a
            // timeout splits flows at exactly the configured gap.
            let r = records[Int(index)]
            let idle = configuration.idleTimeout, active = configuration.activeTimeout
            let reason: FlowEndReason? = idle > 0 && now &- r.lastNanoseconds >= idle ? .idle
                : active > 0 && now &- r.firstNanoseconds >= active ? .active : nil
            if let reason {
                expired(r, reason)
                remove(index)
                expiredFlows += 1
                index = -1
                slot = Int(truncatingIfNeeded: hash) & mask
                while slots[slot] != 0 { slot = (slot + 1) & mask }
            }
        }
        var isNew = false
        if index < 0 {
            if liveFlows >= configuration.maximumFlows, lruHead >= 0 {
                let victim = lruHead
                expired(records[Int(victim)], .evicted)
                remove(victim)
                evictedFlows += 1
                // The victim's removal may have shifted slots: find the insertion point again.
                slot = Int(truncatingIfNeeded: hash) & mask
                while slots[slot] != 0 { slot = (slot + 1) & mask }
            }
            index = allocate(FlowRecord(key: key, aIsLow: fromLow, firstNanoseconds: now, lastNanoseconds: now,
                                        firstSeconds: s.timestampSeconds, firstFraction: s.timestampFraction,
                                        firstPacket: packetNumber))
            slots[slot] = tag | UInt64(UInt32(index + 1))
            appendAge(index)
            liveFlows += 1
            createdFlows += 1
            peakFlows = max(peakFlows, liveFlows)
            isNew = true
            if liveFlows * 2 > slots.count { grow() }
        } else {
            unlinkLRU(index)
        }
        appendLRU(index)
        let i = Int(index)
        let direction = records[i].aIsLow == fromLow ? 0 : 1
        var retransmission = false
        records.withUnsafeMutableBufferPointer { buffer in
            let r = buffer.baseAddress! + i
            r.pointee.lastNanoseconds = now
            r.pointee.lastSeconds = s.timestampSeconds
            r.pointee.lastFraction = s.timestampFraction
            let bytes = UInt64(s.wireLength)
            if direction == 0 {
                r.pointee.packets.0 &+= 1; r.pointee.bytes.0 &+= bytes
                if r.pointee.teid.0 == nil { r.pointee.teid.0 = s.teid }
            } else {
                r.pointee.packets.1 &+= 1; r.pointee.bytes.1 &+= bytes
                if r.pointee.teid.1 == nil { r.pointee.teid.1 = s.teid }
            }
            if let flags = s.tcpFlags { retransmission = Self.trackTCP(&r.pointee, direction: direction, flags: flags, s) }
        }
        return (i, direction, isNew, retransmission)
    }

    /// Sequence tracking for the retransmission estimate: a segment with data (or SYN/FIN) whose
    /// sequence number lies before the next expected one re-sends sequence space.
    @inline(__always)
    static func trackTCP(_ r: inout FlowRecord, direction: Int, flags: UInt8, _ s: PacketSummary) -> Bool {
        let length = UInt32(clamping: s.payloadLength) &+ (flags & 0x03 != 0 ? 1 : 0)
        let seq = s.tcpSequence
        if direction == 0 {
            r.tcpFlags.0 |= flags
            if s.tcpWindow == 0 && flags & 0x04 == 0 { r.zeroWindows.0 &+= 1 }
            guard length > 0 else { return false }
            if r.sequenceValid.0 && Int32(bitPattern: seq &- r.nextSequence.0) < 0 {
                r.retransmissions.0 &+= 1
                return true
            }
            r.nextSequence.0 = seq &+ length
            r.sequenceValid.0 = true
            return false
        } else {
            r.tcpFlags.1 |= flags
            if s.tcpWindow == 0 && flags & 0x04 == 0 { r.zeroWindows.1 &+= 1 }
            guard length > 0 else { return false }
            if r.sequenceValid.1 && Int32(bitPattern: seq &- r.nextSequence.1) < 0 {
                r.retransmissions.1 &+= 1
                return true
            }
            r.nextSequence.1 = seq &+ length
            r.sequenceValid.1 = true
            return false
        }
    }

    /// Reads or changes the per-aggregator bookkeeping of a live record.
    public subscript(index: Int) -> FlowRecord { records[index] }

    public mutating func setCell(_ index: Int, _ cell: Int32) { records[index].cell = cell }

    /// Returns true (and records the window) when the flow has not yet been counted in `window`.
    @inline(__always)
    public mutating func markActive(_ index: Int, window: Int64) -> Bool {
        if records[index].lastActiveWindow == window { return false }
        records[index].lastActiveWindow = window
        return true
    }

    /// Expires flows idle or active beyond their timeouts as of `now`.
    public mutating func sweep(now: Int64, expired: (borrowing FlowRecord, FlowEndReason) -> Void) {
        let idle = configuration.idleTimeout, active = configuration.activeTimeout
        if idle > 0 {
            while lruHead >= 0, now &- records[Int(lruHead)].lastNanoseconds >= idle {
                let victim = lruHead
                expired(records[Int(victim)], .idle)
                remove(victim)
                expiredFlows += 1
            }
        }
        if active > 0 {
            while ageHead >= 0, now &- records[Int(ageHead)].firstNanoseconds >= active {
                let victim = ageHead
                expired(records[Int(victim)], .active)
                remove(victim)
                expiredFlows += 1
            }
        }
    }

    /// Removes every live flow, in creation order, handing each to `body`.
    public mutating func drain(_ body: (borrowing FlowRecord, FlowEndReason) -> Void) {
        while ageHead >= 0 {
            let victim = ageHead
            body(records[Int(victim)], .end)
            remove(victim)
        }
    }

    // MARK: storage

    private mutating func allocate(_ record: FlowRecord) -> Int32 {
        if let reused = free.popLast() {
            records[Int(reused)] = record
            return reused
        }
        records.append(record)
        return Int32(records.count - 1)
    }

    private mutating func remove(_ index: Int32) {
        unlinkLRU(index)
        unlinkAge(index)
        // Find the slot and delete with backward shift.
        let hash = records[Int(index)].key.hash(seed: seed)
        var slot = Int(truncatingIfNeeded: hash) & mask
        while Int32(truncatingIfNeeded: slots[slot] & 0xFFFF_FFFF) - 1 != index { slot = (slot + 1) & mask }
        var hole = slot
        var next = (hole + 1) & mask
        while slots[next] != 0 {
            let entry = slots[next]
            let r = Int(Int32(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1)
            let home = Int(truncatingIfNeeded: records[r].key.hash(seed: seed)) & mask
            // Move the entry back if the hole lies cyclically between its home and its slot.
            let distanceToNext = (next - home) & mask
            let distanceToHole = (hole - home) & mask
            if distanceToHole < distanceToNext {
                slots[hole] = entry
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole] = 0
        free.append(index)
        liveFlows -= 1
    }

    private mutating func grow() {
        let limit = max(1024, configuration.maximumFlows * 2)
        guard slots.count < limit else { return }
        let capacity = slots.count * 2
        var fresh = [UInt64](repeating: 0, count: capacity)
        let newMask = capacity - 1
        for entry in slots where entry != 0 {
            let r = Int(Int32(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1)
            var slot = Int(truncatingIfNeeded: records[r].key.hash(seed: seed)) & newMask
            while fresh[slot] != 0 { slot = (slot + 1) & newMask }
            fresh[slot] = entry
        }
        slots = fresh
        mask = newMask
    }

    private mutating func appendLRU(_ i: Int32) {
        records[Int(i)].lruPrevious = lruTail
        records[Int(i)].lruNext = -1
        if lruTail >= 0 { records[Int(lruTail)].lruNext = i } else { lruHead = i }
        lruTail = i
    }

    private mutating func unlinkLRU(_ i: Int32) {
        let p = records[Int(i)].lruPrevious, n = records[Int(i)].lruNext
        if p >= 0 { records[Int(p)].lruNext = n } else { lruHead = n }
        if n >= 0 { records[Int(n)].lruPrevious = p } else { lruTail = p }
        records[Int(i)].lruPrevious = -1
        records[Int(i)].lruNext = -1
    }

    private mutating func appendAge(_ i: Int32) {
        records[Int(i)].agePrevious = ageTail
        records[Int(i)].ageNext = -1
        if ageTail >= 0 { records[Int(ageTail)].ageNext = i } else { ageHead = i }
        ageTail = i
    }

    private mutating func unlinkAge(_ i: Int32) {
        let p = records[Int(i)].agePrevious, n = records[Int(i)].ageNext
        if p >= 0 { records[Int(p)].ageNext = n } else { ageHead = n }
        if n >= 0 { records[Int(n)].agePrevious = p } else { ageTail = p }
    }
}
