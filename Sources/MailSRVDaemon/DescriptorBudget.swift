import Glibc

/// How the daemon shares out its descriptors (`RLIMIT_NOFILE`), so that clients cannot
/// take the ones it needs itself (issue 11): a quarter of the process limit
/// goes to everything but client connections, at least 64 descriptors (state files,
/// resolver sockets, event loops, the journal), the rest to connections, and one uid
/// gets at most a quarter of those, whatever `MaxConnectionsPerUser` says.
///
///     reserved            = max(64, limit / 4)
///     connections         = limit − reserved
///     connections per uid = min(MaxConnectionsPerUser, connections / 4)
///
/// With the soft limit 1,024 of a systemd service that is 768 connections, 192 per uid;
/// the daemon raises its soft limit to the hard one at start (it uses epoll, never
/// `select`), and with systemd's hard limit of 524,288 `MaxConnectionsPerUser` decides.
public struct DescriptorBudget: Sendable, Equatable {
    /// The process's descriptor limit.
    public var limit: Int

    public init(limit: Int) {
        self.limit = limit
    }

    /// No limit but the configuration's (a daemon built in process, for tests and benchmarks).
    public static let unlimited = DescriptorBudget(limit: .max)

    /// Raises the soft `RLIMIT_NOFILE` to the hard limit and returns the budget of the result.
    public static func raisingSoftLimit() -> DescriptorBudget {
        var limits = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limits)
        if limits.rlim_cur < limits.rlim_max {
            var raised = limits
            raised.rlim_cur = limits.rlim_max
            if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 { limits = raised }
        }
        return DescriptorBudget(limit: Int(clamping: limits.rlim_cur))
    }

    /// Descriptors kept for everything but client connections.
    public var reserved: Int { max(64, limit / 4) }

    /// Client connections of all uids together.
    public var connections: Int { max(limit - reserved, 1) }

    /// The per-uid connection limit: the configured one, at most a quarter of `connections`.
    public func connectionsPerUser(configured: Int) -> Int {
        max(min(configured, connections / 4), 1)
    }
}
