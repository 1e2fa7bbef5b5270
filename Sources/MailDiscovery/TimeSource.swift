import FoundationEssentials

/// Where the cache and the pins read the current time from. Injected so that tests can
/// move time by hand; expiries are absolute wall-clock times so they survive a restart.
public protocol TimeSource: Sendable {
    func now() -> Date
}

/// The system's wall clock.
public struct SystemTime: TimeSource {
    public init() {}
    public func now() -> Date { Date() }
}
