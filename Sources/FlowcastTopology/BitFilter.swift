/// A fixed-size set of bits used as a one-hash membership filter: `insert` sets the bit for a
/// hash, `mayContain` tests it. A clear bit proves the hash was never inserted; a set bit only
/// says it may have been (two hashes can share a bit). The bit count is a power of two fixed at
/// init, and a hash selects bit `hash & (bitCount - 1)`, so every hash lands inside the words.
///
/// `TopologyMatcher` keeps three of these so that `mayMatch` and `match` can turn away a packet
/// whose addresses and VLAN no rule is keyed by with a bit test or two, without paying for the
/// dictionaries' SipHash (most packets on a link name no rule).
@usableFromInline struct BitFilter: Sendable {
    @usableFromInline var words: [UInt64]
    @usableFromInline let mask: Int

    /// An empty filter of `bitCount` bits (a power of two, at least 64).
    init(bitCount: Int) {
        precondition(bitCount >= 64 && bitCount & (bitCount - 1) == 0, "bit count must be a power of two ≥ 64")
        words = [UInt64](repeating: 0, count: bitCount >> 6)
        mask = bitCount - 1
    }

    mutating func insert(_ hash: Int) {
        let b = hash & mask
        words[b >> 6] |= 1 << UInt64(b & 63)
    }

    /// False: `hash` was never inserted. True: it was, or another hash sharing its bit was.
    @inlinable @inline(__always) func mayContain(_ hash: Int) -> Bool {
        let b = hash & mask
        return words.withUnsafeBufferPointer { $0[b >> 6] & (1 << UInt64(b & 63)) != 0 }
    }

    /// Size for a filter over `hash(high:low:salt:)` values, which are 12 bits wide.
    static var hashedBitCount: Int { 4096 }

    /// Mixes a 128-bit value (an address, or an address under a prefix mask) and a small salt
    /// into a position in `0..<hashedBitCount`: the top 12 bits of a multiplicative hash, far
    /// cheaper than SipHash. The salt is 0 for plain addresses and the mask's index for masked
    /// ones, so equal masked values under different masks usually take different bits.
    @inlinable @inline(__always) static func hash(high: UInt64, low: UInt64, salt: Int = 0) -> Int {
        let h = (high ^ (low &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(truncatingIfNeeded: salt) &* 0xC2B2_AE3D_27D4_EB4F)) &* 0xD6E8_FEB8_6659_FD93
        return Int(truncatingIfNeeded: h >> 52)
    }
}
