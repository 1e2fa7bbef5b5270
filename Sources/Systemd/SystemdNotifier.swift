import CSystemd
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Tells systemd how the service is doing, with `sd_notify(3)` (DESIGN.md §5).
///
/// Every method is a no-op returning `false` when `NOTIFY_SOCKET` is not set (the daemon
/// was not started by a `Type=notify` unit, or a test did not set it), so callers need not
/// check `isActive` first. The environment is read at each call, never cached, and never
/// unset: children the daemon might start would inherit it, but mailsrvd starts none.
///
/// The order systemd expects from the daemon:
/// - `ready(status:)` once the socket serves (never before: socket activation queues
///   clients until then anyway, but `systemctl start` returns at READY=1);
/// - `status(_:)` whenever the live figures change, or periodically;
/// - `watchdogPing()` from the serving loop every `watchdogInterval` when it is non-nil
///   (a loop that hangs must stop pinging, so do not ping from an independent timer);
/// - `reloading()` when a SIGHUP reload begins, then `ready(status:)` when it is done
///   (also when the new config was rejected and the old one is kept);
/// - `stopping()` as soon as SIGTERM is seen, before state is written.
public struct SystemdNotifier: Sendable {
    public init() {}

    /// True when `NOTIFY_SOCKET` is set, i.e. notifications go somewhere.
    public var isActive: Bool {
        guard let value = getenv("NOTIFY_SOCKET") else { return false }
        return value.pointee != 0
    }

    /// How often `watchdogPing()` must be called: half of `WATCHDOG_USEC` when systemd's
    /// watchdog is enabled for this process (`WatchdogSec=`; `WATCHDOG_PID`, when set,
    /// must be our pid), nil otherwise.
    public var watchdogInterval: Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(clamping: usec / 2))
    }

    /// `READY=1`, with `STATUS=status` in the same datagram when given.
    @discardableResult
    public func ready(status: String? = nil) -> Bool {
        var lines = ["READY=1"]
        if let status { lines.append("STATUS=" + Self.oneLine(status)) }
        return send(lines)
    }

    /// `STATUS=status`: the one-line text `systemctl status` shows.
    @discardableResult
    public func status(_ status: String) -> Bool {
        send(["STATUS=" + Self.oneLine(status)])
    }

    /// `RELOADING=1` and `MONOTONIC_USEC=` (CLOCK_MONOTONIC now, in µs). Follow it with
    /// `ready(status:)` when the reload is over.
    @discardableResult
    public func reloading() -> Bool {
        send(["RELOADING=1", "MONOTONIC_USEC=\(Self.monotonicMicroseconds())"])
    }

    /// `STOPPING=1`: shutdown has begun.
    @discardableResult
    public func stopping() -> Bool {
        send(["STOPPING=1"])
    }

    /// `WATCHDOG=1`: the serving loop is alive.
    @discardableResult
    public func watchdogPing() -> Bool {
        send(["WATCHDOG=1"])
    }

    /// `EXTEND_TIMEOUT_USEC=`: asks for more time for the current start, reload or stop
    /// (e.g. while a large cache is written on shutdown).
    @discardableResult
    public func extendTimeout(by duration: Duration) -> Bool {
        let (seconds, attoseconds) = duration.components
        let usec = max(0, seconds) &* 1_000_000 &+ max(0, attoseconds) / 1_000_000_000_000
        return send(["EXTEND_TIMEOUT_USEC=\(usec)"])
    }

    /// Sends `lines` ("KEY=value" each) as one notification. True when it was sent.
    @discardableResult
    public func send(_ lines: [String]) -> Bool {
        sd_notify(0, lines.joined(separator: "\n")) > 0
    }

    /// CLOCK_MONOTONIC in microseconds, the clock `MONOTONIC_USEC=` is read against.
    public static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    /// A notification value must not contain a newline: it would start a new assignment.
    static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}
