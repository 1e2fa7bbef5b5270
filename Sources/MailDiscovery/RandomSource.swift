/// A type-erased random generator, so that the order of candidates can be drawn from the
/// system generator in the daemon and from a seeded one in tests and benchmarks.
public struct RandomSource: RandomNumberGenerator, Sendable {
    private var base: any RandomNumberGenerator & Sendable

    public init(_ base: some RandomNumberGenerator & Sendable) {
        self.base = base
    }

    /// The operating system's generator.
    public static var system: RandomSource { RandomSource(SystemRandomNumberGenerator()) }

    public mutating func next() -> UInt64 { base.next() }
}
