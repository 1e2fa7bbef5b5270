/// A fast random generator (SplitMix64): the same seed always gives the same sequence.
///
/// `Discovery` draws the order among equal SRV records and addresses from one, seeded by
/// the system at start (``seededFromSystem()``): that order must be fair, not secret, and
/// the system generator costs a syscall per number. Tests seed it to get a fixed order.
/// Not for anything that must be unpredictable (lease ids use the system generator).
public struct SeededGenerator: RandomNumberGenerator, Sendable, Hashable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    /// A generator seeded from the system's random source.
    public static func seededFromSystem() -> SeededGenerator {
        var system = SystemRandomNumberGenerator()
        return SeededGenerator(seed: system.next())
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
