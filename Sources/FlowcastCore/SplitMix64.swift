/// SplitMix64 (Steele, Lea & Flood, 2014): a small, fast, seedable generator, so that training
/// runs and the demo capture repeat exactly for a seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    @inlinable public init(seed: UInt64) { state = seed }

    @inlinable public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1) from the top 53 bits.
    @inlinable public mutating func nextDouble() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
