import Logging
import Synchronization

/// A log level that loggers read at every event, so that it can change while they live:
/// `LogDestination.bootstrap` gives every logger of the process ``process``, and a
/// configuration reload sets it.
public final class SharedLogLevel: Sendable {
    /// The level of every logger made after `LogDestination.bootstrap`.
    public static let process = SharedLogLevel(.info)

    private let index: Atomic<Int>
    /// Read on every log call (every Lookup logs at debug): made once.
    private static let levels = Logger.Level.allCases

    public init(_ level: Logger.Level) {
        index = Atomic(Self.index(of: level))
    }

    public var level: Logger.Level {
        get { Self.levels[index.load(ordering: .relaxed)] }
        set { index.store(Self.index(of: newValue), ordering: .relaxed) }
    }

    private static func index(of level: Logger.Level) -> Int {
        levels.firstIndex(of: level)!
    }
}

/// Passes every event on to `base` and takes its level from a ``SharedLogLevel``: setting
/// `logLevel` on one logger sets it for all that share it.
public struct SharedLevelLogHandler: LogHandler {
    public var base: any LogHandler
    public let shared: SharedLogLevel

    public init(base: any LogHandler, shared: SharedLogLevel) {
        self.base = base
        self.shared = shared
    }

    public var logLevel: Logger.Level {
        get { shared.level }
        nonmutating set { shared.level = newValue }
    }

    public var metadata: Logger.Metadata {
        get { base.metadata }
        set { base.metadata = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { base.metadataProvider }
        set { base.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { base[metadataKey: key] }
        set { base[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        base.log(event: event)
    }
}
