import FoundationEssentials

/// Where the cache and the pins read the current time from. Injected so that tests can
/// move time by hand. Expiries in memory are on this clock; in files they are wall-clock
/// times (`wallClock(_:)`, `fromWallClock(_:)`), so they survive a restart.
public protocol TimeSource: Sendable {
    func now() -> Date
    /// `time` of this clock as wall-clock time, for a file read after a restart.
    func wallClock(_ time: Date) -> Date
    /// A wall-clock time read from a file, on this clock.
    func fromWallClock(_ wall: Date) -> Date
}

extension TimeSource {
    /// A clock that is the wall clock converts nothing.
    public func wallClock(_ time: Date) -> Date { time }
    public func fromWallClock(_ wall: Date) -> Date { wall }
}

/// The system's time: the wall clock at the process's start, advanced by a monotonic clock
/// (`ContinuousClock`, which counts a suspend too). A step of the wall clock while the
/// daemon runs (backwards, say) neither stretches nor cuts a TTL; wall-clock time is read
/// only to convert expiries to and from the files.
public struct SystemTime: TimeSource {
    private static let origin = (wall: Date(), instant: ContinuousClock.now)

    public init() {}

    public func now() -> Date {
        let elapsed = (ContinuousClock.now - Self.origin.instant).components
        return Self.origin.wall.addingTimeInterval(Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
    }

    public func wallClock(_ time: Date) -> Date { time.addingTimeInterval(Date().timeIntervalSince(now())) }
    public func fromWallClock(_ wall: Date) -> Date { wall.addingTimeInterval(now().timeIntervalSince(Date())) }
}
