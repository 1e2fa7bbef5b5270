import MailSRVInterface

/// The tunnel's lease, and the only place `connect` speaks Varlink: Acquire with
/// `alternatives` (the rest of the lease's order, to race), Report about one route. The
/// lease ends when the process ends (the daemon releases a closed connection's leases).
final class TunnelLease {
    let lease: String
    let verifyNames: [String]
    /// The mail domain (for messages).
    let domain: String
    /// The routes to race, in order: the lease's route, then its alternatives. A reused
    /// lease (a pin held by a connected tunnel of this uid) races nothing: its alternatives
    /// are tried only after the pinned route failed.
    let routes: [Route]
    /// The alternatives held back behind a pinned route.
    private var afterPin: [Route]
    private let connection: DaemonConnection

    /// Acquires a lease for `email` and `want` over `connection`.
    /// - Parameter only: one service (`--want`); routes of other services are left out
    ///   (on the wire `submission` is the group of both submission services).
    init(connection: DaemonConnection, email: String, want: String, only: String?, clientHost: String?) throws(TunnelError) {
        let reply = try Self.call(connection, DiscoveryInterface.Acquire(
            email: email, want: want, clientHost: clientHost, alternatives: true))
        let alternatives = (reply.alternatives ?? []).map { Route($0.endpoint, address: $0.address) }
        let usable = ([Route(reply.endpoint, address: reply.address)] + alternatives)
            .filter { only == nil || $0.service == only }
        self.connection = connection
        lease = reply.lease
        verifyNames = reply.verifyNames
        domain = email.split(separator: "@").last.map { String($0).lowercased() } ?? email
        if reply.reused {
            routes = Array(usable.prefix(1))
            afterPin = Array(usable.dropFirst())
        } else {
            routes = usable
            afterPin = []
        }
    }

    /// Routes to try once every route so far failed (those held back behind a pin).
    func more() -> [Route] {
        defer { afterPin = [] }
        return afterPin
    }

    /// Reports `route` failed: this uid's failure mark on it.
    func failed(_ route: Route) throws(TunnelError) {
        do {
            _ = try report("failed", route)
        } catch .unavailable {
            // Exhausted: it was the lease's last tuple; the race ends on its own.
        }
    }

    /// Reports `route` connected: the lease and this uid's pin move there.
    func connected(_ route: Route) throws(TunnelError) {
        _ = try report("connected", route)
    }

    private func report(_ outcome: String, _ route: Route) throws(TunnelError) -> DiscoveryInterface.ReportReply {
        try Self.call(connection, DiscoveryInterface.Report(lease: lease, outcome: outcome, host: route.host,
                                                        port: route.port, address: route.address))
    }

    /// One call; a failure becomes the tunnel's error and exit code.
    private static func call<Call: DiscoveryCall>(_ connection: DaemonConnection, _ call: Call) throws(TunnelError) -> Call.Reply {
        do {
            return try connection.call(call).reply
        } catch {
            throw TunnelError(error)
        }
    }
}
