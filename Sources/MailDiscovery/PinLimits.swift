/// What one uid's pins may hold, so that the pins (in memory and in the pins file) stay
/// linear in what was learned and bounded per uid, whatever DNS answers.
public struct PinLimits: Hashable, Sendable {
    /// Addresses kept per endpoint of a pin (the first ones in the order to try).
    public var addressesPerTarget = 16
    /// Endpoints kept per pin (the best ones).
    public var candidatesPerPin = 32
    /// Most bytes (as estimated by `Pin.stateBytes`) the pins of one uid may hold; an
    /// Acquire that would need more is refused (`TooManyRequests`).
    public var bytesPerUID = 2 << 20
    /// Most failure marks one uid may hold; the one expiring first goes to make room.
    public var failureMarksPerUID = 4096

    public init() {}
}
